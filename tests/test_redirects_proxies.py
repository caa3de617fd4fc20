"""Credentials and redirects (issue 15.8), proxies from the environment (issue 15.6), over loopback.

Two servers on different ports are two origins: the first redirects, the second records what it got. A
tiny forward proxy answers absolute-form requests itself and records them, which proves it was used.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from modelwire.exceptions import ProviderError
from modelwire.providers import AnthropicClient, AzureOpenAIClient, OpenAICompatibleClient
from modelwire.transport import SyncTransport
from modelwire.transport.redirects import CREDENTIAL_HEADERS
from modelwire.types import ChatCompletionRequest

REQUEST = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}])
KEY = "sk-test-redirect-0123456789"
COMPLETION = (
    b'{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}'
)


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, redirect_to: str | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.redirect_to = redirect_to
        self.seen: list[tuple[str, dict[str, str]]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Recorder

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        target = self.server.redirect_to
        if target is not None and not self.path.startswith("/same"):
            # Anything not under /same goes to the other origin; /same... stays on this one.
            location = target + self.path if target != "self" else "/same" + self.path
            self.send_response(307)
            self.send_header("location", location)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(COMPLETION)))
        self.end_headers()
        self.wfile.write(COMPLETION)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def origins() -> Iterator[tuple[_Recorder, _Recorder]]:
    other = _Recorder()
    first = _Recorder(redirect_to=other.url)
    yield first, other
    first.stop()
    other.stop()


ADAPTERS = {
    "openai": lambda url, **kw: OpenAICompatibleClient(base_url=url + "/v1", api_key=KEY, **kw),
    "anthropic": lambda url, **kw: AnthropicClient(base_url=url, api_key=KEY, **kw),
    "azure": lambda url, **kw: AzureOpenAIClient(base_url=url, api_key=KEY, api_version="2024-10-21", **kw),
}


@pytest.mark.parametrize("name", ADAPTERS)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_cross_origin_redirect_drops_every_credential_header_of_a_users_client(
    origins: tuple[_Recorder, _Recorder], name: str, mode: str
) -> None:
    first, other = origins
    if mode == "sync":
        with httpx.Client(follow_redirects=True) as user_client:
            adapter = ADAPTERS[name](first.url, http_client=user_client)
            with contextlib.suppress(ProviderError):  # the other origin serves an OpenAI body to all
                adapter.completion(REQUEST)
    else:

        async def run() -> None:
            async with httpx.AsyncClient(follow_redirects=True) as user_client:
                adapter = ADAPTERS[name](first.url, async_http_client=user_client)
                with contextlib.suppress(ProviderError):
                    await adapter.acompletion(REQUEST)

        asyncio.run(run())
    (_, sent_first), (_, sent_other) = first.seen[0], other.seen[0]
    assert any(name in sent_first for name in CREDENTIAL_HEADERS)  # the key went to the first origin
    assert [name for name in CREDENTIAL_HEADERS if name in sent_other] == []
    assert KEY not in repr(sent_other)


def test_a_same_origin_redirect_keeps_the_key() -> None:
    server = _Recorder(redirect_to="self")
    try:
        with httpx.Client(follow_redirects=True) as user_client:
            adapter = OpenAICompatibleClient(
                base_url=server.url + "/v1", api_key=KEY, http_client=user_client
            )
            assert adapter.completion(REQUEST).choices[0].message.content == "ok"
        assert [path for path, _ in server.seen] == ["/v1/chat/completions", "/same/v1/chat/completions"]
        assert server.seen[1][1]["authorization"] == f"Bearer {KEY}"
    finally:
        server.stop()


def test_the_users_own_requests_on_the_client_are_left_alone(origins: tuple[_Recorder, _Recorder]) -> None:
    first, other = origins
    with httpx.Client(follow_redirects=True) as user_client:
        SyncTransport(first.url, client=user_client)  # adds the hook to the user's client
        user_client.post(first.url + "/x", headers={"x-api-key": "theirs"})
    assert other.seen[0][1]["x-api-key"] == "theirs"  # their business: httpx's rules apply


# --- proxies ------------------------------------------------------------------------------------------


class _Proxy(_Recorder):
    """A forward proxy that answers every request itself (the target is never contacted)."""


@pytest.fixture
def proxy() -> Iterator[_Recorder]:
    server = _Proxy()
    yield server
    server.stop()


def _clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_proxy_environment_is_honoured_by_default(
    proxy: _Recorder, monkeypatch: pytest.MonkeyPatch, variable: str, mode: str
) -> None:
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv(variable, proxy.url)
    # Nothing listens on the target: only the proxy can answer.
    adapter = OpenAICompatibleClient(base_url="http://127.0.0.1:9/v1", api_key=KEY)
    response = _complete(adapter, mode)
    assert response.choices[0].message.content == "ok"
    assert proxy.seen[0][0] == "http://127.0.0.1:9/v1/chat/completions"  # absolute form: a proxy request


def test_no_proxy_and_trust_env_false_bypass_the_proxy(
    proxy: _Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _Recorder()
    try:
        _clear_proxy_env(monkeypatch)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        off = OpenAICompatibleClient(base_url=target.url + "/v1", api_key=KEY, trust_env=False)
        assert _complete(off, "sync").choices[0].message.content == "ok"
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        bypassed = OpenAICompatibleClient(base_url=target.url + "/v1", api_key=KEY)
        assert _complete(bypassed, "async").choices[0].message.content == "ok"
        assert proxy.seen == []
        assert len(target.seen) == 2
    finally:
        target.stop()


def _complete(adapter: Any, mode: str) -> Any:
    if mode == "sync":
        with adapter:
            return adapter.completion(REQUEST)

    async def run() -> Any:
        async with adapter:
            return await adapter.acompletion(REQUEST)

    return asyncio.run(run())
