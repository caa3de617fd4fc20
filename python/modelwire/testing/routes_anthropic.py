"""Default answers of the Anthropic Messages route, non-streamed and as the real SSE event sequence."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from modelwire.testing import echo, provider_errors
from modelwire.testing.dialects import ServerDialect, register
from modelwire.testing.records import Provider, Route
from modelwire.testing.routing import Answer, Call, RouteMatch, json_answer, sse_answer

__all__ = ["messages"]

_STOP_REASON = {None: "end_turn", "stop": "stop_sequence", "length": "max_tokens", "tool": "tool_use"}


def _bad(call: Call, message: str) -> Answer:
    return call.error(*provider_errors.invalid_request(call.provider, message))


def _tool(body: dict[str, Any]) -> tuple[str, Any] | None:
    tools = [
        t
        for t in echo.items(body.get("tools"))
        if isinstance(t, dict) and isinstance(t.get("name"), str) and "input_schema" in t
    ]
    choice = body.get("tool_choice")
    choice = choice if isinstance(choice, dict) else {}
    if not tools or choice.get("type") == "none":
        return None
    if choice.get("type") == "tool":
        tools = [t for t in tools if t["name"] == choice.get("name")] or tools
    return tools[0]["name"], tools[0]["input_schema"]


def _blocks(content: Any) -> list[dict[str, Any]]:
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _reply(body: dict[str, Any], messages: list[Any]) -> echo.Reply:
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    results = [b for b in _blocks(last.get("content")) if b.get("type") == "tool_result"]
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    user_texts = [echo.text_of(m.get("content")) for m in users if not _is_tool_turn(m)]
    stops = [s for s in echo.items(body.get("stop_sequences")) if isinstance(s, str)]
    choice = body.get("tool_choice")
    # A forced tool whose call failed (an error result: a structured-output re-ask) is called again.
    forced = isinstance(choice, dict) and choice.get("type") in ("tool", "any")
    failed = any(b.get("is_error") is True for b in results)
    answered = last.get("role") == "user" and results and not (forced and failed)
    return echo.plan_reply(
        user_text=user_texts[-1] if user_texts else None,
        tool_results=[echo.text_of(b.get("content")) for b in results] if answered else None,
        tool=_tool(body) if last.get("role") == "user" and not answered else None,
        max_tokens=body["max_tokens"],
        stops=stops,
        structured=_structured(body),
    )


def _structured(body: dict[str, Any]) -> Any:
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return fmt.get("schema") or {}
    return None


def _is_tool_turn(message: dict[str, Any]) -> bool:
    return any(b.get("type") == "tool_result" for b in _blocks(message.get("content")))


def _content(call: Call, reply: echo.Reply, thinking: bool) -> list[dict[str, Any]]:
    """The answer's content blocks: an optional thinking block, then the text and/or the tool call."""
    blocks: list[dict[str, Any]] = []
    if thinking:
        text = "thinking about: " + (reply.text or f"calling {reply.tool_name}")
        signature = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode("ascii")
        blocks.append({"type": "thinking", "thinking": text, "signature": signature})
    if reply.tool_name is None:
        blocks.append({"type": "text", "text": reply.text})
        return blocks
    choice = call.body.get("tool_choice")
    if not isinstance(choice, dict) or choice.get("type", "auto") == "auto":
        blocks.append({"type": "text", "text": f"calling {reply.tool_name}"})
    tool_id = "toolu_" + call.fingerprint("tool")
    arguments = json.loads(reply.tool_arguments or "{}")
    blocks.append({"type": "tool_use", "id": tool_id, "name": reply.tool_name, "input": arguments})
    return blocks


def _output_tokens(blocks: list[dict[str, Any]]) -> int:
    total = 0
    for block in blocks:
        if block["type"] == "tool_use":
            total += max(1, echo.words(json.dumps(block["input"], separators=(",", ":"))))
        else:
            total += echo.words(block.get("text") or block.get("thinking") or "")
    return total


