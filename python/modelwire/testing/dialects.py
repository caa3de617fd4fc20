"""What the local server knows of each wire dialect, registered by the module that serves it.

A routes module (``routes_openai``, ``routes_anthropic``, ...) ends with ``register(ServerDialect(...))``:
which paths are its routes, the handler of each route, its error bodies, the header its key comes in,
its request-id headers, its rate-limit headers and any check it makes before reading the body. The
server (``app``, ``routing``, ``provider_errors``) asks the registry and never names a provider itself.

Adding a dialect: a ``Provider`` member (and ``Route`` members for new operations) in ``records``, a
``routes_<name>.py`` that registers, and its name in ``app``'s import of the routes modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelwire.testing.records import Provider, Route

if TYPE_CHECKING:
    from modelwire.testing.routing import Answer, Call, RouteMatch

__all__ = ["ErrorShapes", "ServerDialect", "dialect_of", "dialects", "register"]

ErrorBody = tuple[int, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ErrorShapes:
    """A dialect's error bodies: ``preset(preset, model)`` for ``provider_errors.PRESETS``; the others for
    what the server itself refuses."""

    preset: Callable[[str, str], ErrorBody]
    missing_key: Callable[[], ErrorBody]
    invalid_key: Callable[[str], ErrorBody]
    invalid_request: Callable[[str, str | None, str | None], ErrorBody]  # (message, param, code)
    unknown_route: Callable[[str, str], ErrorBody]  # (method, path)


def _openai_rate_headers(wait_ms: int, per_minute: int) -> list[tuple[str, str]]:
    return [
        ("x-ratelimit-limit-requests", str(per_minute)),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", f"{wait_ms}ms"),
    ]


@dataclass(frozen=True, slots=True)
class ServerDialect:
    """One wire dialect as the server serves it.

    ``match(path)``: the route a path is in this dialect, or None. ``handlers``: the default answer of
    each route. ``prefixes``: paths an unknown URL under which gets this dialect's 404 (the longest
    registered prefix wins). ``recorded``: path suffixes of recorded request URLs and their routes (for
    replays). ``key_header``: where the key comes besides ``Authorization: Bearer``. ``stamp_error``:
    adds the request id to an error body (Anthropic puts it there). ``check``: refusals made before the
    body is read (a required version header). ``rate_limit_headers(wait_ms, per_minute)``: headers of a
    429 besides ``retry-after``; ``rate_limit_error(model, wait)``: its body when the body states the
    wait (Google's ``RetryInfo``), else the ``rate_limit`` preset."""

    provider: Provider
    match: Callable[[str], RouteMatch | None]
    handlers: Mapping[Route, Callable[[Call], Answer]]
    errors: ErrorShapes
    prefixes: tuple[str, ...] = ()
    recorded: tuple[tuple[str, Route], ...] = ()
    key_header: str | None = None
    request_id_headers: tuple[str, ...] = ("x-request-id",)
    stamp_error: Callable[[dict[str, Any], str], dict[str, Any]] | None = None
    check: Callable[[Call], Answer | None] | None = None
    rate_limit_headers: Callable[[int, int], list[tuple[str, str]]] = field(default=_openai_rate_headers)
    rate_limit_error: Callable[[str, float], ErrorBody] | None = None


_REGISTRY: dict[Provider, ServerDialect] = {}


def register(dialect: ServerDialect) -> ServerDialect:
    """Add (or replace) the dialect of ``dialect.provider``."""
    _REGISTRY[dialect.provider] = dialect
    return dialect


def dialect_of(provider: Provider) -> ServerDialect:
    try:
        return _REGISTRY[provider]
    except KeyError:
        raise LookupError(f"no server dialect is registered for {provider.value!r}") from None


def dialects() -> tuple[ServerDialect, ...]:
    """Every registered dialect, in registration order."""
    return tuple(_REGISTRY.values())
