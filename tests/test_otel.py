"""Issue 16.3 (b): ``modelwire.otel.OtelHooks`` seen through the OpenTelemetry SDK's in-memory span exporter
and metric reader, over real sockets: one span per call with a child per attempt, the GenAI semantic
conventions' attributes and metrics for a call with one retry and a fallback, content only when asked for,
and no key anywhere in what is exported."""

from __future__ import annotations

import asyncio
import gc
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from fixtures_policy import KEY, Runner, anthropic_model, openai_model
from modelwire import AsyncClient, Client, StreamInterruptedError
from modelwire.otel import CAPTURE_ENV, DURATION_BUCKETS, TOKEN_BUCKETS, OtelHooks
from modelwire.testing import LocalProviderServer, Route, faults


class Telemetry:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def hooks(self, **options: Any) -> OtelHooks:
        return OtelHooks(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **options)

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def metrics(self) -> dict[str, Any]:
        data = self.reader.get_metrics_data()
        assert data is not None
        return {
            metric.name: metric
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
        }


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    found = Telemetry()
    yield found
    found.tracer_provider.shutdown()
    found.meter_provider.shutdown()


def _port(server: LocalProviderServer) -> int:
    return int(server.openai_base_url.split(":")[2].split("/")[0])


def complete(mode: str, chain: Any, hooks: OtelHooks, **params: Any) -> Any:
    """One call through a fresh client of ``mode`` with call parameters (the runner takes options only)."""
    options: dict[str, Any] = {"hooks": [hooks], "limiters": False, "initial_retry_delay": 0.01}
    if mode == "sync":
        with Client(chain, **options) as client:
            return client.complete("hi", **params)

    async def run() -> Any:
        async with AsyncClient(chain, **options) as client:
            return await client.complete("hi", **params)

    return asyncio.run(run())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_retry_and_a_fallback_give_one_call_span_with_three_attempt_spans(
    mode: str, local_server: LocalProviderServer, telemetry: Telemetry
) -> None:
    local_server.enqueue(
        Route.CHAT, faults.rate_limited(retry_after=0.05), faults.preset("context_window"), model="model-a"
    )
    chain = [openai_model(local_server, "model-a"), anthropic_model(local_server, "claude-b")]
    response = complete(mode, chain, telemetry.hooks(), temperature=0.5, max_tokens=64)

    spans = telemetry.spans()
    (call,) = [s for s in spans if s.kind is SpanKind.INTERNAL]
    attempts = sorted((s for s in spans if s.kind is SpanKind.CLIENT), key=lambda s: s.start_time or 0)
    assert len(spans) == 4
    assert len(attempts) == 3
    assert call.parent is None
    assert call.context is not None
    for span in attempts:
        assert span.parent is not None
        assert span.parent.span_id == call.context.span_id
        assert span.context is not None
        assert span.context.trace_id == call.context.trace_id
    assert [s.name for s in attempts] == ["chat model-a", "chat model-a", "chat claude-b"]
    assert call.name == "chat claude-b"  # named after the attempt that answered

    first, second, third = (dict(s.attributes or {}) for s in attempts)
    port = _port(local_server)
    assert first == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "model-a",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.max_tokens": 64,
        "server.address": "127.0.0.1",
        "server.port": port,
        "modelwire.model": "openai/model-a",
        "modelwire.attempt": 1,
        "modelwire.attempt.number": 1,
        "error.type": "rate_limit",
    }
    assert (second["modelwire.attempt"], second["error.type"]) == (2, "context_window_exceeded")
    assert attempts[0].status.status_code is StatusCode.ERROR
    assert attempts[2].status.status_code is StatusCode.UNSET
    assert response.usage is not None
    assert {k: v for k, v in third.items() if k.startswith(("gen_ai", "error"))} == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-b",
        "gen_ai.request.temperature": 0.5,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.response.model": response.model,
        "gen_ai.response.id": response.id,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": response.usage.input_tokens,
        "gen_ai.usage.output_tokens": response.usage.output_tokens,
    }
    assert "gen_ai.input.messages" not in third
    assert "gen_ai.output.messages" not in third

    call_attributes = dict(call.attributes or {})
    assert call_attributes["gen_ai.response.model"] == response.model
    assert call_attributes["gen_ai.request.model"] == "claude-b"
    assert call_attributes["gen_ai.provider.name"] == "anthropic"
    assert call_attributes["modelwire.models"] == ("openai/model-a", "anthropic/claude-b")
    assert call_attributes["modelwire.attempts"] == 3
    assert "error.type" not in call_attributes
    retry, fallback = call.events
    assert retry.name == "modelwire.retry"
    assert dict(retry.attributes or {})["modelwire.retry_after"] == 0.05
    assert dict(retry.attributes or {})["error.type"] == "rate_limit"
    assert fallback.name == "modelwire.fallback"
    assert dict(fallback.attributes or {})["modelwire.to_model"] == "anthropic/claude-b"

    metrics = telemetry.metrics()
    tokens = metrics["gen_ai.client.token.usage"]
    assert tokens.unit == "{token}"
    points = {p.attributes["gen_ai.token.type"]: p for p in tokens.data.data_points}
    assert set(points) == {"input", "output"}
    assert points["input"].sum == response.usage.input_tokens
    assert points["output"].sum == response.usage.output_tokens
    assert tuple(points["input"].explicit_bounds) == TOKEN_BUCKETS
    assert dict(points["input"].attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-b",
        "gen_ai.response.model": response.model,
        "server.address": "127.0.0.1",
        "server.port": port,
        "gen_ai.token.type": "input",
    }
    duration = metrics["gen_ai.client.operation.duration"]
    assert duration.unit == "s"
    by_error = {p.attributes.get("error.type"): p for p in duration.data.data_points}
    assert set(by_error) == {"rate_limit", "context_window_exceeded", None}
    assert all(p.count == 1 for p in by_error.values())
    assert tuple(by_error[None].explicit_bounds) == DURATION_BUCKETS
    assert by_error[None].attributes["gen_ai.provider.name"] == "anthropic"