def messages(call: Call) -> Answer:
    body = call.body
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            return _bad(call, f"{name}: Field required")
    msgs, max_tokens = body["messages"], body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return _bad(call, "max_tokens: Input should be a valid integer greater than or equal to 1")
    if not isinstance(msgs, list) or not msgs:
        return _bad(call, "messages: at least one message is required")
    reply = _reply(body, msgs)
    thinking_cfg = body.get("thinking")
    thinking = isinstance(thinking_cfg, dict) and thinking_cfg.get("type") in ("enabled", "adaptive")
    blocks = _content(call, reply, thinking)
    system = body.get("system")
    prompt = echo.words(echo.text_of(system)) + sum(
        echo.words(echo.text_of(m.get("content"))) for m in msgs if isinstance(m, dict)
    )
    usage = {
        "input_tokens": prompt,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": _output_tokens(blocks),
    }
    message: dict[str, Any] = {
        "id": "msg_" + call.fingerprint(),
        "type": "message",
        "role": "assistant",
        "model": call.model,
        "content": blocks,
        "stop_reason": _STOP_REASON[reply.ended],
        "stop_sequence": reply.stop_sequence,
        "usage": usage,
    }
    if body.get("stream") is True:
        return sse_answer(_stream(message), call.id_headers())
    return json_answer(200, message, call.id_headers())


def _event(kind: str, payload: dict[str, Any]) -> bytes:
    return (
        b"event: "
        + kind.encode()
        + b"\ndata: "
        + json.dumps(payload, separators=(",", ":")).encode()
        + b"\n\n"
    )


def _stream(message: dict[str, Any]) -> list[bytes]:
    usage = message["usage"]
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }
    events = [_event("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        opening: dict[str, dict[str, Any]] = {
            "text": {"type": "text", "text": ""},
            "thinking": {"type": "thinking", "thinking": "", "signature": ""},
        }
        first = opening.get(kind) or {**block, "input": {}}
        events.append(
            _event(
                "content_block_start", {"type": "content_block_start", "index": index, "content_block": first}
            )
        )
        if index == 0:
            events.append(_event("ping", {"type": "ping"}))
        events.extend(
            _event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            for delta in _deltas(block)
        )
        events.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    events.append(_event("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
    events.append(_event("message_stop", {"type": "message_stop"}))
    return events


def _deltas(block: dict[str, Any]) -> list[dict[str, Any]]:
    if block["type"] == "text":
        return [{"type": "text_delta", "text": p} for p in echo.pieces(block["text"]) if p]
    if block["type"] == "thinking":
        deltas = [{"type": "thinking_delta", "thinking": p} for p in echo.pieces(block["thinking"])]
        return [*deltas, {"type": "signature_delta", "signature": block["signature"]}]
    arguments = json.dumps(block["input"], separators=(",", ":"))
    return [{"type": "input_json_delta", "partial_json": p} for p in ["", *echo.fragments(arguments)]]


# --- the dialect these routes serve -----------------------------------------------------------------


def _match(path: str) -> RouteMatch | None:
    return RouteMatch(Route.MESSAGES, Provider.ANTHROPIC) if path == "/v1/messages" else None


def _stamp(payload: dict[str, Any], request_id: str) -> dict[str, Any]:
    return {**payload, "request_id": request_id} if payload.get("type") == "error" else payload


def _check(call: Call) -> Answer | None:
    if call.request.headers.get("anthropic-version"):
        return None
    return call.error(
        *provider_errors.invalid_request(call.provider, "anthropic-version: header is required")
    )


def _rate_limit_headers(wait_ms: int, per_minute: int) -> list[tuple[str, str]]:
    reset = datetime.now(UTC) + timedelta(milliseconds=wait_ms)
    return [
        ("anthropic-ratelimit-requests-limit", str(per_minute)),
        ("anthropic-ratelimit-requests-remaining", "0"),
        ("anthropic-ratelimit-requests-reset", reset.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"),
    ]


register(
    ServerDialect(
        Provider.ANTHROPIC,
        _match,
        {Route.MESSAGES: messages},
        provider_errors.ANTHROPIC_ERRORS,
        prefixes=("/v1/messages",),
        recorded=(("/messages", Route.MESSAGES),),
        key_header="x-api-key",
        request_id_headers=("request-id",),
        stamp_error=_stamp,
        check=_check,
        rate_limit_headers=_rate_limit_headers,
    )
)
