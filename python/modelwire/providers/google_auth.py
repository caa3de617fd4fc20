"""Google endpoints and credentials for Gemini: the Gemini API (an API key) and Vertex AI (OAuth bearer
tokens from Application Default Credentials, through the optional ``google-auth`` package).

``VertexAuth`` is the signing hook a Vertex request calls: ``headers()`` (sync) or ``await aheaders()``
returns ``{"Authorization": "Bearer <token>"}``, refreshing the token first when it expires within
``refresh_margin`` seconds. One refresh runs at a time (a lock), so a burst of concurrent requests costs a
single token request; the async path runs the blocking refresh in a worker thread. Token requests go over
httpx (a small adapter to google-auth's transport interface), so ``requests`` is not needed.

``google.auth`` is imported only when ADC are loaded (``VertexAuth.from_adc``): ``import modelwire`` never
pays for it, and a missing package is a clear error naming the extra (``pip install 'modelwire[vertex]'``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from modelwire.exceptions import AuthenticationError, BadRequestError

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "GEMINI_API_BASE",
    "GoogleCredentials",
    "VertexAuth",
    "vertex_base_url",
    "vertex_location",
    "vertex_project",
]

GEMINI_API_BASE: Final = "https://generativelanguage.googleapis.com/v1beta"
CLOUD_PLATFORM_SCOPE: Final = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_LOCATION: Final = "us-central1"
REFRESH_MARGIN: Final = 300.0  # seconds before expiry at which a token is renewed
_PROJECT_ENV: Final = ("VERTEXAI_PROJECT", "VERTEX_PROJECT", "GOOGLE_CLOUD_PROJECT")
_LOCATION_ENV: Final = ("VERTEXAI_LOCATION", "VERTEX_LOCATION", "GOOGLE_CLOUD_LOCATION")
_PROVIDER: Final = "vertex_ai"


class GoogleCredentials(Protocol):
    """What VertexAuth uses of a ``google.auth.credentials.Credentials`` (any object with these works)."""

    token: str | None
    expiry: dt.datetime | None  # naive UTC, as google-auth keeps it; None: never expires

    def refresh(self, request: Any) -> None: ...


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _first_env(names: tuple[str, ...], environ: Mapping[str, str]) -> str | None:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def vertex_project(
    given: str | None, adc_project: str | None = None, environ: Mapping[str, str] = os.environ
) -> str:
    """The GCP project: the spec's, else the environment's (``VERTEXAI_PROJECT``, ``VERTEX_PROJECT``,
    ``GOOGLE_CLOUD_PROJECT``), else the one the credentials belong to."""
    project = given or _first_env(_PROJECT_ENV, environ) or adc_project
    if not project:
        raise BadRequestError(
            "no Google Cloud project for Vertex AI: set vertex_project in the model spec or "
            "VERTEXAI_PROJECT / GOOGLE_CLOUD_PROJECT in the environment",
            provider=_PROVIDER,
        )
    return project


def vertex_location(given: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The region (or ``global``): the spec's, else the environment's, else ``us-central1``."""
    return given or _first_env(_LOCATION_ENV, environ) or DEFAULT_LOCATION


def vertex_base_url(project: str, location: str) -> str:
    """The models collection of Google's publisher models; ``{base}/{model}:generateContent`` etc."""
    host = "aiplatform.googleapis.com" if location == "global" else f"{location}-aiplatform.googleapis.com"
    return f"https://{host}/v1/projects/{project}/locations/{location}/publishers/google/models"


class VertexAuth:
    """Vertex AI bearer tokens from ``credentials``, renewed ``refresh_margin`` seconds before expiry."""

    def __init__(
        self,
        credentials: GoogleCredentials,
        *,
        project: str | None = None,
        refresh_margin: float = REFRESH_MARGIN,
        clock: Callable[[], dt.datetime] = _utcnow,
        request: Callable[..., Any] | None = None,
    ) -> None:
        self.credentials = credentials
        self.project = project  # the project the credentials name, when they do
        self._margin = dt.timedelta(seconds=refresh_margin)
        self._clock = clock
        self._request = request
        self._lock = threading.Lock()

    @classmethod
    def from_adc(cls, *, scopes: tuple[str, ...] = (CLOUD_PLATFORM_SCOPE,), **options: Any) -> VertexAuth:
        """Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's user login, the
        metadata server), via ``google.auth.default``."""
        try:
            import google.auth
        except ImportError:
            raise AuthenticationError(
                "Vertex AI needs google-auth for its credentials: pip install 'modelwire[vertex]'",
                provider=_PROVIDER,
            ) from None
        try:
            credentials, project = google.auth.default(scopes=list(scopes))
        except Exception as exc:  # DefaultCredentialsError and whatever a broken key file raises
            raise AuthenticationError(
                f"no Google Application Default Credentials: {exc}", provider=_PROVIDER
            ) from None
        return cls(credentials, project=project, **options)

    def _stale(self) -> bool:
        token, expiry = self.credentials.token, self.credentials.expiry
        if not token:
            return True
        return expiry is not None and expiry - self._clock() <= self._margin

    def token(self) -> str:
        """A token valid for at least ``refresh_margin`` more seconds (refreshed here when it was not)."""
        if self._stale():
            with self._lock:
                if self._stale():  # another thread may have refreshed while this one waited
                    self._refresh()
        token = self.credentials.token
        if not token:
            raise AuthenticationError(
                "Google credentials refreshed without giving a token", provider=_PROVIDER
            )
        return token

    def _refresh(self) -> None:
        try:
            self.credentials.refresh(self._request or _HttpxRequest())
        except AuthenticationError:
            raise
        except Exception as exc:  # google.auth.exceptions.RefreshError, TransportError, ...
            raise AuthenticationError(
                f"could not refresh the Google access token: {type(exc).__name__}: {exc}", provider=_PROVIDER
            ) from None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    async def aheaders(self) -> dict[str, str]:
        if self._stale():
            await asyncio.to_thread(self.token)  # the refresh blocks: not on the event loop
        return self.headers()


class _Response:
    """google.auth.transport.Response, duck-typed."""

    __slots__ = ("data", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.status = status
        self.headers = headers
        self.data = data


class _HttpxRequest:
    """google.auth.transport.Request over httpx, so refreshing needs no ``requests`` package."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **_: Any,
    ) -> _Response:
        import httpx

        try:
            response = httpx.request(
                method, url, content=body, headers=dict(headers or {}), timeout=timeout or self.timeout
            )
        except httpx.HTTPError as exc:
            from google.auth.exceptions import TransportError

            raise TransportError(f"{type(exc).__name__}: {exc}") from None  # type: ignore[no-untyped-call]
        return _Response(response.status_code, dict(response.headers), response.content)
