"""OpenTelemetry traces and metrics for modelwire calls, as a hook (``pip install 'modelwire[otel]'``)::

    from modelwire.otel import OtelHooks

    client = modelwire.Client("openai/gpt-4.1-mini", hooks=[OtelHooks()])

Each call is one span (kind INTERNAL, named ``{operation} {model}`` after the attempt that settled it: the
one that answered, or the last) with one child span per attempt
(kind CLIENT: the request to a provider), following the OpenTelemetry GenAI semantic conventions:
``gen_ai.operation.name``, ``gen_ai.provider.name``, ``gen_ai.request.*``, ``gen_ai.response.model`` /
``id`` / ``finish_reasons``, ``gen_ai.usage.input_tokens`` / ``output_tokens``, ``server.address`` /
``server.port``, and ``error.type`` (the ``ErrorKind`` of a ``ProviderError``, else the exception's class
name) on a failed attempt or call. Retries, fallbacks and admission waits are events on the call span.
Metrics: ``gen_ai.client.token.usage`` (per response, ``gen_ai.token.type`` input / output) and
``gen_ai.client.operation.duration`` (per attempt), with the conventions' bucket boundaries.

Prompts and completions are recorded (``gen_ai.input.messages`` / ``gen_ai.output.messages``, as JSON
strings, in the conventions' message schema) only with ``capture_content=True``, or when it is left
unset and ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``. No key, header or URL path is ever
an attribute: the server is its host and port, error texts go through ``modelwire._redact``.

Spans are parented to the span current when the call starts; the hook must be called inline (it is
synchronous, so it is, on ``Client`` and ``AsyncClient`` alike).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson

from modelwire._constants import VERSION
from modelwire._redact import redact, truncate
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

try:
    from opentelemetry import metrics, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError("modelwire.otel needs the OpenTelemetry API: pip install 'modelwire[otel]'") from exc

__all__ = ["DURATION_BUCKETS", "TOKEN_BUCKETS", "OtelHooks"]

# The explicit bucket boundaries the GenAI metric conventions give.
TOKEN_BUCKETS: Final = (
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
)
DURATION_BUCKETS: Final = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
CAPTURE_ENV: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_SCOPE: Final = "modelwire"

# modelwire's provider names -> the conventions' well-known gen_ai.provider.name values.
_PROVIDERS: Final = {
    "azure": "azure.ai.openai",
    "bedrock": "aws.bedrock",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "vertex": "gcp.vertex_ai",
    "mistral": "mistral_ai",
    "xai": "x_ai",
}
# ChatCompletionRequest field -> gen_ai.request.* attribute.
_REQUEST_FIELDS: Final = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "seed": "gen_ai.request.seed",
}


def error_type(error: BaseException) -> str:
    """``error.type``: a ``ProviderError``'s kind (``rate_limit``, ``timeout``, ...), else its class name."""
    kind = getattr(error, "kind", None)
    value = getattr(kind, "value", None)
    return value if isinstance(value, str) else type(error).__name__


def _text_parts(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for part in content if isinstance(content, list) else [content]:
        if isinstance(part, Mapping) and part.get("type") == "text":
            parts.append({"type": "text", "content": part.get("text", "")})
        elif isinstance(part, Mapping):
            parts.append({"type": str(part.get("type", "unknown"))})  # media: its kind, not its bytes
    return parts


def _tool_call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, str):
        with contextlib.suppress(orjson.JSONDecodeError):
            arguments = orjson.loads(arguments)
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def input_messages(messages: Iterable[Any]) -> list[dict[str, Any]]:
    """The request's messages in the conventions' input-message schema."""
    found = []
    for message in messages:
        if not isinstance(message, Mapping):  # an AssistantMessage handed back as history
            parts = _text_parts(getattr(message, "content", None))
            calls = getattr(message, "tool_calls", None) or []
            parts += [_tool_call(c.id, c.name, c.arguments_json) for c in calls]
            found.append({"role": "assistant", "parts": parts})
            continue
        role = str(message.get("role", "user"))
        if role == "tool":
            result = {
                "type": "tool_call_response",
                "id": message.get("tool_call_id"),
                "result": message.get("content"),
            }
            found.append({"role": role, "parts": [result]})
            continue
        parts = _text_parts(message.get("content"))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            parts.append(_tool_call(call.get("id"), function.get("name"), function.get("arguments")))
        found.append({"role": role, "parts": parts})
    return found


