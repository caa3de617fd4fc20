"""Which route a path is, the request being answered (``Call``), the answer (``Answer``), and auth checks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from modelwire.testing import echo, provider_errors
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

_OPENAI_PATHS = {
    "/v1/chat/completions": Route.CHAT,
    "/v1/embeddings": Route.EMBEDDINGS,
    "/v1/images/generations": Route.IMAGES,
}
_OPERATIONS = {
    "chat/completions": Route.CHAT,
    "embeddings": Route.EMBEDDINGS,
    "images/generations": Route.IMAGES,
}
_AZURE_DEPLOYMENTS = "/openai/deployments/"
_AZURE_V1 = "/openai/v1/"  # Azure's newer versionless API: model in the body, no api-version


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: Route
    provider: Provider
    deployment: str | None = None
    needs_api_version: bool = False


def match(path: str) -> RouteMatch | None:
    route = _OPENAI_PATHS.get(path)
    if route is not None:
        return RouteMatch(route, Provider.OPENAI)
    if path == "/v1/messages":
        return RouteMatch(Route.MESSAGES, Provider.ANTHROPIC)
    if path.startswith(_AZURE_DEPLOYMENTS):
        deployment, _, operation = path[len(_AZURE_DEPLOYMENTS) :].partition("/")
        route = _OPERATIONS.get(operation)
        if route is not None and deployment:
            return RouteMatch(route, Provider.AZURE, deployment, needs_api_version=True)
    elif path.startswith(_AZURE_V1):
        route = _OPERATIONS.get(path[len(_AZURE_V1) :])
        if route is not None:
            return RouteMatch(route, Provider.AZURE)
    return None


def route_for_url(url: str) -> Route | None:
    """The route a recorded request URL was sent to, by its path's last segments (any host, any prefix)."""
    path = urlsplit(url).path.rstrip("/")
    for suffix, route in (
        ("/chat/completions", Route.CHAT),
        ("/embeddings", Route.EMBEDDINGS),
        ("/images/generations", Route.IMAGES),
        ("/messages", Route.MESSAGES),
    ):
        if path.endswith(suffix):
            return route
    return None


def provider_of_path(path: str) -> Provider | None:
    """The dialect an unknown path is probably meant for (it shapes the 404)."""
    if path.startswith("/openai/"):
        return Provider.AZURE
    if path.startswith("/v1/messages"):
        return Provider.ANTHROPIC
    if path.startswith("/v1/"):
        return Provider.OPENAI
    return None


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
        if self.provider is Provider.ANTHROPIC:
            return [("request-id", self.request_id)]
        if self.provider is Provider.AZURE:
            return [("x-request-id", self.request_id), ("apim-request-id", self.request_id)]
        return [("x-request-id", self.request_id)]

    def error(self, status: int, payload: dict[str, Any], headers: Iterable[tuple[str, str]] = ()) -> Answer:
        if self.provider is Provider.ANTHROPIC and payload.get("type") == "error":
            payload = {**payload, "request_id": self.request_id}
        return json_answer(status, payload, [*self.id_headers(), *headers])


def api_key(request: Request, provider: Provider) -> str | None:
    """The credential the request carries in ``provider``'s header (None when absent or empty)."""
    headers = request.headers
    if provider is Provider.ANTHROPIC:
        key = headers.get("x-api-key")
    elif provider is Provider.AZURE:
        key = headers.get("api-key")
    else:
        key = None
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
    if provider is Provider.ANTHROPIC and not request.headers.get("anthropic-version"):
        return call.error(*provider_errors.invalid_request(provider, "anthropic-version: header is required"))
    return None
