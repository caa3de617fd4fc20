"""Reading a response body with orjson and checking field types, with the error texts both parsers share.

Shape faults are raised as :class:`Fault` (a private control-flow exception carrying the message and the
field path) and turned into :class:`~modelwire.ResponseParseError` once, at the entry point, where the
provider label is known. The wording here is the contract: the Rust parser produces the same texts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Final, NoReturn, TypeVar

import orjson

from modelwire.exceptions import ResponseParseError

__all__ = [
    "MAX_WRITE_DEPTH",
    "SNIPPET_RADIUS",
    "TOO_DEEP",
    "Fault",
    "at",
    "check_missing_array",
    "dumps_at",
    "expected",
    "json_type",
    "lax_dict",
    "lax_int",
    "lax_list",
    "lax_str",
    "load_object",
    "log_skipped",
    "opt_dict",
    "opt_int",
    "opt_list",
    "opt_str",
    "required_dict",
    "required_int",
    "required_str",
    "run",
    "snippet_at",
]

SNIPPET_RADIUS: Final = 40
SNIPPET_REACH: Final = 200
# orjson reads 1024 levels of nesting but writes only 254 (its only refusal for loaded JSON).
MAX_WRITE_DEPTH: Final = 254
TOO_DEEP: Final = f"nested more than {MAX_WRITE_DEPTH} levels deep"
_T = TypeVar("_T")
# An exact integer sent as a string ("4", "-12"): at most 20 digits, then the JSON integer range applies.
_INT_STRING: Final = re.compile(r"-?[0-9]{1,20}")
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1
_log = logging.getLogger("modelwire.parsing")


def log_skipped(provider: str, skipped: list[str]) -> None:
    """The one DEBUG line for a response whose unreadable optional fields were left out."""
    _log.debug("%s response: optional fields not readable, left out: %s", provider, ", ".join(skipped))


class Fault(Exception):
    """A field of the wrong shape; becomes a ResponseParseError at the entry point."""

    def __init__(self, message: str, path: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def run(parse: Callable[[dict[str, Any], bytes, str], _T], body: bytes, provider: str) -> _T:
    """Load ``body`` as a JSON object and hand it to ``parse``, converting shape faults to errors."""
    data = load_object(body, provider)
    try:
        return parse(data, body, provider)
    except Fault as fault:
        raise ResponseParseError(fault.message, provider=provider, path=fault.path) from None


def load_object(body: bytes, provider: str) -> dict[str, Any]:
    if not isinstance(body, bytes):
        raise TypeError(f"body must be bytes, not {type(body).__name__}")
    if not body:
        raise ResponseParseError("empty response body", provider=provider, offset=0)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # orjson counts characters of the decoded text; errors name byte offsets.
        offset = len(exc.doc[: exc.pos].encode("utf-8", "surrogatepass")) if exc.doc else 0
        raise ResponseParseError(
            f"response body is not valid JSON: {exc.msg}",
            provider=provider,
            offset=offset,
            snippet=snippet_at(body, offset),
        ) from None
    if type(data) is not dict:
        raise ResponseParseError(f"expected a JSON object, got {json_type(data)}", provider=provider)
    return data


def snippet_at(body: bytes, offset: int) -> tuple[str, str]:
    """The text each side of ``offset``, reaching ``SNIPPET_REACH`` bytes beyond the excerpt's radius so
    that the exception can mask a secret whole before cutting the excerpt (as the Rust core's Snippet)."""
    wide = SNIPPET_RADIUS + SNIPPET_REACH
    start = max(0, offset - wide)
    return body[start:offset].decode("utf-8", "replace"), body[offset : offset + wide].decode(
        "utf-8", "replace"
    )


def json_type(value: object) -> str:
    kind = type(value)
    if kind is str:
        return "string"
    if kind is int:
        return "integer"
    if kind is float:
        return "number"
    if kind is bool:
        return "boolean"
    if kind is dict:
        return "object"
    if kind is list:
        return "array"
    return "null"


def at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def dumps_at(value: dict[str, Any], path: str, too_deep: str = TOO_DEEP) -> str:
    """``value`` written as orjson writes it; the fault ``too_deep`` at ``path`` when orjson cannot."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        raise Fault(too_deep, path) from None


def expected(what: str, value: object, path: str) -> Fault:
    return Fault(f"expected {what}, got {json_type(value)}", path)


def opt_str(obj: dict[str, Any], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    raise expected("a string", value, at(path, key))


def opt_int(obj: dict[str, Any], key: str, path: str) -> int | None:
    value = obj.get(key)
    if value is None or type(value) is int:
        return value
    number = _int_string(value)
    if number is not None:
        return number
    raise expected("an integer", value, at(path, key))


def _int_string(value: object) -> int | None:
    """The integer a string holds exactly ("4"), else None (docs/parsing-rules.md, section 2)."""
    if type(value) is str and _INT_STRING.fullmatch(value):
        number = int(value)
        if _INT_MIN <= number <= _INT_MAX:
            return number
    return None


# Lenient readers for optional fields: a value of the wrong type is left out (None) and its path is
# recorded in ``skipped`` instead of failing the whole response.


def lax_str(obj: dict[str, Any], key: str, path: str, skipped: list[str]) -> str | None:
    value = obj.get(key)
    if value is None or type(value) is str:
        return value
    skipped.append(at(path, key))
    return None


def lax_int(obj: dict[str, Any], key: str, path: str, skipped: list[str]) -> int | None:
    value = obj.get(key)
    if value is None or type(value) is int:
        return value
    number = _int_string(value)
    if number is None:
        skipped.append(at(path, key))
    return number


def lax_dict(obj: dict[str, Any], key: str, path: str, skipped: list[str]) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None or type(value) is dict:
        return value
    skipped.append(at(path, key))
    return None


def lax_list(obj: dict[str, Any], key: str, path: str, skipped: list[str]) -> list[Any] | None:
    value = obj.get(key)
    if value is None or type(value) is list:
        return value
    skipped.append(at(path, key))
    return None


def opt_dict(obj: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None or type(value) is dict:
        return value
    raise expected("an object", value, at(path, key))


def opt_list(obj: dict[str, Any], key: str, path: str) -> list[Any] | None:
    value = obj.get(key)
    if value is None or type(value) is list:
        return value
    raise expected("an array", value, at(path, key))


def check_missing_array(data: dict[str, Any], key: str) -> NoReturn:
    """``key`` (a required array) is absent or null: explain, preferring the provider's own error."""
    error = data.get("error")
    if error is not None:
        detail = error.get("message") if type(error) is dict else error
        text = detail if type(detail) is str else ""
        raise Fault(f"the response holds an error instead of a result: {text}", "error")
    if key not in data:
        raise Fault("missing required field", key)
    raise expected("an array", None, key)


def required_dict(obj: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    value = obj.get(key)
    if type(value) is dict:
        return value
    raise _required_fault(obj, key, path, "an object")


def required_int(obj: dict[str, Any], key: str, path: str) -> int:
    value = obj.get(key)
    if type(value) is int:
        return value
    raise _required_fault(obj, key, path, "an integer")


def required_str(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if type(value) is str:
        return value
    raise _required_fault(obj, key, path, "a string")


def _required_fault(obj: dict[str, Any], key: str, path: str, what: str) -> Fault:
    """A required member that is absent, null or not ``what``."""
    if key not in obj:
        return Fault("missing required field", at(path, key))
    return expected(what, obj[key], at(path, key))
