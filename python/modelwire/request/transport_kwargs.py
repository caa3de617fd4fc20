"""What an adapter hands to the transport: the serialized body, the extra headers and the timeout."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final, Protocol

from modelwire._backend import core
from modelwire._redact import redact
from modelwire.request import pure

__all__ = ["TransportKwargs"]


class _BodyBuilder(Protocol):
    def __call__(
        self, request: object, fields: Mapping[str, Any] | None, exclude: Collection[str]
    ) -> bytes: ...


# Rust when the extension is loaded, the twin otherwise (same bytes either way).
_request_body: Final[_BodyBuilder] = pure.request_body if core is None else core.request_body


class TransportKwargs:
    """A request body as JSON bytes, the headers to add, and the per-request timeout (seconds).

    Built from a canonical request by :meth:`from_request` with Data Designer's rules: optional fields
    that are ``None`` are left out, ``extra_body`` is merged flat and wins, ``extra_headers`` become
    headers, and ``timeout`` never enters the body.
    """

    __slots__ = ("body", "headers", "timeout")

    def __init__(
        self, body: bytes, headers: dict[str, str] | None = None, timeout: float | None = None
    ) -> None:
        self.body = body
        self.headers = {} if headers is None else headers
        self.timeout = timeout

    @classmethod
    def from_request(
        cls,
        request: Any,
        *,
        fields: Mapping[str, Any] | None = None,
        exclude: Collection[str] = (),
    ) -> TransportKwargs:
        """Build the body: ``fields`` (placed by the adapter: model, messages, translated fields) first,
        then every name in ``type(request).BODY_FIELDS`` whose value is not ``None`` and that is not in
        ``exclude``, then ``request.extra_body`` (dict-update semantics throughout)."""
        extra_headers = getattr(request, "extra_headers", None)
        return cls(
            _request_body(request, fields, exclude),
            dict(extra_headers) if extra_headers else {},
            getattr(request, "timeout", None),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TransportKwargs):
            return NotImplemented
        return (self.body, self.headers, self.timeout) == (other.body, other.headers, other.timeout)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        # Extra headers may carry credentials: the repr goes through the redactor.
        headers = {
            name: redact(f"{name}: {value}").split(": ", 1)[-1] for name, value in self.headers.items()
        }
        return (
            f"TransportKwargs(body=<{len(self.body)} bytes>, headers={headers!r}, timeout={self.timeout!r})"
        )