def output_messages(response: Any) -> list[dict[str, Any]]:
    """A chat response's choices in the conventions' output-message schema."""
    found = []
    for choice in getattr(response, "choices", None) or []:
        message = choice.message
        parts = _text_parts(getattr(message, "content", None))
        calls = getattr(message, "tool_calls", None) or []
        parts += [_tool_call(c.id, c.name, c.arguments_json) for c in calls]
        found.append({"role": "assistant", "parts": parts, "finish_reason": choice.finish_reason or ""})
    return found


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


class _Call:
    __slots__ = (
        "attempt",
        "attempt_attrs",
        "attempt_started",
        "latency",
        "metric_attrs",
        "operation",
        "response_attrs",
        "span",
    )

    def __init__(self, span: Any, operation: str) -> None:
        self.span = span
        self.operation = operation
        self.attempt: Any = None  # the open attempt span
        self.attempt_attrs: dict[str, Any] = {}
        self.metric_attrs: dict[str, Any] = {}
        self.response_attrs: dict[str, Any] = {}
        self.attempt_started = 0.0
        self.latency: float | None = None


class OtelHooks:
    """A hook that turns modelwire's events into OpenTelemetry spans and metrics (see the module
    docstring). ``tracer_provider`` / ``meter_provider``: default the global ones; ``capture_content``:
    record prompts and completions (default: the ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    environment variable)."""

    def __init__(
        self,
        *,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        capture_content: bool | None = None,
    ) -> None:
        self._tracer = trace.get_tracer(_SCOPE, VERSION, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, VERSION, meter_provider=meter_provider)
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(TOKEN_BUCKETS),
        )
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
        )
        if capture_content is None:
            capture_content = os.environ.get(CAPTURE_ENV, "").strip().lower() == "true"
        self.capture_content = capture_content
        self._calls: dict[int, _Call] = {}

    def __call__(self, event: Event) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    # -- the call span ------------------------------------------------------------------------------------

    def _started(self, event: CallStarted) -> None:
        name = f"{event.operation} {event.models[0]}" if event.models else event.operation
        span = self._tracer.start_span(
            name,
            kind=SpanKind.INTERNAL,
            attributes={
                "gen_ai.operation.name": event.operation,
                "modelwire.models": list(event.models),
                "modelwire.stream": bool(event.stream),
            },
        )
        self._calls[event.call_id] = _Call(span, event.operation)

    def _ended(self, event: CallEnded) -> None:
        call = self._calls.pop(event.call_id, None)
        if call is None:
            return
        self._end_attempt(call, event.error)
        span = call.span
        if event.error is None:
            span.set_attributes(call.response_attrs)
        else:
            span.set_attribute("error.type", error_type(event.error))
            span.set_status(Status(StatusCode.ERROR, truncate(redact(str(event.error)), 300)))
        span.set_attribute("modelwire.attempts", event.attempts)
        span.end()

    def _note(self, call_id: int, name: str, attributes: dict[str, Any]) -> None:
        """An event ``name`` on the span of call ``call_id`` (if it still has one)."""
        call = self._calls.get(call_id)
        if call is not None:
            call.span.add_event(name, attributes)

    def _retry(self, event: RetryDecided) -> None:
        attributes = {
            "modelwire.model": event.model,
            "modelwire.attempt": event.attempt,
            "modelwire.wait": event.wait,
            "error.type": error_type(event.error),
        }
        if event.retry_after is not None:
            attributes["modelwire.retry_after"] = event.retry_after
        self._note(event.call_id, "modelwire.retry", attributes)

    def _fallback(self, event: FallbackTaken) -> None:
        attributes = {
            "modelwire.from_model": event.from_model,
            "modelwire.to_model": event.to_model,
            "modelwire.reason": event.reason,
            "error.type": error_type(event.error),
        }
        self._note(event.call_id, "modelwire.fallback", attributes)

    def _admission(self, event: AdmissionWaited) -> None:
        attributes = {
            "modelwire.model": event.model,
            "modelwire.wait": event.seconds,
            "modelwire.admitted": event.admitted,
        }
        self._note(event.call_id, "modelwire.admission_wait", attributes)

    # -- attempt spans ------------------------------------------------------------------------------------

    def _sent(self, event: RequestSent) -> None:
        call = self._calls.get(event.call_id)
        if call is None:
            return
        self._end_attempt(call, None)  # defensive: attempts of one call never overlap
        request = event.request
        model = getattr(request, "model", None) or event.model
        common: dict[str, Any] = {
            "gen_ai.operation.name": event.operation,
            "gen_ai.provider.name": _PROVIDERS.get(event.provider, event.provider),
            "gen_ai.request.model": model,
        }
        if event.server_address:
            common["server.address"] = event.server_address
            if event.server_port is not None:
                common["server.port"] = event.server_port
        attributes = {
            **common,
            **self._request_attributes(request),
            "modelwire.model": event.model,
            "modelwire.attempt": event.attempt,
            "modelwire.attempt.number": event.number,
        }
        if self.capture_content and event.operation == "chat":
            attributes["gen_ai.input.messages"] = _json(input_messages(request.messages))
        context = trace.set_span_in_context(call.span)
        call.attempt = self._tracer.start_span(
            f"{event.operation} {model}", context=context, kind=SpanKind.CLIENT, attributes=attributes
        )
        call.attempt_started = time.monotonic()
        call.latency = None
        call.metric_attrs = common
        call.response_attrs = {}
        # The call span describes the attempt that settles it: the last one (the answer's, on success).
        call.span.update_name(f"{event.operation} {model}")
        call.span.set_attributes(common)

    @staticmethod
    def _request_attributes(request: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for field, key in _REQUEST_FIELDS.items():
            value = getattr(request, field, None)
            if isinstance(value, int | float) and not isinstance(value, bool):
                found[key] = value
        limit = getattr(request, "max_completion_tokens", None) or getattr(request, "max_tokens", None)
        if isinstance(limit, int):
            found["gen_ai.request.max_tokens"] = limit
        stop = getattr(request, "stop", None)
        if stop:
            stops = [stop] if isinstance(stop, str) else [str(s) for s in stop]
            found["gen_ai.request.stop_sequences"] = stops
        n = getattr(request, "n", None)
        if isinstance(n, int) and n != 1:
            found["gen_ai.request.choice.count"] = n
        dimensions = getattr(request, "dimensions", None)
        if isinstance(dimensions, int):
            found["gen_ai.embeddings.dimension.count"] = dimensions
        return found

    def _received(self, event: ResponseReceived) -> None:
        call = self._calls.get(event.call_id)
        if call is None or call.attempt is None:
            return
        response = event.response
        found: dict[str, Any] = {}
        if getattr(response, "model", None):
            found["gen_ai.response.model"] = response.model
        if getattr(response, "id", None):
            found["gen_ai.response.id"] = response.id
        choices = getattr(response, "choices", None)
        if choices:
            found["gen_ai.response.finish_reasons"] = [c.finish_reason or "" for c in choices]
        usage = event.usage
        if usage is not None:
            if isinstance(usage.input_tokens, int):
                found["gen_ai.usage.input_tokens"] = usage.input_tokens
            if isinstance(usage.output_tokens, int):
                found["gen_ai.usage.output_tokens"] = usage.output_tokens
        total = getattr(event.cost, "total", None)
        if isinstance(total, int | float):
            found["modelwire.cost.usd"] = float(total)
        if event.time_to_first_token is not None:
            found["modelwire.time_to_first_token"] = event.time_to_first_token
        call.attempt.set_attributes(found)
        if self.capture_content and event.operation == "chat":
            call.attempt.set_attribute("gen_ai.output.messages", _json(output_messages(response)))
        call.response_attrs = found
        call.latency = event.latency
        if "gen_ai.response.model" in found:
            call.metric_attrs = {**call.metric_attrs, "gen_ai.response.model": found["gen_ai.response.model"]}
        for kind, key in (("input", "gen_ai.usage.input_tokens"), ("output", "gen_ai.usage.output_tokens")):
            if key in found:
                self._tokens.record(found[key], {**call.metric_attrs, "gen_ai.token.type": kind})

    def _failed(self, event: AttemptFailed | StreamInterrupted) -> None:
        call = self._calls.get(event.call_id)
        if call is not None:
            self._end_attempt(call, event.error)

    def _end_attempt(self, call: _Call, error: BaseException | None) -> None:
        span = call.attempt
        if span is None:
            return
        call.attempt = None
        attributes = dict(call.metric_attrs)
        if error is not None:
            kind = error_type(error)
            attributes["error.type"] = kind
            span.set_attribute("error.type", kind)
            span.set_status(Status(StatusCode.ERROR, truncate(redact(str(error)), 300)))
        duration = call.latency if error is None and call.latency is not None else None
        self._duration.record(
            duration if duration is not None else time.monotonic() - call.attempt_started, attributes
        )
        span.end()


_HANDLERS: Final[dict[type, Any]] = {
    CallStarted: OtelHooks._started,
    RequestSent: OtelHooks._sent,
    ResponseReceived: OtelHooks._received,
    AttemptFailed: OtelHooks._failed,
    StreamInterrupted: OtelHooks._failed,
    RetryDecided: OtelHooks._retry,
    FallbackTaken: OtelHooks._fallback,
    AdmissionWaited: OtelHooks._admission,
    CallEnded: OtelHooks._ended,
}
