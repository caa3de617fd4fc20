"""Which route a path is, the request being answered (``Call``), the answer (``Answer``), and auth checks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from modelwire.testing import echo, provider_errors
from modelwire.testing.dialects import dialect_of, dialects
from modelwire.testing.http11 import Request
from modelwire.testing.records import Provider, Route, ServerConfig

__all__ = [
    "Answer",
    "Call",
    "RouteMatch",
    "api_key",
    "check_access",
    "json_answer",
    "match",
    "provider_of_path",
    "route_for_url",
    "sse_answer",
]


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: Route
    provider: Provider
    deployment: str | None = None
    needs_api_version: bool = False


def match(path: str) -> RouteMatch | None:
    """The route ``path`` is in the first registered dialect that knows it."""
    for dialect in dialects():
        found = dialect.match(path)
        if found is not None:
            return found
    return None


def route_for_url(url: str) -> Route | None:
    """The route a recorded request URL was sent to, by its path's last segments (any host, any prefix)."""
    path = urlsplit(url).path.rstrip("/")
    for dialect in dialects():
        for suffix, route in dialect.recorded:
            if path.endswith(suffix):
                return route
    return None


def provider_of_path(path: str) -> Provider | None:
    """The dialect an unknown path is probably meant for (it shapes the 404): the longest prefix wins."""
    best: tuple[int, Provider | None] = (0, None)
    for dialect in dialects():
        for prefix in dialect.prefixes:
            if path.startswith(prefix) and len(prefix) > best[0]:
                best = (len(prefix), dialect.provider)
    return best[1]


@dataclass(slots=True)
class Answer:
    """A response before delivery: ``events`` (not None) means a chunked, streamed body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    events: list[bytes] | None = None


def json_answer(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Answer:
    return Answer(
        status,
        [("content-type", "application/json"), *headers],
        json.dumps(payload, separators=(",", ":")).encode(),
    )


def sse_answer(events: list[bytes], headers: Iterable[tuple[str, str]] = ()) -> Answer:
    base = [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache")]
    return Answer(200, [*base, *headers], events=events)


@dataclass(slots=True)
class Call:
    """One provider request being answered."""

    request: Request
    match: RouteMatch
    body: Any  # the decoded JSON body, or None
    request_id: str
    base_url: str
    config: ServerConfig
    _fingerprint: str | None = None

    @property
    def provider(self) -> Provider:
        return self.match.provider

    @property
    def model(self) -> str:
        model = self.body.get("model") if isinstance(self.body, dict) else None
        if isinstance(model, str):
            return model
        return self.match.deployment or ""

    def fingerprint(self, *salt: str) -> str:
        """A digest of the request body without its streaming switches: the same conversation gets the
        same ids whether it is streamed or not."""
        if self._fingerprint is None:
            body = self.body
            if isinstance(body, dict):
                body = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
            self._fingerprint = echo.digest(json.dumps(body, sort_keys=True, separators=(",", ":")))
        return echo.digest(self._fingerprint, *salt) if salt else self._fingerprint

    def id_headers(self) -> list[tuple[str, str]]:
        return [(name, self.request_id) for name in dialect_of(self.provider).request_id_headers]

    def error(self, status: int, payload: dict[str, Any], headers: Iterable[tuple[str, str]] = ()) -> Answer:
        stamp = dialect_of(self.provider).stamp_error
        if stamp is not None:
            payload = stamp(payload, self.request_id)
        return json_answer(status, payload, [*self.id_headers(), *headers])


def api_key(request: Request, provider: Provider) -> str | None:
    """The credential the request carries in ``provider``'s header (None when absent or empty)."""
    headers = request.headers
    name = dialect_of(provider).key_header
    key = headers.get(name) if name is not None else None
    if not key:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else None
    return key or None


def check_access(call: Call) -> Answer | None:
    """The error the provider gives before looking at the body (auth, api-version, anthropic-version)."""
    provider, request = call.provider, call.request
    if call.match.needs_api_version and not parse_qs(request.query_string).get("api-version"):
        return call.error(*provider_errors.unknown_route(provider, request.method, request.path))
    if call.config.require_auth:
        key = api_key(request, provider)
        if key is None:
            return call.error(*provider_errors.missing_key(provider))
        if call.config.api_keys and key not in call.config.api_keys:
            return call.error(*provider_errors.invalid_key(provider, key))
    check = dialect_of(provider).check
    return None if check is None else check(call)
