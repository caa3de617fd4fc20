"""The control API under ``/_mw/``: how a handle drives a server in another process.

``LocalControl`` (same process) and ``HttpControl`` (over the control endpoints) offer the same methods,
so ``LocalProviderServer`` behaves the same in thread and subprocess mode.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qs

from modelwire.testing import echo
from modelwire.testing.batch_jobs import BatchScript
from modelwire.testing.faults import Fault
from modelwire.testing.http11 import Request
from modelwire.testing.records import Counters, RecordedRequest, ServerConfig
from modelwire.testing.routing import Answer, json_answer
from modelwire.testing.state import ServerState

__all__ = ["Control", "HttpControl", "LocalControl", "handle"]

_IMAGE = re.compile(r"/_mw/images/([0-9a-f]{1,64})\.png")


class Control(Protocol):
    def requests(self) -> list[RecordedRequest]: ...
    def counters(self) -> Counters: ...
    def pending(self, route: str | None = None) -> int: ...
    def enqueue(self, route: str, faults: Iterable[Fault], model: str | None = None) -> None: ...
    def configure(self, changes: dict[str, Any]) -> ServerConfig: ...
    def config(self) -> ServerConfig: ...
    def clear(self) -> None: ...
    def reset(self) -> None: ...
    def cpu_seconds(self) -> float: ...
    def script_batches(self, scripts: Iterable[BatchScript]) -> None: ...


class LocalControl:
    def __init__(self, state: ServerState, release_hangs: Callable[[], None]) -> None:
        self._state = state
        self._release_hangs = release_hangs

    def requests(self) -> list[RecordedRequest]:
        return self._state.requests()

    def counters(self) -> Counters:
        return self._state.counters()

    def pending(self, route: str | None = None) -> int:
        return self._state.pending(route)

    def enqueue(self, route: str, faults: Iterable[Fault], model: str | None = None) -> None:
        self._state.enqueue(route, faults, model)

    def configure(self, changes: dict[str, Any]) -> ServerConfig:
        return self._state.configure(**changes)

    def config(self) -> ServerConfig:
        return self._state.config

    def clear(self) -> None:
        self._state.clear()

    def reset(self) -> None:
        self._state.reset()
        self._release_hangs()

    def cpu_seconds(self) -> float:
        return time.process_time()

    def script_batches(self, scripts: Iterable[BatchScript]) -> None:
        self._state.batches.script(scripts)


def handle(request: Request, control: LocalControl) -> Answer:
    """Answer one request to a ``/_mw/`` endpoint (runs on the server's event loop)."""
    path, method = request.path, request.method
    image = _IMAGE.fullmatch(path)
    if image is not None and method == "GET":
        return Answer(200, [("content-type", "image/png")], echo.png(image.group(1)))
    try:
        body: Any = json.loads(request.body) if request.body else {}
        result = _dispatch(method, path, body, parse_qs(request.query_string), control)
    except (TypeError, ValueError, KeyError) as exc:
        return json_answer(400, {"error": f"{type(exc).__name__}: {exc}"})
    if result is None:
        return json_answer(404, {"error": f"no control endpoint {method} {path}"})
    return json_answer(200, result)


def _dispatch(
    method: str, path: str, body: Any, query: dict[str, list[str]], control: LocalControl
) -> dict[str, Any] | None:
    endpoint = (method, path)
    if endpoint == ("GET", "/_mw/health"):
        return {"ok": True, "pid": os.getpid()}
    if endpoint == ("GET", "/_mw/requests"):
        return {"requests": [r.to_json() for r in control.requests()]}
    if endpoint == ("GET", "/_mw/counters"):
        return control.counters().to_json()
    if endpoint == ("GET", "/_mw/pending"):
        return {"pending": control.pending(query.get("route", [None])[0])}
    if endpoint == ("GET", "/_mw/config"):
        return control.config().to_json()
    if endpoint == ("GET", "/_mw/cpu"):
        return {"cpu_seconds": control.cpu_seconds()}
    if endpoint == ("POST", "/_mw/enqueue"):
        faults = [Fault.from_json(f) for f in body["faults"]]
        control.enqueue(str(body["route"]), faults, body.get("model"))
        return {"ok": True}
    if endpoint == ("POST", "/_mw/configure"):
        return control.configure(ServerConfig.changes_from_json(body)).to_json()
    if endpoint == ("POST", "/_mw/batch_scripts"):
        control.script_batches(BatchScript.from_json(s) for s in body["scripts"])
        return {"ok": True}
    if endpoint == ("POST", "/_mw/clear"):
        control.clear()
        return {"ok": True}
    if endpoint == ("POST", "/_mw/reset"):
        control.reset()
        return {"ok": True}
    return None


class HttpControl:
    """The control API of a server in another process, over its ``/_mw/`` endpoints."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self._host, self._port, self._timeout = host, port, timeout

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            body = None if payload is None else json.dumps(payload).encode()
            headers = {} if body is None else {"content-type": "application/json"}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise RuntimeError(f"control call {method} {path} failed: {response.status} {data[:300]!r}")
        return json.loads(data)

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_mw/health")
        return result

    def requests(self) -> list[RecordedRequest]:
        return [RecordedRequest.from_json(r) for r in self._call("GET", "/_mw/requests")["requests"]]

    def counters(self) -> Counters:
        return Counters.from_json(self._call("GET", "/_mw/counters"))

    def pending(self, route: str | None = None) -> int:
        return int(self._call("GET", "/_mw/pending" + (f"?route={route}" if route else ""))["pending"])

    def enqueue(self, route: str, faults: Iterable[Fault], model: str | None = None) -> None:
        payload = {"route": route, "model": model, "faults": [f.to_json() for f in faults]}
        self._call("POST", "/_mw/enqueue", payload)

    def configure(self, changes: dict[str, Any]) -> ServerConfig:
        current = ServerConfig()
        data = current.updated(**changes).to_json()
        payload = {k: data[k] for k in changes}
        return ServerConfig.from_json(self._call("POST", "/_mw/configure", payload))

    def config(self) -> ServerConfig:
        return ServerConfig.from_json(self._call("GET", "/_mw/config"))

    def clear(self) -> None:
        self._call("POST", "/_mw/clear")

    def reset(self) -> None:
        self._call("POST", "/_mw/reset")

    def cpu_seconds(self) -> float:
        return float(self._call("GET", "/_mw/cpu")["cpu_seconds"])

    def script_batches(self, scripts: Iterable[BatchScript]) -> None:
        self._call("POST", "/_mw/batch_scripts", {"scripts": [s.to_json() for s in scripts]})
