"""The batch output line contract, and the failures file's lines.

An output line is one JSON object (shared with ``modelwire.batch.provider_*``)::

    {"custom_id": str, "status": "ok" | "error", "model": str | null,
     "response": <canonical response as a dict> | null,
     "error": {"kind": str, "type": str, "message": str, "status_code": int | null} | null,
     "usage": {...} | null, "cost": {...} | null}

A chat response is ``ChatCompletionResponse.to_dict()``; an embeddings response is ``{"model",
"provider", "count", "dimensions", "embeddings": [[float, ...], ...], "usage"}``. ``error.kind`` is the
``ErrorKind`` value (``rate_limit``, ``bad_request``, ...), ``invalid_item`` for an input item that is
not a request, ``internal`` for an unexpected exception.

A failures line is the item as given (a JSON object; with its ``custom_id`` filled in) plus
``modelwire_error`` (the same object as ``error`` above), which the input reader ignores: a failures
file is a valid input file. An item that was not JSON at all is kept as text in ``modelwire_source``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import orjson

from modelwire.exceptions import AllModelsExhaustedError, InvalidBatchItemError, ProviderError
from modelwire.facade.mapping import MapResult
from modelwire.types import EmbeddingResponse

__all__ = ["INTERNAL", "error_info", "failure_line", "output_line"]

INTERNAL: Final = "internal"
_OPTIONS: Final = orjson.OPT_APPEND_NEWLINE


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if isinstance(value, Decimal):
        return float(value)
    slots = getattr(type(value), "__slots__", None)
    if slots:  # a plain slotted value class (a Cost from another price source, ...): its public fields
        return {name: getattr(value, name, None) for name in slots if not name.startswith("_")}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def error_info(error: BaseException) -> dict[str, Any]:
    """``{"kind", "type", "message", "status_code"}`` of an error (the last attempt's for a chain)."""
    cause = error.last if isinstance(error, AllModelsExhaustedError) and error.last is not None else error
    if isinstance(cause, ProviderError):
        kind, status = cause.kind.value, cause.status_code
    elif isinstance(cause, InvalidBatchItemError):
        kind, status = cause.kind, None
    else:
        kind, status = INTERNAL, None
    return {"kind": kind, "type": type(error).__name__, "message": str(error), "status_code": status}


def _response_dict(response: Any) -> dict[str, Any]:
    if isinstance(response, EmbeddingResponse):
        return {
            "model": response.model,
            "provider": response.provider,
            "count": response.count,
            "dimensions": response.dimensions,
            "embeddings": response.vectors,
            "usage": response.usage,
        }
    data: dict[str, Any] = response.to_dict()
    return data


def output_line(result: MapResult) -> bytes:
    """The output line of ``result``, newline included."""
    error = result.error
    if error is None:
        response = result.response
        usage = getattr(response, "usage", None)
        line = {
            "custom_id": result.custom_id,
            "status": "ok",
            "model": getattr(response, "model", None),
            "response": _response_dict(response),
            "error": None,
            "usage": usage,
            "cost": result.cost,
        }
    else:
        line = {
            "custom_id": result.custom_id,
            "status": "error",
            "model": getattr(error, "model", None),
            "response": None,
            "error": error_info(error),
            "usage": None,
            "cost": None,
        }
    return orjson.dumps(line, default=_default, option=_OPTIONS)


def failure_line(result: MapResult) -> bytes:
    """The failures-file line of a failed ``result``, newline included: feed it back in as input."""
    assert result.error is not None
    source = result.source
    info = error_info(result.error)
    if isinstance(source, Mapping):
        line: dict[str, Any] = {**source, "custom_id": result.custom_id, "modelwire_error": info}
    elif isinstance(source, str) and not isinstance(result.error, InvalidBatchItemError):
        line = {"custom_id": result.custom_id, "prompt": source, "modelwire_error": info}
    else:
        line = {"custom_id": result.custom_id, "modelwire_error": info, "modelwire_source": source}
    return orjson.dumps(line, default=_default, option=_OPTIONS)
