"""``LocalProviderServer``: start the local provider server in a thread or a subprocess, and drive it.

The same handle API works in both modes: in a thread it calls the server's state directly, for a
subprocess it goes through the ``/_mw/`` control endpoints.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from modelwire.testing.app import App
from modelwire.testing.batch_jobs import BatchScript
from modelwire.testing.control import Control, HttpControl
from modelwire.testing.faults import Fault, load_recording, replay
from modelwire.testing.http11 import MAX_HEAD_BYTES
from modelwire.testing.records import Counters, RateLimit, RecordedRequest, Route, ServerConfig
from modelwire.testing.routing import route_for_url
from modelwire.testing.state import ServerState

__all__ = ["HOST", "LocalProviderServer", "listen"]

HOST = "127.0.0.1"  # loopback only, always: the server has no auth worth the name
READY_PREFIX = "modelwire.testing listening on "


async def listen(app: App, port: int) -> asyncio.Server:
    """Bind ``app`` to 127.0.0.1:``port`` (0: an ephemeral port) on the running loop."""
    app.loop = asyncio.get_running_loop()
    server = await asyncio.start_server(
        app.handle_connection, host=HOST, port=port, limit=MAX_HEAD_BYTES, backlog=2048
    )
    bound = server.sockets[0].getsockname()[1]
    app.base_url = f"http://{HOST}:{bound}"
    return server


async def close(app: App, server: asyncio.Server) -> None:
    server.close()
    await app.shutdown()
    await server.wait_closed()


class LocalProviderServer:
    """A local OpenAI-compatible / Azure / Anthropic server on 127.0.0.1 (see ``modelwire.testing``).

    ``with LocalProviderServer() as server:`` runs it in a background thread with its own event loop;
    ``LocalProviderServer.start_subprocess()`` runs it in another process. Settings are ``ServerConfig``
    fields, given as ``config=`` or as keywords (``require_auth=False``, ``rate_limit=RateLimit(50)``).
    """

    def __init__(self, port: int = 0, *, config: ServerConfig | None = None, **settings: Any) -> None:
        base = config or ServerConfig()
        self._config = base.updated(**settings) if settings else base
        self._requested_port = port
        self._port: int | None = None
        self._control: Control | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._process: subprocess.Popen[str] | None = None

    # --- lifecycle ---

    def start(self) -> Self:
        """Start in a background thread (idempotent)."""
        if self._control is not None:
            return self
        state = ServerState(self._config)
        app = App(state)
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                server = loop.run_until_complete(listen(app, self._requested_port))
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            self._loop = loop
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(close(app, server))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="modelwire-local-server", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"local provider server could not start: {failure[0]}") from failure[0]
        self._port = int(app.base_url.rsplit(":", 1)[1])
        self._control = app.control
        return self

    @classmethod
    def start_subprocess(
        cls,
        port: int = 0,
        *,
        config: ServerConfig | None = None,
        startup_timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        **settings: Any,
    ) -> LocalProviderServer:
        """Start the server in a child process (``python -m modelwire.testing serve``) and return its handle;
        stop it with ``stop()`` or a ``with`` block."""
        handle = cls(port, config=config, **settings)
        command = [
            sys.executable, "-m", "modelwire.testing", "serve",
            "--port", str(port), "--config", json.dumps(handle._config.to_json()),
        ]  # fmt: skip
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, env=None if env is None else dict(env)
        )
        handle._process = process
        try:
            handle._port = _read_port(process, startup_timeout)
        except BaseException:
            handle.stop()
            raise
        handle._control = HttpControl(HOST, handle._port)
        return handle

    def stop(self) -> None:
        """Stop the server (either mode); pending responses are cut and their connections closed."""
        if self._process is not None:
            process, self._process = self._process, None
            if process.stdout is not None:
                process.stdout.close()
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._thread is not None:
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._thread, self._loop = None, None
        self._control = None
        self._port = None

    def __enter__(self) -> Self:
        return self.start() if self._process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        if self._process is None:
            await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    # --- addresses ---

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the local provider server is not running")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the Anthropic SDK's ``base_url`` and Azure's ``azure_endpoint``."""
        return f"http://{HOST}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def gemini_base_url(self) -> str:
        """The Gemini API's base (``GeminiClient(base_url=...)``): ``{url}/v1beta``."""
        return f"{self.url}/v1beta"

    @property
    def vertex_base_url(self) -> str:
        """Vertex AI's models collection for project ``test-project`` in ``us-central1``
        (``VertexClient(base_url=...)``)."""
        return f"{self.url}/v1/projects/test-project/locations/us-central1/publishers/google/models"

    @property
    def azure_endpoint(self) -> str:
        return self.url

    @property
    def mode(self) -> str:
        return "subprocess" if self._process is not None else "thread"

    @property
    def pid(self) -> int:
        """The id of the process the server runs in."""
        return self._process.pid if self._process is not None else os.getpid()

    # --- scripting ---

    @property
    def _ctl(self) -> Control:
        if self._control is None:
            raise RuntimeError("the local provider server is not running")
        return self._control

    def enqueue(self, route: Route | str, *faults: Fault, model: str | None = None) -> None:
        """Queue scripted responses for the next requests of ``route`` (only those for ``model`` when given);
        they are consumed in order, then the route answers by default again."""
        if not faults:
            raise ValueError("enqueue needs at least one Fault")
        self._ctl.enqueue(Route(route).value, faults, model)

    def replay(
        self,
        recording: Any,
        *,
        route: Route | str | None = None,
        model: str | None = None,
        event_delay: float | None = None,
        status: int | None = None,
    ) -> Fault:
        """Serve a recorded corpus exchange on the next request of its route (taken from the recording's
        request URL unless given); returns the queued ``Fault``."""
        data = load_recording(recording)
        if route is None:
            url = str((data.get("request") or {}).get("url") or "")
            route = route_for_url(url)
            if route is None:
                raise ValueError(f"cannot tell the route of recorded URL {url!r}; pass route=")
        fault = replay(data, event_delay=event_delay, status=status)
        self.enqueue(route, fault, model=model)
        return fault

    def script_batches(self, *scripts: BatchScript) -> None:
        """Queue how the next provider batches (OpenAI ``/v1/batches``, Anthropic Message Batches) behave,
        one script per batch created, in order; later ones get ``BatchScript()`` (see ``batch_jobs``)."""
        self._ctl.script_batches(scripts)

    def pending(self, route: Route | str | None = None) -> int:
        """Scripted responses not consumed yet (for ``route``, or all)."""
        return self._ctl.pending(None if route is None else Route(route).value)

    def configure(self, **settings: Any) -> ServerConfig:
        """Change settings (``ServerConfig`` fields) on the running server; ``reset()`` restores them."""
        return self._ctl.configure(settings)

    def set_rate_limit(
        self,
        requests_per_second: float | None,
        *,
        burst: int | None = None,
        per_key: bool = False,
        retry_after: str = "both",
    ) -> None:
        """Answer 429 above ``requests_per_second`` (None turns the limit off); see ``RateLimit``."""
        limit = None
        if requests_per_second is not None:
            limit = RateLimit(requests_per_second, burst, per_key, retry_after)  # type: ignore[arg-type]
        self._ctl.configure({"rate_limit": limit})

    @property
    def config(self) -> ServerConfig:
        return self._ctl.config()

    # --- observation ---

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received since the last ``clear()``/``reset()``, in arrival order."""
        return self._ctl.requests()

    @property
    def last_request(self) -> RecordedRequest:
        requests = self.requests
        if not requests:
            raise LookupError("the local provider server has received no request")
        return requests[-1]

    def requests_for(
        self, route: Route | str | None = None, model: str | None = None
    ) -> list[RecordedRequest]:
        wanted = None if route is None else Route(route).value
        return [
            r
            for r in self.requests
            if (wanted is None or r.route == wanted) and (model is None or r.model == model)
        ]

    def counters(self) -> Counters:
        return self._ctl.counters()

    def clear(self) -> None:
        """Forget recorded requests and counters (queued faults and settings stay)."""
        self._ctl.clear()

    def reset(self) -> None:
        """Back to the start: no requests, counters at zero, no queued faults, the initial settings, and
        connections held by ``hang`` faults closed."""
        self._ctl.reset()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the process serving requests (in thread mode: this process)."""
        return self._ctl.cpu_seconds()

    def __repr__(self) -> str:
        where = self.url if self._port is not None else "not running"
        return f"<LocalProviderServer {self.mode} {where}>"


def _read_port(process: subprocess.Popen[str], timeout: float) -> int:
    """The port the child announces on its first stdout line."""
    if process.stdout is None:
        raise RuntimeError("the server process has no stdout pipe")
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"local provider server did not start within {timeout} s")
            if selector.select(remaining):
                line = process.stdout.readline()
                if line.startswith(READY_PREFIX):
                    return int(line.strip().rsplit(":", 1)[1])
                if not line:
                    code = process.wait()
                    raise RuntimeError(f"local provider server exited with status {code} before it was ready")
