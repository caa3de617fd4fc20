"""OpenAI Responses API bodies (``POST /v1/responses``) to canonical types (docs/parsing-rules-responses.md).

The pure-Python reference; the Rust port (``rust/modelwire-core/src/responses.rs``) gives equal objects
and the same errors. JSON reading, type coercion, error texts, usage and finish-reason normalisation are
those of docs/parsing-rules.md. The stream folder (:mod:`stream_responses`) reads items with the helpers
here, so a streamed response and a body agree.
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.parsing.pure._read import (
    Fault,
    at,
    expected,
    opt_dict,
    opt_int,
    opt_list,
    opt_str,
    required_str,
    run,
)
from modelwire.parsing.pure.finish import normalise_finish_reason
from modelwire.parsing.pure.usage import parse_usage
from modelwire.types import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    FinishReason,
    ReasoningItem,
    ToolCall,
    new_tool_call_id,
)

__all__ = [
    "PIECE_SEPARATOR",
    "ReadItem",
    "check_error",
    "finish_of",
    "native_finish",
    "opt_whole",
    "parse_responses",
    "read_item",
]

_WHOLE_LIMIT: Final = 2.0**53
_KINDS: Final = ("message", "function_call", "reasoning")
PIECE_SEPARATOR: Final = "\n\n"
"""Joins the texts of separate message items, and separate reasoning parts, into one string."""


class ReadItem:
    """An output item as read: its kind and the members that kind reads (others are never checked)."""

    __slots__ = (
        "arguments",
        "call_id",
        "content",
        "encrypted",
        "id",
        "kind",
        "name",
        "refusal",
        "summary",
        "text",
    )

    def __init__(self, kind: str | None) -> None:
        self.kind = kind  # "message", "function_call", "reasoning"; None for any other (skipped)
        self.id: str | None = None
        self.text: list[str] = []  # message: output_text parts
        self.refusal: list[str] = []  # message: refusal parts
        self.call_id: str | None = None
        self.name = ""
        self.arguments: str | None = None
        self.summary: list[str] = []  # reasoning: summary_text parts
        self.content: list[str] = []  # reasoning: reasoning_text parts
        self.encrypted: str | None = None


def parse_responses(body: bytes, provider: str = "openai") -> ChatCompletionResponse:
    """A Responses API ``Response`` object as one choice (index 0)."""
    return run(_parse, body, provider)


def check_error(data: dict[str, Any], path: str) -> None:
    """A response that holds an ``error`` object failed: the fault names it (the providers layer
    classifies a fault at ``error``, as for a chat completion that holds one)."""
    error = data.get("error")
    if error is None:
        return
    detail = error.get("message") if type(error) is dict else error
    text = detail if type(detail) is str else ""
    raise Fault(f"the response holds an error instead of a result: {text}", at(path, "error"))


def native_finish(data: dict[str, Any], path: str) -> str | None:
    """The finish reason as sent: ``incomplete_details.reason`` when there is one, else ``status``."""
    status = opt_str(data, "status", path)
    details = opt_dict(data, "incomplete_details", path)
    reason = None if details is None else opt_str(details, "reason", at(path, "incomplete_details"))
    return reason or status or None


def finish_of(native: str | None, has_calls: bool) -> FinishReason | None:
    """A response that completed with function calls asks for them, as Chat Completions' ``tool_calls``."""
    reason = normalise_finish_reason(native)
    return "tool_calls" if reason == "stop" and has_calls else reason


def _parse(data: dict[str, Any], body: bytes, provider: str) -> ChatCompletionResponse:
    check_error(data, "")
    output = data.get("output")
    if output is None:
        raise Fault(
            "missing required field" if "output" not in data else "expected an array, got null", "output"
        )
    if type(output) is not list:
        raise expected("an array", output, "output")
    items = [read_item(item, f"output[{i}]") for i, item in enumerate(output)]
    native = native_finish(data, "")
    usage = parse_usage(data.get("usage"), "usage")
    message = _message(items)
    return ChatCompletionResponse(
        id=opt_str(data, "id", ""),
        model=opt_str(data, "model", ""),
        created=opt_whole(data, "created_at", ""),
        choices=[ChatCompletionChoice(0, message, finish_of(native, bool(message.tool_calls)), native)],
        usage=usage,
        provider=provider,
        service_tier=opt_str(data, "service_tier", ""),
        body=body,
    )


def opt_whole(obj: dict[str, Any], key: str, path: str) -> int | None:
    """An integer, or a number with no fractional part below 2**53 in magnitude read as that integer
    (some servers write timestamps as ``1784324967.0``)."""
    value = obj.get(key)
    if type(value) is float and value.is_integer() and abs(value) < _WHOLE_LIMIT:
        return int(value)
    return opt_int(obj, key, path)


def _message(items: list[ReadItem]) -> AssistantMessage:
    texts: list[str] = []
    refusals: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    kept: list[ReasoningItem] = []
    for item in items:
        if item.kind == "message":
            # Parts of one message are pieces of one answer (annotations split it): joined with nothing.
            _add(texts, "".join(item.text))
            _add(refusals, "".join(item.refusal))
        elif item.kind == "function_call":
            calls.append(ToolCall(item.call_id or new_tool_call_id(), item.name, item.arguments or "{}"))
        elif item.kind == "reasoning":
            for piece in (*item.content, *item.summary):
                _add(reasoning, piece)
            kept.append(ReasoningItem(item.id, item.summary, item.content, item.encrypted))
    return AssistantMessage(
        PIECE_SEPARATOR.join(texts) or None,
        PIECE_SEPARATOR.join(reasoning) or None,
        calls,
        None,
        PIECE_SEPARATOR.join(refusals) or None,
        None,
        kept,
    )


def _add(pieces: list[str], text: str) -> None:
    if text:
        pieces.append(text)


def read_item(item: Any, path: str) -> ReadItem:
    """One output item, every member its kind reads checked (a kind not listed reads nothing more)."""
    if type(item) is not dict:
        raise expected("an object", item, path)
    kind = opt_str(item, "type", path)
    read = ReadItem(kind if kind in _KINDS else None)
    if read.kind == "message":
        for i, part in enumerate(opt_list(item, "content", path) or ()):
            part_path = f"{at(path, 'content')}[{i}]"
            if type(part) is not dict:
                raise expected("an object", part, part_path)
            kind = opt_str(part, "type", part_path)
            if kind == "output_text":
                read.text.append(opt_str(part, "text", part_path) or "")
            elif kind == "refusal":
                read.refusal.append(opt_str(part, "refusal", part_path) or "")
    elif read.kind == "function_call":
        read.call_id = opt_str(item, "call_id", path) or None
        read.name = required_str(item, "name", path)
        read.arguments = opt_str(item, "arguments", path)
    elif read.kind == "reasoning":
        read.id = opt_str(item, "id", path)
        read.summary = _texts(item, "summary", "summary_text", path)
        read.content = _texts(item, "content", "reasoning_text", path)
        read.encrypted = opt_str(item, "encrypted_content", path)
    return read


def _texts(item: dict[str, Any], key: str, kind: str, path: str) -> list[str]:
    """The ``text`` of every part of type ``kind`` in the array ``key``."""
    texts = []
    for i, part in enumerate(opt_list(item, key, path) or ()):
        part_path = f"{at(path, key)}[{i}]"
        if type(part) is not dict:
            raise expected("an object", part, part_path)
        if opt_str(part, "type", part_path) in (kind, None):  # some servers leave the part type out
            texts.append(opt_str(part, "text", part_path) or "")
    return texts
