"""Vertex AI credentials: bearer tokens refreshed before expiry (a test credentials object with a clock),
one refresh for concurrent callers, google-auth's own user credentials refreshed over a loopback token
endpoint (no network), project / location resolution and the regional and global endpoints."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from modelwire.exceptions import AuthenticationError, BadRequestError
from modelwire.providers.google_auth import VertexAuth, vertex_base_url, vertex_location, vertex_project

T0 = dt.datetime(2026, 1, 1, 12, 0, 0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


class ExpiringCredentials:
    """Each refresh hands out token-<n> valid for an hour from the clock's now."""

    def __init__(self, clock: Clock, *, fail: bool = False) -> None:
        self.clock = clock
        self.token: str | None = None
        self.expiry: dt.datetime | None = None
        self.refreshes = 0
        self.fail = fail
        self.gate = threading.Event()
        self.gate.set()

    def refresh(self, request: Any) -> None:
        self.gate.wait(5)
        if self.fail:
            raise RuntimeError("invalid_grant: secret-refresh-token-1234 revoked")
        self.refreshes += 1
        self.token = f"token-{self.refreshes}"
        self.expiry = self.clock() + dt.timedelta(hours=1)


def test_a_token_is_fetched_once_and_refreshed_before_it_expires() -> None:
    clock = Clock()
    credentials = ExpiringCredentials(clock)
    auth = VertexAuth(credentials, clock=clock, refresh_margin=300)
    assert auth.headers() == {"Authorization": "Bearer token-1"}
    clock.now = T0 + dt.timedelta(minutes=54)  # six minutes left: still good
    assert auth.headers() == {"Authorization": "Bearer token-1"}
    clock.now = T0 + dt.timedelta(minutes=55, seconds=1)  # inside the margin: renewed before use
    assert auth.headers() == {"Authorization": "Bearer token-2"}
    assert credentials.refreshes == 2


def test_concurrent_callers_share_one_refresh() -> None:
    clock = Clock()
    credentials = ExpiringCredentials(clock)
    credentials.gate.clear()
    auth = VertexAuth(credentials, clock=clock)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(auth.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    credentials.gate.set()
    for thread in threads:
        thread.join()
    assert results == ["token-1"] * 8
    assert credentials.refreshes == 1


def test_async_headers_refresh_in_a_thread() -> None:
    clock = Clock()
    credentials = ExpiringCredentials(clock)
    auth = VertexAuth(credentials, clock=clock)

    async def run() -> list[dict[str, str]]:
        return list(await asyncio.gather(*(auth.aheaders() for _ in range(5))))

    assert asyncio.run(run()) == [{"Authorization": "Bearer token-1"}] * 5
    assert credentials.refreshes == 1


def test_a_failed_refresh_is_an_authentication_error_without_the_secret() -> None:
    from modelwire._redact import register_secret

    register_secret("secret-refresh-token-1234")
    auth = VertexAuth(ExpiringCredentials(Clock(), fail=True))
    with pytest.raises(AuthenticationError, match="could not refresh the Google access token") as info:
        auth.headers()
    assert "secret-refresh-token-1234" not in str(info.value)
    assert info.value.provider == "vertex_ai"


@pytest.fixture
def token_endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback OAuth token endpoint that records the form posts it receives."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["content-length"])
            seen.append({"path": self.path, "body": self.rfile.read(length).decode()})
            payload = json.dumps({"access_token": f"ya29.local-{len(seen)}", "expires_in": 3600}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/token", seen
    finally:
        server.shutdown()
        server.server_close()


def test_google_auth_user_credentials_refresh_over_httpx(
    token_endpoint: tuple[str, list[dict[str, Any]]],
) -> None:
    oauth2 = pytest.importorskip("google.oauth2.credentials")
    url, seen = token_endpoint
    credentials = oauth2.Credentials(
        token=None, refresh_token="rt-1", token_uri=url, client_id="cid", client_secret="cs"
    )
    auth = VertexAuth(credentials)
    assert auth.headers() == {"Authorization": "Bearer ya29.local-1"}
    assert auth.headers() == {"Authorization": "Bearer ya29.local-1"}  # valid for an hour: no second post
    assert len(seen) == 1
    assert "grant_type=refresh_token" in seen[0]["body"]
    assert "refresh_token=rt-1" in seen[0]["body"]
    credentials.expiry = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=60)
    assert auth.headers() == {"Authorization": "Bearer ya29.local-2"}


def test_from_adc_uses_google_auth_default(monkeypatch: pytest.MonkeyPatch) -> None:
    google_auth = pytest.importorskip("google.auth")
    credentials = ExpiringCredentials(Clock())
    calls: list[Any] = []

    def default(scopes: list[str]) -> tuple[Any, str]:
        calls.append(scopes)
        return credentials, "adc-project"

    monkeypatch.setattr(google_auth, "default", default)
    auth = VertexAuth.from_adc()
    assert auth.project == "adc-project"
    assert calls == [["https://www.googleapis.com/auth/cloud-platform"]]


def test_from_adc_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.auth", None)
    with pytest.raises(AuthenticationError, match=r"pip install 'modelwire\[vertex\]'"):
        VertexAuth.from_adc()


def test_importing_modelwire_does_not_import_google_auth() -> None:
    code = "import modelwire, modelwire.providers.google_auth, sys; print('google.auth' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_project_and_location_resolution() -> None:
    env = {"GOOGLE_CLOUD_PROJECT": "env-p", "GOOGLE_CLOUD_LOCATION": "europe-west4"}
    assert vertex_project("spec-p", "adc-p", env) == "spec-p"
    assert vertex_project(None, "adc-p", env) == "env-p"
    assert vertex_project(None, "adc-p", {}) == "adc-p"
    with pytest.raises(BadRequestError, match="no Google Cloud project"):
        vertex_project(None, None, {})
    assert vertex_location(None, env) == "europe-west4"
    assert vertex_location("global", env) == "global"
    assert vertex_location(None, {}) == "us-central1"


def test_regional_and_global_endpoints() -> None:
    assert vertex_base_url("p", "us-central1") == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models"
    )
    assert vertex_base_url("p", "global") == (
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models"
    )
