"""The local provider server in a child process: the same handle API through the /_mw/ control endpoints,
and the ``python -m modelwire.testing serve`` command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from corpus_files import recordings
from modelwire.testing import LocalProviderServer, RateLimit, Route, faults

AUTH = {"authorization": "Bearer sk-local"}
CHAT = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hello"}]}


def _chat(server: LocalProviderServer) -> httpx.Response:
    return httpx.post(server.openai_base_url + "/chat/completions", json=CHAT, headers=AUTH, timeout=10)


def test_runs_in_another_process(local_server_subprocess: LocalProviderServer) -> None:
    assert local_server_subprocess.mode == "subprocess"
    assert local_server_subprocess.pid != os.getpid()
    assert _chat(local_server_subprocess).json()["choices"][0]["message"]["content"] == "echo: hello"


def test_request_log_comes_through_the_control_endpoint(local_server_subprocess: LocalProviderServer) -> None:
    raw = json.dumps(CHAT).encode() + b"  "
    httpx.post(
        local_server_subprocess.openai_base_url + "/chat/completions?q=1",
        content=raw,
        headers={**AUTH, "X-Trace": "t1"},
    )
    (request,) = local_server_subprocess.requests
    assert request.body == raw
    assert request.json == CHAT
    assert request.query == {"q": "1"}
    assert request.headers["x-trace"] == "t1"
    assert ("X-Trace", "t1") in request.raw_headers


def test_faults_and_replays_cross_the_process_boundary(local_server_subprocess: LocalProviderServer) -> None:
    server = local_server_subprocess
    stream = next(r for r in recordings("chat_completions_stream", providers=("openai",)) if r.status == 200)
    server.enqueue(Route.CHAT, faults.error(503, retry_after=2), faults.drop_mid_body(10))
    server.replay(stream, event_delay=0.001)
    assert server.pending(Route.CHAT) == 3
    unavailable = _chat(server)
    assert (unavailable.status_code, unavailable.headers["retry-after"]) == (503, "2")
    with pytest.raises(httpx.RemoteProtocolError):
        _chat(server)
    replayed = _chat(server)
    assert replayed.content == stream.body
    assert server.pending() == 0
    assert server.counters().statuses == {503: 1, 200: 2}


def test_settings_and_counters_through_the_control_endpoint(
    local_server_subprocess: LocalProviderServer,
) -> None:
    server = local_server_subprocess
    server.set_rate_limit(0.1, burst=1)
    assert server.config.rate_limit == RateLimit(0.1, burst=1)
    assert [_chat(server).status_code for _ in range(2)] == [200, 429]
    counters = server.counters()
    assert (counters.requests, counters.rate_limited) == (2, 1)
    server.configure(require_auth=False, api_keys=["x"])
    assert server.config.api_keys == ("x",)
    with pytest.raises(TypeError, match="unknown server settings"):
        server.configure(nope=1)
    server.reset()
    assert server.config.rate_limit is None
    assert server.counters().requests == 0


def test_reset_releases_a_hang_in_the_child(local_server_subprocess: LocalProviderServer) -> None:
    server = local_server_subprocess
    server.enqueue(Route.CHAT, faults.hang())
    raw = json.dumps(CHAT).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n"
            b"content-length: %d\r\n\r\n" % len(raw) + raw
        )
        deadline = time.monotonic() + 10
        while not server.requests:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        server.reset()
        assert sock.recv(100) == b""


def test_cpu_seconds_is_the_childs(local_server_subprocess: LocalProviderServer) -> None:
    before = local_server_subprocess.cpu_seconds()
    with httpx.Client(base_url=local_server_subprocess.openai_base_url, headers=AUTH) as client:
        for _ in range(50):
            client.post("/chat/completions", json=CHAT)
    assert local_server_subprocess.cpu_seconds() > before


def test_stop_ends_the_process_and_frees_the_port() -> None:
    server = LocalProviderServer.start_subprocess(require_auth=False)
    port, process = server.port, server._process
    assert httpx.post(server.openai_base_url + "/chat/completions", json=CHAT).status_code == 200
    server.stop()
    assert process is not None
    assert process.poll() is not None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_a_taken_port_makes_start_fail_clearly(local_server: LocalProviderServer) -> None:
    with pytest.raises(RuntimeError, match="exited with status"):
        LocalProviderServer.start_subprocess(local_server.port)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_serve_command_on_a_fixed_port() -> None:
    port = _free_port()
    command = [sys.executable, "-m", "modelwire.testing", "serve", "--port", str(port), "--no-auth"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            assert (
                process.stdout.readline().strip() == f"modelwire.testing listening on http://127.0.0.1:{port}"
            )
            response = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=CHAT)
            assert response.json()["choices"][0]["message"]["content"] == "echo: hello"
            health = httpx.get(f"http://127.0.0.1:{port}/_mw/health").json()
            assert health == {"ok": True, "pid": process.pid}
        finally:
            process.terminate()
            assert process.wait(10) == 0


def test_the_serve_command_rejects_bad_arguments() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "modelwire.testing", "serve", "--port", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "--port" in result.stderr
