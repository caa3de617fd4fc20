"""Fork safety (issue 15.3): a child process gets fresh pools and limiter state of its own. Before, parent
and child shared pooled keep-alive sockets and read each other's answers (17-18 rounds of 20 went wrong).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from modelwire.policy.limiter import ModelLimiter
from modelwire.providers import OpenAICompatibleClient
from modelwire.types import ChatCompletionRequest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


class _EchoServer(ThreadingHTTPServer):
    """Keep-alive HTTP/1.1; answers each chat completion with its last message's content, after a pause
    long enough that two processes using one socket interleave."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Echo)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = orjson.loads(self.rfile.read(int(self.headers["content-length"])))
        text = body["messages"][-1]["content"]
        reply = orjson.dumps(
            {
                "id": "c",
                "object": "chat.completion",
                "created": 1,
                "model": "m",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
            }
        )
        threading.Event().wait(0.002)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[_EchoServer]:
    server = _EchoServer()
    yield server
    server.shutdown()
    server.server_close()


def _rounds(adapter: OpenAICompatibleClient, who: str, count: int) -> list[str]:
    """The wrong or failed answers among ``count`` calls that each ask for their own text back."""
    wrong = []
    for number in range(count):
        text = f"{who}-{number}"
        request = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": text}])
        try:
            got = adapter.completion(request).choices[0].message.content
        except Exception as exc:
            got = f"{type(exc).__name__}"
        if got != text:
            wrong.append(f"{text} -> {got}")
    return wrong


def test_a_forked_child_uses_its_own_connections_under_load(echo: _EchoServer) -> None:
    adapter = OpenAICompatibleClient(base_url=echo.url, api_key="sk-test", max_concurrency=4)
    assert _rounds(adapter, "warm", 2) == []  # the pool now holds an idle keep-alive connection
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its wrong rounds through the pipe, then leave without cleanup
        try:
            os.write(write, orjson.dumps(_rounds(adapter, "child", 40)))
        finally:
            os._exit(0)
    os.close(write)
    wrong: list[str] = []
    load = [
        threading.Thread(target=lambda n=n: wrong.extend(_rounds(adapter, f"thread{n}", 20)))
        for n in range(2)
    ]
    for thread in load:
        thread.start()
    parent_wrong = _rounds(adapter, "parent", 40)
    for thread in load:
        thread.join()
    with os.fdopen(read, "rb") as pipe:
        child_wrong = orjson.loads(pipe.read() or b'["no report"]')
    os.waitpid(pid, 0)
    adapter.close()
    assert (child_wrong, parent_wrong, wrong) == ([], [], [])


def test_a_forked_child_starts_with_nothing_in_flight() -> None:
    limiter = ModelLimiter("p/m", max_concurrency=2)
    permit = limiter.acquire(timeout=1)
    assert limiter.in_flight == 1
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            before = limiter.in_flight
            permit.release()  # taken by the parent: it does not count here
            second = limiter.acquire(timeout=1)
            third = limiter.acquire(timeout=1)
            os.write(write, orjson.dumps([before, limiter.in_flight]))
            second.release()
            third.release()
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        report = orjson.loads(pipe.read() or b"null")
    os.waitpid(pid, 0)
    assert report == [0, 2]
    assert limiter.in_flight == 1  # the parent's own count is untouched
    permit.release()
    assert limiter.in_flight == 0
