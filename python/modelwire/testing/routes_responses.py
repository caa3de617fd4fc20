"""The default answer of the OpenAI Responses API route (``POST /v1/responses``, Azure's
``/openai/responses`` and ``/openai/v1/responses``): a ``Response`` object or its event stream.

As the chat route, it echoes: the last user text (or the trailing function outputs) comes back as
``output_text``, a request with function tools whose last item is the user's gets a ``function_call`` of
the first (or the chosen) tool with arguments sampled from its schema, ``max_output_tokens`` cuts the text
(``status: incomplete``), ``text.format`` json_schema answers JSON. A request with ``reasoning`` gets a
``reasoning`` item first (a summary when ``reasoning.summary`` is set, ``encrypted_content`` when
``include`` asks for it). Reasoning items sent back are checked: their ``encrypted_content`` must be one
this server issued for that item id (as OpenAI refuses content it cannot decrypt), so a tool loop that
loses or alters them fails loudly.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

from modelwire.testing import echo, provider_errors
from modelwire.testing.routing import Answer, Call, json_answer, sse_answer

__all__ = ["encrypted_for", "responses"]

_ENCRYPTED: Final = "reasoning.encrypted_content"
_PREFIX: Final = "mw-enc:"


def encrypted_for(item_id: str) -> str:
    """The ``encrypted_content`` this server issues for reasoning item ``item_id``."""
    return _PREFIX + base64.b64encode(item_id.encode()).decode("ascii")


def _bad(call: Call, message: str, param: str | None = None, code: str | None = None) -> Answer:
    return call.error(*provider_errors.invalid_request(call.provider, message, param=param, code=code))


def _items(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    raw = body.get("input")
    if isinstance(raw, str):
        return [{"type": "message", "role": "user", "content": raw}]
    if isinstance(raw, list) and all(isinstance(item, dict) for item in raw):
        return raw
    return None


def _tool(body: dict[str, Any]) -> tuple[str, Any] | None:
    tools = [t for t in echo.items(body.get("tools")) if isinstance(t, dict) and t.get("type") == "function"]
    tools = [t for t in tools if isinstance(t.get("name"), str)]
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict) and choice.get("type") == "function":
        tools = [t for t in tools if t["name"] == choice.get("name")] or tools
    return tools[0]["name"], tools[0].get("parameters")


def _structured(body: dict[str, Any]) -> Any:
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_object":
        return {}
    if fmt.get("type") == "json_schema":
        return fmt.get("schema") or {}
    return None


def _check_reasoning(call: Call, items: list[dict[str, Any]]) -> Answer | None:
    for i, item in enumerate(items):
        if item.get("type") != "reasoning":
            continue
        item_id = item.get("id")
        if not isinstance(item_id, str) or not isinstance(item.get("summary"), list):
            return _bad(
                call, f"Invalid 'input[{i}]': a reasoning item needs an id and a summary.", f"input[{i}]"
            )
        if item.get("encrypted_content") != encrypted_for(item_id):
            message = f"The encrypted content for item {item_id} could not be verified."
            return _bad(call, message, f"input[{i}].encrypted_content", "invalid_encrypted_content")
    return None


def _reply(body: dict[str, Any], items: list[dict[str, Any]]) -> echo.Reply:
    outputs: list[str] = []
    for item in reversed(items):
        if item.get("type") != "function_call_output":
            break
        outputs.insert(0, echo.text_of(item.get("output")))
    users = [i for i in items if i.get("role") == "user"]
    last_is_user = bool(items) and items[-1].get("role") == "user"
    max_tokens = body.get("max_output_tokens")
    return echo.plan_reply(
        user_text=echo.text_of(users[-1].get("content")) if users else None,
        tool_results=outputs or None,
        tool=_tool(body) if last_is_user else None,
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
        stops=[],
        structured=_structured(body),
    )


def responses(call: Call) -> Answer:
    body = call.body
    if not isinstance(body.get("model"), str):
        return _bad(call, "Missing required parameter: 'model'.", "model", "missing_required_parameter")
    items = _items(body)
    if items is None:
        return _bad(call, "Invalid 'input': expected a string or an array of input items.", "input")
    refused = _check_reasoning(call, items)
    if refused is not None:
        return refused
    reply = _reply(body, items)
    response_id = "resp_" + call.fingerprint()
    output: list[dict[str, Any]] = []
    reasoning = body.get("reasoning")
    reasoning_tokens = 0
    if isinstance(reasoning, dict) and reasoning:
        reasoning_tokens = 8
        item_id = "rs_" + call.fingerprint("reasoning")
        summary = "Thinking about the answer." if reasoning.get("summary") else None
        item: dict[str, Any] = {
            "id": item_id,
            "type": "reasoning",
            "summary": [] if summary is None else [{"type": "summary_text", "text": summary}],
        }
        if _ENCRYPTED in echo.items(body.get("include")):
            item["encrypted_content"] = encrypted_for(item_id)
        output.append(item)
    if reply.tool_name is not None:
        output.append(
            {
                "id": "fc_" + call.fingerprint("tool"),
                "type": "function_call",
                "status": "completed",
                "call_id": "call_" + call.fingerprint("call"),
                "name": reply.tool_name,
                "arguments": reply.tool_arguments or "{}",
            }
        )
    else:
        text = {"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}
        output.append(
            {
                "id": "msg_" + call.fingerprint("message"),
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [text],
            }
        )
    prompt = sum(echo.words(echo.text_of(i.get("content") or i.get("output"))) for i in items)
    prompt += echo.words(body["instructions"]) if isinstance(body.get("instructions"), str) else 0
    completion = reply.completion_tokens + reasoning_tokens
    incomplete = reply.ended == "length"
    payload: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": echo.CREATED,
        "status": "incomplete" if incomplete else "completed",
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": call.model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "reasoning": reasoning if isinstance(reasoning, dict) else {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "usage": {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": prompt + completion,
        },
        "metadata": {},
    }
    if body.get("stream") is True:
        return sse_answer(_stream(payload), call.id_headers())
    return json_answer(200, payload, call.id_headers())


def _event(number: int, kind: str, **fields: Any) -> bytes:
    data = {"type": kind, **fields, "sequence_number": number}
    return f"event: {kind}\ndata: ".encode() + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


def _stream(final: dict[str, Any]) -> list[bytes]:
    """The events OpenAI sends for ``final``: created, each item added / its deltas / done, completed."""
    events: list[bytes] = []

    def add(kind: str, **fields: Any) -> None:
        events.append(_event(len(events), kind, **fields))

    opening = {**final, "status": "in_progress", "output": [], "usage": None, "incomplete_details": None}
    add("response.created", response=opening)
    add("response.in_progress", response=opening)
    for index, item in enumerate(final["output"]):
        kind = item["type"]
        at: dict[str, Any] = {"output_index": index, "item_id": item["id"]}
        if kind == "message":
            add(
                "response.output_item.added",
                output_index=index,
                item={**item, "content": [], "status": "in_progress"},
            )
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            add("response.content_part.added", **at, content_index=0, part=part)
            text = item["content"][0]["text"]
            for piece in echo.pieces(text):
                if piece:
                    add("response.output_text.delta", **at, content_index=0, delta=piece, logprobs=[])
            add("response.output_text.done", **at, content_index=0, text=text, logprobs=[])
            add("response.content_part.done", **at, content_index=0, part=item["content"][0])
        elif kind == "function_call":
            add(
                "response.output_item.added",
                output_index=index,
                item={**item, "arguments": "", "status": "in_progress"},
            )
            for fragment in echo.fragments(item["arguments"]):
                add("response.function_call_arguments.delta", **at, delta=fragment)
            add("response.function_call_arguments.done", **at, arguments=item["arguments"])
        else:  # reasoning
            add("response.output_item.added", output_index=index, item={**item, "summary": []})
            for n, summary in enumerate(item["summary"]):
                add(
                    "response.reasoning_summary_part.added",
                    **at,
                    summary_index=n,
                    part={**summary, "text": ""},
                )
                add("response.reasoning_summary_text.delta", **at, summary_index=n, delta=summary["text"])
                add("response.reasoning_summary_text.done", **at, summary_index=n, text=summary["text"])
                add("response.reasoning_summary_part.done", **at, summary_index=n, part=summary)
        add("response.output_item.done", output_index=index, item=item)
    add(f"response.{final['status']}", response=final)
    return events
