"""One connection's life: read requests, pick the answer (scripted, rate-limited or default), deliver it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import traceback
from urllib.parse import parse_qsl

# The routes modules register their dialects when imported: a new dialect adds its module here.
from modelwire.testing import (  # noqa: F401
    control,
    provider_errors,
    routes_anthropic,
    routes_batches_anthropic,
    routes_batches_openai,
    routes_bedrock,
    routes_gemini,
    routes_openai,
)
from modelwire.testing.delivery import deliver
from modelwire.testing.dialects import dialect_of
from modelwire.testing.faults import Fault, FaultAction
from modelwire.testing.http11 import ProtocolError, Request, read_request, response_head
from modelwire.testing.records import RecordedRequest, Route, decode_json
from modelwire.testing.routing import (
    Answer,
    Call,
    RouteMatch,
    api_key,
    check_access,
    json_answer,
    match,
    provider_of_path,
)
from modelwire.testing.state import ServerState

__all__ = ["App"]

# The provider batch APIs (files, batches): GET routes too, bodies that are not JSON objects.
_BATCH_APIS = {
    Route.FILES: routes_batches_openai,
    Route.BATCHES: routes_batches_openai,
    Route.MESSAGE_BATCHES: routes_batches_anthropic,
}


def _batch_match(path: str) -> RouteMatch | None:
    return routes_batches_openai.match(path) or routes_batches_anthropic.match(path)


class App:
    """The request handler of one server; lives on the server's event loop."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.base_url = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.control = control.LocalControl(state, self.release_hangs)
        self._writers: set[asyncio.StreamWriter] = set()
        self._hanging: set[asyncio.StreamWriter] = set()

    async def handle_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        connection = self.state.next_connection()
        try:
            while True:
                try:
                    request = await read_request(reader, writer)
                except ProtocolError as exc:
                    body = json.dumps(
                        {"error": {"message": exc.message, "type": "invalid_request_error"}}
                    ).encode()
                    writer.write(
                        response_head(exc.status, [], content_length=len(body), keep_alive=False) + body
                    )
                    await _lingering_close(reader, writer)
                    break
                if request is None or not await self._serve(request, connection, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def release_hangs(self) -> None:
        """Abort every connection held by a ``hang`` fault (thread-safe)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._abort_hanging)

    def _abort_hanging(self) -> None:
        for writer in list(self._hanging):
            writer.transport.abort()

    async def shutdown(self) -> None:
        """Cut every connection and end every task on this loop (the loop is the server's own)."""
        current = asyncio.current_task()
        for _ in range(10):  # connections accepted while closing start tasks of their own
            await asyncio.sleep(0)
            others = [t for t in asyncio.all_tasks() if t is not current]
            if not others:
                return
            for writer in list(self._writers):
                writer.transport.abort()
            for task in others:
                task.cancel()
            await asyncio.wait(others, timeout=5)

    async def _serve(
        self, request: Request, connection: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        config = self.state.config
        if request.path.startswith("/_mw/"):
            answer = control.handle(request, self.control)
            return await self._deliver(reader, writer, answer, None, request)
        found = match(request.path) or _batch_match(request.path)
        body = decode_json(request.body)
        seq = self.state.next_seq()
        call = None if found is None else Call(request, found, body, f"req_{seq:024x}", self.base_url, config)
        model = call.model if call is not None else ""
        if config.record_requests:
            self._record(request, seq, connection, body, found, model)
        if call is None or (request.method != "POST" and call.match.route not in _BATCH_APIS):
            answer = self._unknown(request, found)
            self.state.count("unknown", model, answer.status, limited=False)
            return await self._deliver(reader, writer, answer, None, request)

        fault = self.state.take_fault(call.match.route, model)
        limited = False
        if fault is not None and fault.replaces_answer:
            answer = _scripted(call, fault)
        else:
            try:
                answer, limited = self._default(call)
            except Exception as exc:  # a bug here must reach the test as a clear answer, not a dropped socket
                traceback.print_exc()
                message = f"modelwire.testing could not answer this request: {exc!r}"
                answer = call.error(500, {"error": {"message": message, "type": "local_server_error"}})
            if fault is not None:
                answer.headers.extend(fault.headers)
            if config.latency and not limited:
                await asyncio.sleep(config.latency)  # the model "generating"; a 429 answers at once
        silent = fault is not None and fault.action in (FaultAction.RESET, FaultAction.HANG)
        self.state.count(call.match.route.value, model, 0 if silent else answer.status, limited=limited)
        return await self._deliver(reader, writer, answer, fault, request)

    async def _deliver(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        answer: Answer,
        fault: Fault | None,
        request: Request,
    ) -> bool:
        return await deliver(
            reader,
            writer,
            answer,
            fault,
            keep_alive=request.keep_alive,
            default_event_delay=self.state.config.stream_event_delay,
            hanging=self._hanging,
        )

    def _record(
        self, request: Request, seq: int, connection: int, body: object, found: RouteMatch | None, model: str
    ) -> None:
        self.state.record(
            RecordedRequest(
                seq=seq,
                connection=connection,
                method=request.method,
                path=request.path,
                query_string=request.query_string,
                query=dict(parse_qsl(request.query_string, keep_blank_values=True)),
                headers=request.headers,
                raw_headers=tuple(request.raw_headers),
                body=request.body,
                json=body,
                route=None if found is None else found.route.value,
                provider=None if found is None else found.provider.value,
                model=model if found is not None else None,
            )
        )

    def _unknown(self, request: Request, found: RouteMatch | None) -> Answer:
        if found is not None:  # a known path with the wrong method
            payload = provider_errors.error_for_status(found.provider, 405)
            return json_answer(405, payload, [("allow", "POST")])
        provider = provider_of_path(request.path)
        return json_answer(*provider_errors.unknown_route(provider, request.method, request.path))

    def _default(self, call: Call) -> tuple[Answer, bool]:
        denied = check_access(call)
        if denied is not None:
            return denied, False
        wait = self.state.admit(api_key(call.request, call.provider) or "")
        if wait is not None:
            return _rate_limited(call, wait, self.state), True
        batch_api = _BATCH_APIS.get(call.match.route)
        if batch_api is not None:
            return batch_api.answer(call, self.state.batches), False
        if not isinstance(call.body, dict):
            message = (
                "We could not parse the JSON body of your request. The API expects a JSON object, but what "
                "was sent was not a valid JSON object."
            )
            return call.error(*provider_errors.invalid_request(call.provider, message)), False
        return dialect_of(call.provider).handlers[call.match.route](call), False


async def _lingering_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Send FIN, then read what the client still sends for a moment: closing with unread input would
    make the kernel answer with a reset that can destroy the error response before the client reads it."""
    await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            while await reader.read(65536):
                pass


def _scripted(call: Call, fault: Fault) -> Answer:
    headers = list(fault.headers)
    names = {name.lower() for name, _ in headers}
    headers.extend(h for h in call.id_headers() if h[0] not in names)
    if fault.events is not None:
        return Answer(fault.status or 200, headers, events=list(fault.events))
    if fault.body is not None:
        return Answer(fault.status or 200, headers, fault.body)
    if fault.preset is not None:
        status, payload = provider_errors.preset_error(call.provider, fault.preset, model=call.model)
    else:
        status = fault.status or 500
        payload = provider_errors.error_for_status(call.provider, status, model=call.model)
    answer = call.error(fault.status or status, payload)
    answer.headers.extend(h for h in fault.headers if h[0].lower() not in {"x-request-id", "request-id"})
    return answer


def _rate_limited(call: Call, wait: float, state: ServerState) -> Answer:
    limit = state.config.rate_limit
    form = "both" if limit is None else limit.retry_after
    per_second = 0.0 if limit is None else limit.requests_per_second
    headers: list[tuple[str, str]] = []
    if form in ("both", "seconds"):
        headers.append(("retry-after", str(max(1, math.ceil(wait)))))
    if form in ("both", "ms"):
        headers.append(("retry-after-ms", str(max(1, math.ceil(wait * 1000)))))
    wait_ms = max(1, math.ceil(wait * 1000))
    dialect = dialect_of(call.provider)
    headers += dialect.rate_limit_headers(wait_ms, math.floor(per_second * 60))
    if dialect.rate_limit_error is not None:
        status, payload = dialect.rate_limit_error(call.model, wait)
    else:
        status, payload = provider_errors.preset_error(call.provider, "rate_limit", model=call.model)
    return call.error(status, payload, headers)
