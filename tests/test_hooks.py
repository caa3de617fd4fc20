"""Issue 16.3 (a): the hooks API end to end over real sockets, sync and async: which events a call sends, in
what order and with what in them (a 429 with Retry-After, a fallback, an admission wait, a stream's time to
first token, an interrupted stream), and that a hook that raises never breaks the call."""

from __future__ import annotations

import asyncio
import gc
import logging
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from fixtures_policy import Runner, openai_model
from modelwire import (
    AdmissionTimeoutError,
    AsyncClient,
    BadRequestError,
    Client,
    ErrorKind,
    StreamInterruptedError,
)
from modelwire.events import (
    AdmissionWaited,
    AttemptFailed,
    CallEnded,
    CallStarted,
    Event,
    FallbackTaken,
    RequestSent,
    ResponseReceived,
    RetryDecided,
    StreamInterrupted,
)
from modelwire.policy import Limiters
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.types.stream import StreamEvent

LONG = " ".join(f"word{i}" for i in range(300))


def kinds(events: list[Event]) -> list[str]:
    return [type(event).__name__ for event in events]


def test_a_retry_then_a_fallback_sends_every_event_in_order(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    local_server.enqueue(
        Route.CHAT, faults.rate_limited(retry_after=0.2), faults.preset("context_window"), model="model-a"
    )
    chain = [openai_model(local_server, "model-a"), openai_model(local_server, "model-b")]
    events: list[Event] = []
    response = runner.complete(chain, hooks=[events.append])

    assert kinds(events) == [
        "CallStarted",
        "RequestSent", "AttemptFailed", "RetryDecided",
        "RequestSent", "AttemptFailed", "FallbackTaken",
        "RequestSent", "ResponseReceived",
        "CallEnded",
    ]  # fmt: skip
    assert len({event.call_id for event in events}) == 1
    started, sent1, failed1, retry, sent2, failed2, fallback, sent3, received, ended = events
    assert isinstance(started, CallStarted)
    assert (started.operation, started.models, started.stream) == (
        "chat",
        ("openai/model-a", "openai/model-b"),
        False,
    )
    port = int(local_server.openai_base_url.split(":")[2].split("/")[0])
    for sent, (model, attempt, number) in zip(
        (sent1, sent2, sent3), [("model-a", 1, 1), ("model-a", 2, 2), ("model-b", 1, 3)], strict=True
    ):
        assert isinstance(sent, RequestSent)
        assert (sent.model, sent.attempt, sent.number) == (f"openai/{model}", attempt, number)
        assert (sent.provider, sent.operation, sent.request.model) == ("openai", "chat", model)
        assert (sent.server_address, sent.server_port) == ("127.0.0.1", port)
    assert isinstance(failed1, AttemptFailed)
    assert (failed1.kind, failed1.status_code, failed1.attempt) == (ErrorKind.RATE_LIMIT, 429, 1)
    assert isinstance(retry, RetryDecided)
    assert (retry.model, retry.attempt, retry.kind, retry.retry_after) == (
        "openai/model-a",
        1,
        ErrorKind.RATE_LIMIT,
        0.2,
    )
    assert retry.wait >= 0.2  # the Retry-After is honoured: the decided wait is at least what was asked
    assert runner.decided_waits() == [pytest.approx(retry.wait, abs=0.005)]
    assert isinstance(failed2, AttemptFailed)
    assert failed2.kind is ErrorKind.CONTEXT_WINDOW_EXCEEDED
    assert isinstance(fallback, FallbackTaken)
    assert (fallback.from_model, fallback.to_model) == ("openai/model-a", "openai/model-b")
    assert fallback.kind is ErrorKind.CONTEXT_WINDOW_EXCEEDED
    assert fallback.error is failed2.error
    assert isinstance(received, ResponseReceived)
    assert received.response is response
    assert received.usage == response.usage is not None
    assert received.cost is getattr(response, "cost", None)
    assert received.time_to_first_token is None
    assert received.latency > 0
    assert isinstance(ended, CallEnded)
    assert (ended.model, ended.attempts, ended.error) == ("openai/model-b", 3, None)
    assert ended.duration >= retry.wait + received.latency


def test_a_failed_call_ends_with_its_error(runner: Runner, local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.preset("bad_request"), model="model-a")
    events: list[Event] = []
    with pytest.raises(BadRequestError) as info:
        runner.complete(openai_model(local_server, "model-a"), hooks=[events.append])
    assert kinds(events) == ["CallStarted", "RequestSent", "AttemptFailed", "CallEnded"]
    ended = events[-1]
    assert isinstance(ended, CallEnded)
    assert (ended.model, ended.attempts, ended.error) == (None, 1, info.value)


def test_a_stream_reports_its_time_to_first_token(runner: Runner, local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.slow_stream(0.002), model="model-a")
    events: list[Event] = []
    received: list[StreamEvent] = []
    response = runner.stream(openai_model(local_server, "model-a"), received, LONG, hooks=[events.append])
    assert kinds(events) == ["CallStarted", "RequestSent", "ResponseReceived", "CallEnded"]
    started, _, done, ended = events
    assert isinstance(started, CallStarted)
    assert started.stream
    assert isinstance(done, ResponseReceived)
    assert done.time_to_first_token is not None
    assert 0 < done.time_to_first_token < done.latency  # the first event came before the last
    assert done.usage == response.usage is not None
    assert isinstance(ended, CallEnded)
    assert (ended.model, ended.error) == ("openai/model-a", None)


def test_an_interrupted_stream_is_reported(runner: Runner, local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.drop_mid_body(1500, event_delay=0.01), model="model-a")
    chain = [openai_model(local_server, "model-a"), openai_model(local_server, "model-b")]
    events: list[Event] = []
    received: list[StreamEvent] = []
    with pytest.raises(StreamInterruptedError) as info:
        runner.stream(chain, received, LONG, hooks=[events.append])
    assert kinds(events) == ["CallStarted", "RequestSent", "StreamInterrupted", "CallEnded"]
    interrupted, ended = events[2:]
    assert isinstance(interrupted, StreamInterrupted)
    assert interrupted.error is info.value
    assert (interrupted.model, interrupted.attempt) == ("openai/model-a", 1)
    assert interrupted.events_delivered == len(received) > 0
    assert isinstance(ended, CallEnded)
    assert ended.error is info.value


def _admission_events(client_events: list[Event]) -> list[AdmissionWaited]:
    return [event for event in client_events if isinstance(event, AdmissionWaited)]


def _wait_until_queued(limiters: Limiters) -> None:
    (limiter,) = limiters._limiters.values()
    while "queued=0" in repr(limiter):  # the second call is in the limiter's queue
        time.sleep(0.005)


def test_an_admission_wait_is_reported_sync(local_server: LocalProviderServer) -> None:
    events: list[Event] = []
    limiters = Limiters()
    model = openai_model(local_server, "model-a", max_concurrency=1)
    with Client(model, hooks=[events.append], limiters=limiters) as client:
        stream = client.stream("hi").open()  # holds the only slot until closed
        answers: list[Any] = []
        second = threading.Thread(target=lambda: answers.append(client.complete("hi")))
        second.start()
        _wait_until_queued(limiters)
        stream.close()
        second.join()
    assert answers
    assert answers[0].message.content == "echo: hi"
    (waited,) = _admission_events(events)
    assert (waited.model, waited.attempt, waited.admitted) == ("openai/model-a", 1, True)
    assert waited.seconds > 0
    second_call = [e for e in events if e.call_id == waited.call_id]
    assert kinds(second_call) == ["CallStarted", "AdmissionWaited", "RequestSent", "ResponseReceived",
                                  "CallEnded"]  # fmt: skip


def test_an_admission_timeout_is_reported_async(local_server: LocalProviderServer) -> None:
    events: list[Event] = []
    limiters = Limiters()
    model = openai_model(local_server, "model-a", max_concurrency=1, max_retries=0)

    async def run() -> None:
        async with AsyncClient(
            model, hooks=[events.append], limiters=limiters, admission_timeout=0.1
        ) as client:
            stream = await client.stream("hi")
            try:
                with pytest.raises(AdmissionTimeoutError):
                    await client.complete("hi")
            finally:
                await stream.aclose()

    asyncio.run(run())
    (waited,) = _admission_events(events)
    assert (waited.admitted, waited.seconds) == (False, 0.1)
    second_call = [e for e in events if e.call_id == waited.call_id]
    assert kinds(second_call) == ["CallStarted", "AdmissionWaited", "AttemptFailed", "CallEnded"]


def test_a_raising_hook_is_logged_once_per_event_type_and_never_breaks_the_call(
    runner: Runner, local_server: LocalProviderServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="modelwire.hooks")

    def broken(event: Event) -> None:
        raise RuntimeError(f"hook failed on {type(event).__name__}")

    after: list[Event] = []
    for _ in range(2):
        response = runner.complete(openai_model(local_server, "model-a"), hooks=[broken, after.append])
        assert response.message.content == "echo: hi"
    assert kinds(after) == ["CallStarted", "RequestSent", "ResponseReceived", "CallEnded"] * 2
    records = [r for r in caplog.records if r.name == "modelwire.hooks"]
    warnings = [r for r in records if r.levelno == logging.WARNING]
    # Each client has its own hooks: the two calls each log their four event types once at WARNING.
    assert len(warnings) == 8
    assert all(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in records)


def test_a_hook_failing_twice_logs_the_second_time_at_debug(
    local_server: LocalProviderServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="modelwire.hooks")

    def broken(event: Event) -> None:
        if isinstance(event, RequestSent):
            raise ValueError("nope")

    with Client(openai_model(local_server, "model-a"), hooks=[broken], limiters=False) as client:
        client.complete("hi")
        client.complete("hi")
    levels = [r.levelno for r in caplog.records if r.name == "modelwire.hooks"]
    assert levels == [logging.WARNING, logging.DEBUG]


def test_async_hooks_run_in_order_off_the_call_path_and_aclose_waits_for_them(
    local_server: LocalProviderServer, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    gate = asyncio.Event()

    async def slow(event: Event) -> None:
        await gate.wait()  # held until the call has returned: the call does not wait for its hooks
        await asyncio.sleep(0)
        seen.append(type(event).__name__)

    async def failing(event: Event) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("async hook failed")

    async def run() -> None:
        async with AsyncClient(
            openai_model(local_server, "model-a"), hooks=[slow, failing], limiters=False
        ) as client:
            response = await client.complete("hi")
            assert response.message.content == "echo: hi"
            assert seen == []
            gate.set()
        # aclose() waited for every scheduled run
        assert seen == ["CallStarted", "RequestSent", "ResponseReceived", "CallEnded"]

    asyncio.run(run())
    warnings = [r for r in caplog.records if r.name == "modelwire.hooks" and r.levelno == logging.WARNING]
    assert len(warnings) == 4
    assert all(r.exc_info and str(r.exc_info[1]) == "async hook failed" for r in warnings)


def test_a_sync_client_refuses_an_async_hook(local_server: LocalProviderServer) -> None:
    async def hook(event: Event) -> None:
        pass

    with pytest.raises(TypeError, match="async hooks need an AsyncClient"):
        Client(openai_model(local_server, "model-a"), hooks=[hook])


@pytest.mark.parametrize(
    "hooks", [print, "print", [print, 3]], ids=["bare-callable", "string", "not-callable"]
)
def test_hooks_must_be_a_list_of_callables(local_server: LocalProviderServer, hooks: Any) -> None:
    with pytest.raises(TypeError, match="hook"):
        Client(openai_model(local_server, "model-a"), hooks=hooks)


def test_with_options_replaces_the_hooks(local_server: LocalProviderServer) -> None:
    first: list[Event] = []
    second: list[Event] = []
    with Client(openai_model(local_server, "model-a"), hooks=[first.append], limiters=False) as client:
        copy = client.with_options(hooks=[second.append])
        assert copy.hooks == (second.append,)
        assert client.hooks == (first.append,)
        assert client.with_options(deadline=30).hooks == (first.append,)  # other options keep them
        copy.complete("hi")
        silent = client.with_options(hooks=[])
        silent.complete("hi")
    assert first == []
    assert kinds(second) == ["CallStarted", "RequestSent", "ResponseReceived", "CallEnded"]


def test_embeddings_and_images_are_traced(local_server: LocalProviderServer) -> None:
    events: list[Event] = []
    with Client(openai_model(local_server, "model-a"), hooks=[events.append], limiters=False) as client:
        vectors = client.embed(["a", "b"])
        client.generate_image("a cat")
    started = [e for e in events if isinstance(e, CallStarted)]
    assert [e.operation for e in started] == ["embeddings", "images"]
    (embedded, _) = [e for e in events if isinstance(e, ResponseReceived)]
    assert embedded.response is vectors
    assert embedded.operation == "embeddings"


def test_neither_hooks_nor_opentelemetry_load_unless_used() -> None:
    code = (
        "import sys, modelwire;"
        "print([m for m in ('modelwire.events', 'modelwire.otel', 'opentelemetry') if m in sys.modules]);"
        "modelwire.Client;"
        "print([m for m in ('modelwire.otel', 'opentelemetry') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "[]"]


def test_a_response_is_reported_once_the_facade_is_done_with_it_and_before_its_rejection(
    runner: Runner, local_server: LocalProviderServer
) -> None:
    """``ResponseReceived`` goes out after the facade's own checks ran on the response (so what the facade
    sets on it, such as ``response.cost``, is there), and before the ``AttemptFailed`` that rejects it."""
    log: list[str] = []
    verdicts = iter([ValueError("not good enough"), None])

    def validator(response: Any) -> None:
        log.append("validated")
        verdict = next(verdicts)
        if verdict is not None:
            raise verdict

    def hook(event: Event) -> None:
        log.append(type(event).__name__)

    runner.complete(openai_model(local_server, "model-a"), hooks=[hook], response_validator=validator)
    assert log == [
        "CallStarted",
        "RequestSent", "validated", "ResponseReceived", "AttemptFailed", "RetryDecided",
        "RequestSent", "validated", "ResponseReceived",
        "CallEnded",
    ]  # fmt: skip


def test_a_stream_dropped_without_being_closed_still_ends_its_call(local_server: LocalProviderServer) -> None:
    events: list[Event] = []
    with Client(openai_model(local_server, "model-a"), hooks=[events.append], limiters=False) as client:
        stream = client.stream(LONG)
        next(stream)
        assert kinds(events) == ["CallStarted", "RequestSent"]
        del stream  # neither read to its end nor closed
        gc.collect()
        assert kinds(events) == ["CallStarted", "RequestSent", "CallEnded"]
    ended = events[-1]
    assert isinstance(ended, CallEnded)
    assert (ended.error, ended.attempts) == (None, 1)  # as a stream its caller closed


def test_aclose_stops_waiting_for_a_stuck_async_hook_with_a_warning(
    local_server: LocalProviderServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("modelwire.facade.hooks.HOOKS_DRAIN_TIMEOUT", 0.05)
    cancelled: list[str] = []

    async def stuck(event: Event) -> None:
        try:
            await asyncio.Event().wait()  # an exporter that never answers
        except asyncio.CancelledError:
            cancelled.append(type(event).__name__)
            raise

    async def run() -> None:
        client = AsyncClient(openai_model(local_server, "model-a"), hooks=[stuck], limiters=False)
        await client.complete("hi")
        await asyncio.wait_for(client.aclose(), 30)  # the guard only turns a hang into a failure
        await asyncio.sleep(0)  # the cancelled run unwinds

    asyncio.run(run())
    assert cancelled == ["CallStarted"]  # the first run was stuck; the ones queued behind it never began
    warnings = [
        r.getMessage() for r in caplog.records if r.name == "modelwire.hooks" and r.levelno == logging.WARNING
    ]
    assert warnings == [
        "modelwire: 4 async hook run(s) still running after 0.05s at aclose(); cancelling them"
    ]
