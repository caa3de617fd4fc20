"""Anthropic Messages responses (``POST /v1/messages``) to canonical types (docs/parsing-rules-anthropic.md).

The pure-Python reference; a Rust port must give equal objects and the same error types. JSON reading,
type coercion, error texts and finish-reason normalisation are those of docs/parsing-rules.md.
"""

from __future__ import annotations

from typing import Any

from modelwire.parsing.pure._read import (
    at,
    check_missing_array,
    dumps_at,
    expected,
    lax_dict,
    lax_int,
    lax_str,
    log_skipped,
    opt_dict,
    opt_str,
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

__all__ = ["anthropic_usage", "parse_anthropic_message"]


def parse_anthropic_message(body: bytes, provider: str = "anthropic") -> ChatCompletionResponse:
    """A Messages API response as one choice (index 0)."""
    return run(_parse, body, provider)


def _parse(data: dict[str, Any], body: bytes, provider: str) -> ChatCompletionResponse:
    blocks = data.get("content")
    if blocks is None:
        check_missing_array(data, "content")
    if type(blocks) is not list:
        raise expected("an array", blocks, "content")
    skipped: list[str] = []
    native = lax_str(data, "stop_reason", "", skipped) or None
    lax_str(data, "stop_sequence", "", skipped)  # read, not kept: the text already ends before it
    details = lax_dict(data, "stop_details", "", skipped)
    explanation = None if details is None else lax_str(details, "explanation", "stop_details", skipped)
    refusal = (explanation or None) if native == "refusal" else None
    raw_usage = lax_dict(data, "usage", "", skipped)
    message = _message(blocks, refusal, skipped)
    response = ChatCompletionResponse(
        id=lax_str(data, "id", "", skipped),
        model=lax_str(data, "model", "", skipped),
        choices=[ChatCompletionChoice(0, message, normalise_finish_reason(native), native)],
        usage=None if raw_usage is None else _usage(raw_usage, skipped),
        provider=provider,
        service_tier=None if raw_usage is None else lax_str(raw_usage, "service_tier", "usage", skipped),
        skipped=skipped,
        body=body,
    )
    if skipped:
        skipped.sort()
        log_skipped(provider, skipped)
    return response


def _message(blocks: list[Any], refusal: str | None, skipped: list[str]) -> AssistantMessage:
    texts: list[str] = []
    reasoning: list[str] = []
    thinking: list[ThinkingBlock] = []
    calls: list[ToolCall] = []
    for i, block in enumerate(blocks):
        path = f"content[{i}]"
        if type(block) is not dict:
            raise expected("an object", block, path)
        kind = opt_str(block, "type", path)
        if kind == "text":
            text = opt_str(block, "text", path)
            if text is not None:
                texts.append(text)
        elif kind == "thinking":
            text = opt_str(block, "thinking", path)
            thinking.append(ThinkingBlock(text, opt_str(block, "signature", path)))
            if text:
                reasoning.append(text)
        elif kind == "redacted_thinking":
            thinking.append(ThinkingBlock(redacted_data=required_str(block, "data", path)))
        elif kind == "tool_use":
            calls.append(_tool_call(block, path, skipped))
    return AssistantMessage(
        # Text blocks are pieces of one answer (citations split it mid-sentence): joined with nothing.
        "".join(texts) if texts else None,
        "\n".join(reasoning) or None,
        calls,
        None,
        refusal,
        thinking,
    )


def _tool_call(block: dict[str, Any], path: str, skipped: list[str]) -> ToolCall:
    call_id = lax_str(block, "id", path, skipped) or new_tool_call_id()
    name = required_str(block, "name", path)
    arguments = opt_dict(block, "input", path)
    if arguments is None:
        return ToolCall(call_id, name, "{}")
    return ToolCall(call_id, name, dumps_at(arguments, at(path, "input")), arguments)


def _usage(raw: dict[str, Any], skipped: list[str]) -> Usage:
    uncached = lax_int(raw, "input_tokens", "usage", skipped)
    cache_read = lax_int(raw, "cache_read_input_tokens", "usage", skipped)
    cache_write = lax_int(raw, "cache_creation_input_tokens", "usage", skipped)
    output = lax_int(raw, "output_tokens", "usage", skipped)
    details = lax_dict(raw, "output_tokens_details", "usage", skipped)
    thinking = (
        None
        if details is None
        else lax_int(details, "thinking_tokens", "usage.output_tokens_details", skipped)
    )
    write_5m, write_1h = cache_ttl_split(raw, "usage", skipped)
    return anthropic_usage(uncached, cache_read, cache_write, output, thinking, write_5m, write_1h)


def cache_ttl_split(raw: dict[str, Any], path: str, skipped: list[str]) -> tuple[int | None, int | None]:
    """``cache_creation``'s counts of the cache writes by time to live (5 minutes, 1 hour)."""
    split = lax_dict(raw, "cache_creation", path, skipped)
    if split is None:
        return None, None
    split_path = at(path, "cache_creation")
    return (
        lax_int(split, "ephemeral_5m_input_tokens", split_path, skipped),
        lax_int(split, "ephemeral_1h_input_tokens", split_path, skipped),
    )


def anthropic_usage(
    uncached: int | None,
    cache_read: int | None,
    cache_write: int | None,
    output: int | None,
    thinking: int | None,
    write_5m: int | None = None,
    write_1h: int | None = None,
) -> Usage:
    """Anthropic's own counts as canonical usage (the stream folder reports the same way)."""
    # Anthropic counts cached prompt tokens apart from input_tokens; the canonical count includes them.
    prompt = None if uncached is None else uncached + (cache_read or 0) + (cache_write or 0)
    return Usage(
        prompt,
        output,
        None if prompt is None or output is None else prompt + output,
        thinking,
        cache_read,
        cache_write,
        "provider" if thinking is not None else None,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
    )
