"""How configured secrets (API keys, credential headers, Redis URLs) are validated and serialized.

A secret is a ``SecretStr``: usable through ``get_secret_value()``, masked in ``repr``/``str``, and
registered with :func:`modelwire._redact.register_secret` so any error text that echoes it is masked.

JSON never carries a secret's value. ``model_dump_json()`` writes a reference instead,
``"modelwire-secret:sha256:<16 hex>"``, and validating that reference in the same process gives the key
back: a JSON round trip keeps the key usable without printing it (LMI's round trip lost it). Another
process cannot resolve the reference and says so; configs that travel between processes name an
environment variable (``api_key_env``) instead. Writing the value itself is possible only on explicit
request: ``model_dump_json(context={"reveal_secrets": True})``.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, PlainSerializer, SecretStr, SerializationInfo
from pydantic_core import PydanticCustomError

from modelwire._redact import register_secret

__all__ = [
    "REF_PREFIX",
    "REVEAL_CONTEXT_KEY",
    "Secret",
    "dump_secret",
    "fingerprint",
    "is_sensitive_header",
    "load_secret",
]

REF_PREFIX: Final = "modelwire-secret:sha256:"
REVEAL_CONTEXT_KEY: Final = "reveal_secrets"

_lock = threading.Lock()
# fingerprint -> value, for every secret this process has validated. Keys are few; they live as long as
# the process, exactly like the SecretStr objects that hold them.
_known: dict[str, str] = {}

_SENSITIVE_HEADER_WORDS: Final = (
    "authorization",
    "api-key",
    "api_key",
    "apikey",
    "token",
    "secret",
    "cookie",
)


def fingerprint(value: str, length: int = 16) -> str:
    """A short sha256 of a secret: safe to show, stable across processes."""
    return hashlib.sha256(value.encode()).hexdigest()[:length]


def is_sensitive_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SENSITIVE_HEADER_WORDS)


def _remember(value: str) -> None:
    register_secret(value)
    with _lock:
        _known[fingerprint(value)] = value


def load_secret(value: Any) -> str | None:
    """A plain secret value from what a user or a JSON document gave, or ``None``."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        raise PydanticCustomError(
            "secret_type", "must be a string, got {type}", {"type": type(value).__name__}
        )
    if value.startswith(REF_PREFIX):
        with _lock:
            known = _known.get(value.removeprefix(REF_PREFIX))
        if known is None:
            raise PydanticCustomError(
                "secret_reference",
                "{ref} stands for a secret held by another process (JSON never carries the value): "
                "pass the value itself, or name an environment variable that holds it",
                {"ref": value},
            )
        return known
    if not value:
        raise PydanticCustomError("secret_empty", "must not be empty (leave it unset instead)")
    _remember(value)
    return value


def dump_secret(value: str, info: SerializationInfo | None) -> str:
    context = info.context if info is not None else None
    if isinstance(context, dict) and context.get(REVEAL_CONTEXT_KEY):
        return value
    return REF_PREFIX + fingerprint(value)


def _validate(value: Any) -> str | None:
    # A plain str: SecretStr's own validator wraps it, in python and in JSON mode alike.
    return load_secret(value)


def _serialize(value: SecretStr | None, info: SerializationInfo) -> str | None:
    return None if value is None else dump_secret(value.get_secret_value(), info)


# A secret field: accepts str, SecretStr or a reference; python-mode dumps keep the SecretStr object,
# JSON dumps write a reference (or the value, on explicit request).
Secret = Annotated[
    SecretStr | None,
    BeforeValidator(_validate),
    PlainSerializer(_serialize, when_used="json"),
]
