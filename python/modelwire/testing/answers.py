"""Scripted chat answers in each dialect's own body: a given text, a tool call with given input, or a
refusal. For what the echo model cannot say by itself, e.g. a structured answer that is not valid JSON,
then the valid one it gives by default:

    server.enqueue(Route.CHAT, answers.text("openai", '{"name": '))
    server.enqueue(Route.MESSAGES, answers.refusal("anthropic"))

``dialect`` is the route's body shape: ``"openai"`` (chat completions, Azure too), ``"responses"``,
``"anthropic"``, ``"bedrock"`` (Converse) or ``"gemini"`` (Gemini and Vertex AI). The bodies are
non-streamed answers; the answer's model is ``model``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from modelwire.testing.faults import Fault, respond

__all__ = ["DIALECTS", "refusal", "text", "tool_call"]

DIALECTS: Final = ("openai", "responses", "anthropic", "bedrock", "gemini")
_REFUSAL_TEXT: Final = "I can't help with that."


def _openai(message: dict[str, Any], finish: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def _responses(output: list[dict[str, Any]], model: str) -> dict[str, Any]:
    return {
        "id": "resp_scripted",
        "object": "response",
        "created_at": 1700000000,
        "model": model,
        "status": "completed",
        "output": output,
        "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
    }


def _anthropic(content: list[dict[str, Any]], stop: str, model: str) -> dict[str, Any]:
    return {
        "id": "msg_scripted",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 2},
    }


def _bedrock(content: list[dict[str, Any]], stop: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
        "metrics": {"latencyMs": 1},
    }


def _gemini(parts: list[dict[str, Any]], finish: str, model: str) -> dict[str, Any]:
    candidate: dict[str, Any] = {"index": 0, "finishReason": finish}
    if parts:
        candidate["content"] = {"role": "model", "parts": parts}
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
        "modelVersion": model,
    }


def _check(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")


def text(dialect: str, answer: str, *, model: str = "scripted-model") -> Fault:
    """An answer whose text is exactly ``answer``, ending naturally."""
    _check(dialect)
    body: dict[str, Any]
    if dialect == "openai":
        body = _openai({"content": answer, "refusal": None}, "stop", model)
    elif dialect == "responses":
        part = {"type": "output_text", "text": answer, "annotations": []}
        item = {"type": "message", "id": "msg_scripted", "role": "assistant", "status": "completed"}
        body = _responses([{**item, "content": [part]}], model)
    elif dialect == "anthropic":
        body = _anthropic([{"type": "text", "text": answer}], "end_turn", model)
    elif dialect == "bedrock":
        body = _bedrock([{"text": answer}], "end_turn")
    else:
        body = _gemini([{"text": answer}], "STOP", model)
    return respond(200, body)


def tool_call(
    dialect: str, name: str, arguments: dict[str, Any], *, call_id: str = "call_scripted", model: str = "m"
) -> Fault:
    """An answer that calls tool ``name`` with ``arguments`` (Anthropic and Bedrock: its input)."""
    _check(dialect)
    encoded = json.dumps(arguments)
    body: dict[str, Any]
    if dialect == "openai":
        call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": encoded}}
        body = _openai({"content": None, "tool_calls": [call]}, "tool_calls", model)
    elif dialect == "responses":
        item = {"type": "function_call", "id": "fc_1", "call_id": call_id, "name": name, "arguments": encoded}
        body = _responses([{**item, "status": "completed"}], model)
    elif dialect == "anthropic":
        block = {"type": "tool_use", "id": call_id, "name": name, "input": arguments}
        body = _anthropic([block], "tool_use", model)
    elif dialect == "bedrock":
        body = _bedrock([{"toolUse": {"toolUseId": call_id, "name": name, "input": arguments}}], "tool_use")
    else:
        body = _gemini([{"functionCall": {"name": name, "args": arguments}}], "STOP", model)
    return respond(200, body)


def refusal(dialect: str, *, reason: str = _REFUSAL_TEXT, model: str = "scripted-model") -> Fault:
    """The dialect's refusal: OpenAI's ``refusal`` field (a ``refusal`` part in the Responses API),
    Anthropic's ``stop_reason: refusal``, Bedrock's ``content_filtered`` stop, Gemini's ``SAFETY`` finish."""
    _check(dialect)
    body: dict[str, Any]
    if dialect == "openai":
        body = _openai({"content": None, "refusal": reason}, "stop", model)
    elif dialect == "responses":
        item = {"type": "message", "id": "msg_scripted", "role": "assistant", "status": "completed"}
        body = _responses([{**item, "content": [{"type": "refusal", "refusal": reason}]}], model)
    elif dialect == "anthropic":
        body = _anthropic([], "refusal", model)
    elif dialect == "bedrock":
        body = _bedrock([{"text": reason}], "content_filtered")
    else:
        body = _gemini([], "SAFETY", model)
    return respond(200, body)
