"""Bedrock Converse responses (``POST /model/{modelId}/converse``) to canonical types
(docs/parsing-rules-bedrock.md).

The pure-Python reference; the Rust port (``rust/modelwire-core/src/bedrock.rs``) gives equal objects
and the same errors. JSON reading, type coercion, error texts and finish-reason normalisation are those
of docs/parsing-rules.md.
"""

from __future__ import annotations

from typing import Any, Final, NoReturn

from modelwire.parsing.pure._read import (
    Fault,
    at,
    dumps_at,
    expected,
    opt_dict,
    opt_int,
    opt_list,
    opt_str,
    required_dict,
    required_str,
    run,
)
from modelwire.parsing.pure.finish import normalise_finish_reason
from modelwire.types import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    ThinkingBlock,
    ToolCall,
    Usage,
    new_tool_call_id,
)

__all__ = ["SERVER_TOOL_USE", "USAGE_FIELDS", "bedrock_usage", "parse_bedrock_converse", "read_usage"]

SERVER_TOOL_USE: Final = "server_tool_use"
"""A ``toolUse`` of this type ran on Bedrock's side (its result follows): not a call for the caller."""
USAGE_FIELDS: Final = (
    "inputTokens",
    "outputTokens",
    "totalTokens",
    "cacheReadInputTokens",
    "cacheWriteInputTokens",
)
_CONTENT: Final = "output.message.content"


def parse_bedrock_converse(body: bytes, provider: str = "bedrock") -> ChatCompletionResponse:
    """A Converse response as one choice (index 0)."""
    return run(_parse, body, provider)


def _parse(data: dict[str, Any], body: bytes, provider: str) -> ChatCompletionResponse:
    output = opt_dict(data, "output", "")
    if output is None:
        _missing_output(data)
    message = required_dict(output, "message", "output")
    blocks = opt_list(message, "content", "output.message")
    if blocks is None:
        raise Fault(
            "missing required field" if "content" not in message else "expected an array, got null", _CONTENT
        )
    reply = _message(blocks)
    native = opt_str(data, "stopReason", "") or None
    usage = opt_dict(data, "usage", "")
    counts = None if usage is None else read_usage(usage, "usage")
    tier = opt_dict(data, "serviceTier", "")
    return ChatCompletionResponse(
        choices=[ChatCompletionChoice(0, reply, normalise_finish_reason(native), native)],
        usage=None if counts is None else bedrock_usage(*counts),
        provider=provider,
        service_tier=None if tier is None else opt_str(tier, "type", "serviceTier"),
        body=body,
    )


def _missing_output(data: dict[str, Any]) -> NoReturn:
    """``output`` is absent or null: Bedrock's own error (``{"message"}``) when it sent one."""
    for key in ("message", "Message"):
        text = data.get(key)
        if type(text) is str:
            raise Fault(f"the response holds an error instead of a result: {text}", key)
    raise Fault(
        "missing required field" if "output" not in data else "expected an object, got null", "output"
    )


def _message(blocks: list[Any]) -> AssistantMessage:
    texts: list[str] = []
    thinking: list[ThinkingBlock] = []
    calls: list[ToolCall] = []
    for i, block in enumerate(blocks):
        path = f"{_CONTENT}[{i}]"
        if type(block) is not dict:
            raise expected("an object", block, path)
        text = opt_str(block, "text", path)
        tool = opt_dict(block, "toolUse", path)
        reasoning = opt_dict(block, "reasoningContent", path)
        cited = opt_dict(block, "citationsContent", path)
        if text is not None:
            texts.append(text)
        if tool is not None:
            call = _tool_call(tool, at(path, "toolUse"))
            if call is not None:
                calls.append(call)
        if reasoning is not None:
            thinking.extend(_reasoning(reasoning, at(path, "reasoningContent")))
        if cited is not None:
            texts.extend(_cited(cited, at(path, "citationsContent")))
    reasoning_texts = [block.thinking for block in thinking if block.thinking]
    return AssistantMessage(
        # Blocks are pieces of one answer (citations split it): joined with nothing, as Anthropic's.
        "".join(texts) if texts else None,
        "\n".join(reasoning_texts) or None,
        calls,
        None,
        None,
        thinking,
    )


def _tool_call(tool: dict[str, Any], path: str) -> ToolCall | None:
    call_id = opt_str(tool, "toolUseId", path) or new_tool_call_id()
    name = required_str(tool, "name", path)
    kind = opt_str(tool, "type", path)
    arguments = opt_dict(tool, "input", path)
    if kind == SERVER_TOOL_USE:
        return None
    if arguments is None:
        return ToolCall(call_id, name, "{}")
    return ToolCall(call_id, name, dumps_at(arguments, at(path, "input")), arguments)


def _reasoning(reasoning: dict[str, Any], path: str) -> list[ThinkingBlock]:
    visible = opt_dict(reasoning, "reasoningText", path)
    redacted = opt_str(reasoning, "redactedContent", path)
    blocks = []
    if visible is not None:
        text_path = at(path, "reasoningText")
        blocks.append(
            ThinkingBlock(opt_str(visible, "text", text_path), opt_str(visible, "signature", text_path))
        )
    if redacted is not None:
        blocks.append(ThinkingBlock(redacted_data=redacted))
    return blocks


def _cited(cited: dict[str, Any], path: str) -> list[str]:
    texts = []
    for i, item in enumerate(opt_list(cited, "content", path) or ()):
        item_path = f"{at(path, 'content')}[{i}]"
        if type(item) is not dict:
            raise expected("an object", item, item_path)
        text = opt_str(item, "text", item_path)
        if text is not None:
            texts.append(text)
    return texts


def read_usage(raw: dict[str, Any], path: str) -> list[int | None]:
    """The counts of a Converse ``usage`` object, in :data:`USAGE_FIELDS` order, then ``cacheDetails``'
    cache writes by time to live (5 minutes, 1 hour)."""
    counts = [opt_int(raw, name, path) for name in USAGE_FIELDS]
    split: list[int | None] = [None, None]
    for i, entry in enumerate(opt_list(raw, "cacheDetails", path) or ()):
        entry_path = f"{at(path, 'cacheDetails')}[{i}]"
        if type(entry) is not dict:
            raise expected("an object", entry, entry_path)
        ttl = opt_str(entry, "ttl", entry_path)
        tokens = opt_int(entry, "inputTokens", entry_path)
        slot = None if ttl is None else _TTL_SLOTS.get(ttl)
        if slot is not None and tokens is not None:
            split[slot] = (split[slot] or 0) + tokens
    return counts + split


_TTL_SLOTS: Final = {"5m": 0, "1h": 1}


def bedrock_usage(
    uncached: int | None,
    output: int | None,
    total: int | None,
    cache_read: int | None,
    cache_write: int | None,
    write_5m: int | None = None,
    write_1h: int | None = None,
) -> Usage:
    """Converse counts as canonical usage (the stream folder reports the same way)."""
    # inputTokens leaves out cache reads and writes (totalTokens counts them); the canonical count holds all.
    prompt = None if uncached is None else uncached + (cache_read or 0) + (cache_write or 0)
    if total is None and prompt is not None and output is not None:
        total = prompt + output
    return Usage(
        prompt,
        output,
        total,
        None,
        cache_read,
        cache_write,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
    )
