"""Anthropic Messages stream events (``message_start``, ``content_block_*``, ``message_delta``, ...)
folded into stream events and one ``ChatCompletionResponse`` (docs/stream-rules.md, section 4), with the
non-streamed parser's conventions (docs/parsing-rules-anthropic.md). The pure-Python twin of
``rust/modelwire-core/src/stream/anthropic.rs``."""

from __future__ import annotations

from typing import Any

from modelwire.parsing.pure._read import (
    Fault,
    at,
    dumps_at,
    expected,
    lax_dict,
    lax_int,
    lax_str,
    opt_dict,
    opt_list,
    opt_str,
    required_dict,
    required_int,
    required_str,
)
from modelwire.parsing.pure.anthropic import anthropic_usage, cache_ttl_split
from modelwire.parsing.pure.stream_fold import Call, StreamFolder, Thinking, load_event
from modelwire.types.stream import StreamEvent

__all__ = ["AnthropicStreamFolder"]

_USAGE_FIELDS = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens")


class _Block:
    """A content block as read: its type and the members that type reads."""

    __slots__ = ("arguments", "id", "kind", "name", "signature", "text")

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        self.text: str | None = None  # text, thinking, or redacted data
        self.signature: str | None = None
        self.id: str | None = None
        self.name = ""
        self.arguments: str | None = None  # tool_use `input`, serialized


class AnthropicStreamFolder(StreamFolder):
    """Messages API events as Server-Sent Events; ``message_stop`` ends the stream. The response always
    has one choice (index 0), as a non-streamed Messages response does."""

    __slots__ = ("_blocks", "_usage")

    def __init__(self, provider: str = "anthropic") -> None:
        super().__init__(provider)
        self._blocks: dict[int, Thinking | Call | str | None] = {}
        # Anthropic's own counts, as last reported (message_delta totals are cumulative).
        self._usage: list[int | None] = [None] * 7
        self._state.choice(0)

    def _fold(self, data: str, number: int, out: list[StreamEvent]) -> None:
        obj = load_event(data, number, self.provider)
        kind = opt_str(obj, "type", "")
        skipped: list[str] = []  # optional members left out (docs/stream-rules.md, section 4)
        if kind == "content_block_delta":
            self._delta(obj, out)
        elif kind == "content_block_start":
            index = required_int(obj, "index", "")
            block = required_dict(obj, "content_block", "")
            self._start(index, _read_block(block, "content_block", skipped), out)
        elif kind == "content_block_stop":
            self._stop(required_int(obj, "index", ""), out)
        elif kind == "message_start":
            self._message_start(obj, out, skipped)
        elif kind == "message_delta":
            delta = opt_dict(obj, "delta", "") or {}
            stop = _read_stop(delta, "delta", skipped)
            usage = _read_usage(obj.get("usage"), "usage", skipped)
            self._finish(*stop, out)
            self._set_usage(usage, out)
        elif kind == "message_stop":
            self._state.end_all(out)
            self.done = True
        elif kind == "error":
            self.error = data
        skipped.sort()
        self._state.skip(number, skipped)

    # --- events ------------------------------------------------------------------------------------------

    def _message_start(self, obj: dict[str, Any], out: list[StreamEvent], skipped: list[str]) -> None:
        message = opt_dict(obj, "message", "")
        if message is None:
            return
        id = lax_str(message, "id", "message", skipped)
        model = lax_str(message, "model", "message", skipped)
        blocks = [
            _read_block(block, f"message.content[{i}]", skipped)
            for i, block in enumerate(opt_list(message, "content", "message") or ())
        ]
        stop = _read_stop(message, "message", skipped)
        usage = _read_usage(message.get("usage"), "message.usage", skipped)
        self._state.identify(id, model)
        for i, block in enumerate(blocks):
            self._start(i, block, out)
            self._stop(i, out)
        self._finish(*stop, out)
        self._set_usage(usage, out)

    def _start(self, index: int, block: _Block, out: list[StreamEvent]) -> None:
        state = self._state
        choice = state.choice(0)
        target: Thinking | Call | str | None = None
        if block.kind == "text":
            target = "text"
            if block.text is not None:
                state.text(choice, block.text, out)
        elif block.kind == "thinking":
            target = Thinking(None, block.signature, None)
            choice.thinking.append(target)
            self._state.think(target, block.text, out)
        elif block.kind == "redacted_thinking":
            choice.thinking.append(Thinking(None, None, block.text))
        elif block.kind == "tool_use":
            target = state.start_call(choice, index, block.id, block.name, out)
            if block.arguments is not None:
                target.fallback = block.arguments
        self._blocks[index] = target

    def _delta(self, obj: dict[str, Any], out: list[StreamEvent]) -> None:
        index = required_int(obj, "index", "")
        delta = opt_dict(obj, "delta", "") or {}
        kind = opt_str(delta, "type", "delta")
        member = _DELTA_MEMBERS.get(kind or "")
        piece = None if member is None else opt_str(delta, member, "delta")
        target = self._target(index)
        if piece is None:
            return
        state, choice = self._state, self._state.choice(0)
        if kind == "text_delta" and target == "text":
            state.text(choice, piece, out)
        elif kind == "thinking_delta" and isinstance(target, Thinking):
            self._state.think(target, piece, out)
        elif kind == "signature_delta" and isinstance(target, Thinking):
            target.signature = piece
        elif kind == "input_json_delta" and isinstance(target, Call):
            state.arguments(choice, target, piece, out)

    def _stop(self, index: int, out: list[StreamEvent]) -> None:
        target = self._target(index)
        if isinstance(target, Call):
            self._state.end_call(self._state.choice(0), target, out)

    def _target(self, index: int) -> Thinking | Call | str | None:
        if index not in self._blocks:
            raise Fault(f"content block {index} was never started", "index")
        return self._blocks[index]

    # --- folding helpers ---------------------------------------------------------------------------------

    def _finish(self, reason: str | None, explanation: str | None, out: list[StreamEvent]) -> None:
        choice = self._state.choice(0)
        if reason == "refusal" and explanation and not choice.refusal:
            self._state.refusal(choice, explanation, out)
        self._state.finish(choice, reason, out)

    def _set_usage(self, read: tuple[list[int | None], str | None] | None, out: list[StreamEvent]) -> None:
        if read is None:
            return
        counts, tier = read
        self._usage = [new if new is not None else old for old, new in zip(self._usage, counts, strict=True)]
        self._state.describe(None, tier, None)
        self._state.set_usage(anthropic_usage(*self._usage), out)