def test_a_failed_call_marks_its_span(
    runner: Runner, local_server: LocalProviderServer, telemetry: Telemetry
) -> None:
    local_server.enqueue(Route.CHAT, faults.preset("bad_request"), model="model-a")
    with pytest.raises(Exception, match="status 400"):
        runner.complete(openai_model(local_server, "model-a"), hooks=[telemetry.hooks()])
    (call,) = [s for s in telemetry.spans() if s.kind is SpanKind.INTERNAL]
    assert call.status.status_code is StatusCode.ERROR
    assert dict(call.attributes or {})["error.type"] == "bad_request"


def test_content_is_recorded_only_when_asked_for(
    local_server: LocalProviderServer, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    monkeypatch.setenv(CAPTURE_ENV, "true")
    for hooks in (telemetry.hooks(), telemetry.hooks(capture_content=False)):
        with Client(openai_model(local_server, "model-a"), hooks=[hooks], limiters=False) as client:
            client.complete(messages)
    with Client(
        openai_model(local_server, "model-a"), hooks=[telemetry.hooks(capture_content=True)]
    ) as client:
        client.complete(messages)
    attempts = [dict(s.attributes or {}) for s in telemetry.spans() if s.kind is SpanKind.CLIENT]
    by_env, off, on = attempts
    assert "gen_ai.input.messages" not in off
    assert "gen_ai.output.messages" not in off
    assert by_env["gen_ai.input.messages"] == on["gen_ai.input.messages"]
    assert json.loads(on["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]},
    ]
    assert json.loads(on["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "echo: hi"}], "finish_reason": "stop"}
    ]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def test_no_key_in_any_attribute_event_status_or_metric(
    runner: Runner, local_server: LocalProviderServer, telemetry: Telemetry
) -> None:
    """The provider echoes the key in its error message (as real ones do for a wrong key); everything
    exported (names, attributes, events, statuses, metric attributes), content capture on, is scanned."""
    leaking = {"error": {"message": f"Incorrect API key provided: {KEY}", "type": "requests"}}
    local_server.enqueue(
        Route.CHAT, faults.error(429, leaking, retry_after=0.01), faults.error(500, leaking), model="model-a"
    )
    chain = [openai_model(local_server, "model-a", max_retries=1), openai_model(local_server, "model-b")]
    runner.complete(chain, hooks=[telemetry.hooks(capture_content=True)])

    exported: list[str] = []
    spans = telemetry.spans()
    assert len(spans) == 4
    for span in spans:
        exported += [span.name, span.status.description or ""]
        exported += _strings(dict(span.attributes or {}))
        for event in span.events:
            exported += [event.name, *_strings(dict(event.attributes or {}))]
    for metric in telemetry.metrics().values():
        for point in metric.data.data_points:
            exported += _strings(dict(point.attributes))
    assert any("Incorrect API key provided" in text for text in exported)  # the error text is exported...
    assert not [text for text in exported if KEY in text]  # ...without the key
    assert not [text for text in exported if re.search(r"sk-[A-Za-z0-9_-]{16,}", text)]


def test_streams_record_their_first_token_and_their_interruption(
    local_server: LocalProviderServer, telemetry: Telemetry
) -> None:
    long = " ".join(f"word{i}" for i in range(300))
    local_server.enqueue(Route.CHAT, faults.drop_mid_body(1500, event_delay=0.01), model="model-b")
    with (
        Client(openai_model(local_server, "model-a"), hooks=[telemetry.hooks()], limiters=False) as client,
        client.stream(long) as stream,
    ):
        response = stream.final_response()
    with (
        Client(openai_model(local_server, "model-b"), hooks=[telemetry.hooks()], limiters=False) as client,
        pytest.raises(StreamInterruptedError),
        client.stream(long) as stream,
    ):
        for _ in stream:  # events delivered, then the connection drops
            pass
    ok_call, ok_attempt, cut_call, cut_attempt = sorted(
        telemetry.spans(), key=lambda s: (s.name, s.kind is SpanKind.CLIENT)
    )
    ok = dict(ok_attempt.attributes or {})
    assert ok["modelwire.time_to_first_token"] > 0
    assert response.usage is not None
    assert ok["gen_ai.usage.output_tokens"] == response.usage.output_tokens
    assert dict(ok_call.attributes or {})["modelwire.stream"] is True
    assert dict(cut_attempt.attributes or {})["error.type"] == "stream_interrupted"
    assert cut_attempt.status.status_code is StatusCode.ERROR
    assert dict(cut_call.attributes or {})["error.type"] == "stream_interrupted"


def test_a_dropped_stream_ends_its_spans(local_server: LocalProviderServer, telemetry: Telemetry) -> None:
    hooks = telemetry.hooks()
    with Client(openai_model(local_server, "model-a"), hooks=[hooks], limiters=False) as client:
        stream = client.stream(" ".join(f"word{i}" for i in range(300)))
        next(stream)
        del stream  # dropped mid-way, never closed
        gc.collect()
    call, attempt = sorted(telemetry.spans(), key=lambda s: s.kind is SpanKind.CLIENT)
    assert call.end_time is not None
    assert attempt.end_time is not None
    assert call.status.status_code is not StatusCode.ERROR
    assert hooks._calls == {}  # nothing left open in the table
