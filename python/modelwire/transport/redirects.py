"""Credentials never follow a redirect to another origin, whoever built the HTTP client.

httpx drops only ``Authorization`` when a redirect leaves the origin; providers' keys also travel as
``x-api-key`` (Anthropic), ``api-key`` (Azure), ``x-goog-api-key`` (Gemini) and more. A request hook,
added once to every client a transport uses (a user's client too), drops them all from any hop of one of
our requests whose origin (scheme, host, port) differs from the first hop's. Our requests are marked by
the ``ORIGIN_KEY`` extension, which httpx carries from hop to hop; a user's own requests on the same
client are left alone.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["CREDENTIAL_HEADERS", "ORIGIN_KEY", "guard_redirects"]

ORIGIN_KEY: Final = "modelwire.origin"

CREDENTIAL_HEADERS: Final = (
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "x-amz-security-token",
    "ocp-apim-subscription-key",
    "cookie",
)


def _strip(request: Any) -> None:
    first = request.extensions.get(ORIGIN_KEY)
    if first is None:  # not one of our requests
        return
    url = request.url
    origin = (url.scheme, url.host, url.port)
    if not first:
        first.append(origin)
    elif origin != first[0]:
        for name in CREDENTIAL_HEADERS:
            request.headers.pop(name, None)


async def _astrip(request: Any) -> None:
    _strip(request)


def guard_redirects(client: Any, *, is_async: bool) -> None:
    """Add the hook to ``client``'s request hooks (once)."""
    hook = _astrip if is_async else _strip
    hooks = client.event_hooks
    if hook not in hooks["request"]:
        client.event_hooks = {**hooks, "request": [*hooks["request"], hook]}