_DELTA_MEMBERS = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "signature_delta": "signature",
    "input_json_delta": "partial_json",
}


def _read_block(block: Any, path: str, skipped: list[str]) -> _Block:
    if type(block) is not dict:
        raise expected("an object", block, path)
    read = _Block(opt_str(block, "type", path))
    if read.kind == "text":
        read.text = opt_str(block, "text", path)
    elif read.kind == "thinking":
        read.text = opt_str(block, "thinking", path)
        read.signature = opt_str(block, "signature", path)
    elif read.kind == "redacted_thinking":
        read.text = required_str(block, "data", path)
    elif read.kind == "tool_use":
        read.id = lax_str(block, "id", path, skipped) or None
        read.name = required_str(block, "name", path)
        arguments = opt_dict(block, "input", path)
        if arguments is not None:
            read.arguments = dumps_at(arguments, at(path, "input"), "input is nested too deeply to serialize")
    return read


def _read_stop(obj: dict[str, Any], path: str, skipped: list[str]) -> tuple[str | None, str | None]:
    reason = lax_str(obj, "stop_reason", path, skipped)
    details = lax_dict(obj, "stop_details", path, skipped)
    details_path = at(path, "stop_details")
    explanation = None if details is None else lax_str(details, "explanation", details_path, skipped)
    return reason, explanation


def _read_usage(raw: Any, path: str, skipped: list[str]) -> tuple[list[int | None], str | None] | None:
    """Anthropic's counts and service tier; usage is optional throughout (parsing-rules.md section 6)."""
    if raw is None:
        return None
    if type(raw) is not dict:
        skipped.append(path)
        return None
    counts = [lax_int(raw, name, path, skipped) for name in _USAGE_FIELDS]
    details = lax_dict(raw, "output_tokens_details", path, skipped)
    details_path = at(path, "output_tokens_details")
    counts.append(None if details is None else lax_int(details, "thinking_tokens", details_path, skipped))
    counts.extend(cache_ttl_split(raw, path, skipped))
    return counts, lax_str(raw, "service_tier", path, skipped)
