"""OpenAI-compatible chat completion chunks (``chat.completion.chunk``) folded into stream events and one
``ChatCompletionResponse`` (docs/stream-rules.md, section 3). The pure-Python twin of
``rust/modelwire-core/src/stream/openai.rs``."""

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
    opt_int,
    opt_list,
    opt_str,
)
from modelwire.parsing.pure.chat import REASONING_BLOCKS, TEXT_BLOCKS, reasoning_detail_texts, thinking_texts
from modelwire.parsing.pure.stream_fold import ChoiceState, FoldState, StreamFolder, load_event
from modelwire.parsing.pure.usage import parse_usage
from modelwire.types.stream import StreamEvent

__all__ = ["OpenAIStreamFolder"]

# Every delta field _read_delta reads besides `content`: a delta holding none of them has only its text.
_READ_BESIDES_CONTENT = frozenset(
    {"reasoning", "reasoning_content", "reasoning_details", "refusal", "tool_calls", "function_call"}
)
_LEGACY = None  # the key of a legacy `function_call` (no provider index can be None)


class OpenAIStreamFolder(StreamFolder):
    """Chat completion chunks as Server-Sent Events; ``data: [DONE]`` ends the stream."""

    __slots__ = ()

    def __init__(self, provider: str = "openai") -> None:
        super().__init__(provider)

    def _fold(self, data: str, number: int, out: list[StreamEvent]) -> None:
        if data == "[DONE]":
            self._state.end_all(out)
            self.done = True
            return
        chunk = load_event(data, number, self.provider)
        read = _Chunk(chunk)
        _apply(self._state, read, out)
        self._state.skip(number, read.skipped)
        if chunk.get("error") is not None:  # OpenRouter: an error object inside a 200 stream
            self.error = data


class _Tool:
    __slots__ = ("arguments", "id", "key", "name")

    def __init__(self, key: Any, id: str | None, name: str, arguments: str) -> None:
        self.key = key
        self.id = id
        self.name = name
        self.arguments = arguments


class _Delta:
    __slots__ = ("content", "finish", "index", "logprobs", "reasoning", "refusal", "tools")

    def __init__(self) -> None:
        self.index = 0
        self.content: str | None = None
        self.reasoning = ""
        self.refusal = ""
        self.tools: list[_Tool] = []
        self.finish: str | None = None
        self.logprobs: tuple[list[Any] | None, list[Any] | None] | None = None


class _Chunk:
    __slots__ = ("choices", "created", "fingerprint", "id", "model", "skipped", "tier", "usage")

    def __init__(self, chunk: dict[str, Any]) -> None:
        """Every field the rules read, checked (optional ones that cannot be read are left out and listed in
        ``skipped``, sorted); nothing is applied yet."""
        skipped: list[str] = []
        items = opt_list(chunk, "choices", "") or ()
        self.choices = [_read_choice(item, i, skipped) for i, item in enumerate(items)]
        self.id = lax_str(chunk, "id", "", skipped)
        self.model = lax_str(chunk, "model", "", skipped)
        self.created = lax_int(chunk, "created", "", skipped)
        self.fingerprint = lax_str(chunk, "system_fingerprint", "", skipped)
        self.tier = lax_str(chunk, "service_tier", "", skipped)
        usage = parse_usage(chunk.get("usage"), "usage", None, skipped)
        groq = lax_dict(chunk, "x_groq", "", skipped)
        groq_usage = None if groq is None else parse_usage(groq.get("usage"), "x_groq.usage", None, skipped)
        self.usage = usage if usage is not None else groq_usage
        skipped.sort()
        self.skipped = skipped


def _read_choice(item: Any, position: int, skipped: list[str]) -> _Delta:
    path = f"choices[{position}]"
    if type(item) is not dict:
        raise expected("an object", item, path)
    read = _Delta()
    index = opt_int(item, "index", path)
    read.index = position if index is None else index
    read.finish = lax_str(item, "finish_reason", path, skipped)
    logprobs = opt_dict(item, "logprobs", path)
    if logprobs is not None:
        lp_path = at(path, "logprobs")
        read.logprobs = (opt_list(logprobs, "content", lp_path), opt_list(logprobs, "refusal", lp_path))
    delta = opt_dict(item, "delta", path)
    if delta is not None:
        _read_delta(delta, at(path, "delta"), read, skipped)
    return read


def _read_delta(delta: dict[str, Any], path: str, read: _Delta, skipped: list[str]) -> None:
    thinking: list[str] = []
    content = delta.get("content")
    if type(content) is list:
        content = _content_blocks(content, at(path, "content"), thinking)
    elif content is not None and type(content) is not str:
        raise expected("a string or an array", content, at(path, "content"))
    read.content = content
    if _READ_BESIDES_CONTENT.isdisjoint(delta):  # most deltas carry text alone: nothing else to check
        read.reasoning = "".join(thinking)
        return
    # One fragment of reasoning per delta: the first non-empty source (OpenRouter repeats `reasoning`
    # in `reasoning_details`), every source checked.
    reasoning = lax_str(delta, "reasoning", path, skipped)
    reasoning_content = lax_str(delta, "reasoning_content", path, skipped)
    try:
        details = "".join(reasoning_detail_texts(delta, path))
    except Fault:
        skipped.append(at(path, "reasoning_details"))
        details = ""
    read.reasoning = reasoning or reasoning_content or "".join(thinking) or details
    read.refusal = lax_str(delta, "refusal", path, skipped) or ""
    tools = opt_list(delta, "tool_calls", path) or ()
    read.tools = [_read_tool(call, f"{path}.tool_calls[{j}]", j) for j, call in enumerate(tools)]
    legacy = opt_dict(delta, "function_call", path)
    if legacy is not None:
        legacy_path = at(path, "function_call")
        name = opt_str(legacy, "name", legacy_path) or ""
        read.tools.append(_Tool(_LEGACY, None, name, _arguments(legacy, legacy_path)))


def _content_blocks(blocks: list[Any], path: str, thinking: list[str]) -> str | None:
    texts: list[str] = []
    for j, block in enumerate(blocks):
        block_path = f"{path}[{j}]"
        if type(block) is not dict:
            raise expected("an object", block, block_path)
        kind = opt_str(block, "type", block_path)
        if kind in TEXT_BLOCKS:
            text = opt_str(block, "text", block_path)
            if text is not None:
                texts.append(text)
        elif kind in REASONING_BLOCKS:
            thinking.extend(thinking_texts(block, block_path))
    return "".join(texts) if texts else None


def _read_tool(call: Any, path: str, position: int) -> _Tool:
    if type(call) is not dict:
        raise expected("an object", call, path)
    index = opt_int(call, "index", path)
    key = position if index is None else index
    call_id = opt_str(call, "id", path) or None
    if opt_str(call, "type", path) == "custom":
        custom = opt_dict(call, "custom", path) or {}
        custom_path = at(path, "custom")
        name = opt_str(custom, "name", custom_path) or ""
        return _Tool(key, call_id, name, opt_str(custom, "input", custom_path) or "")
    function = opt_dict(call, "function", path) or {}
    function_path = at(path, "function")
    name = opt_str(function, "name", function_path) or ""
    return _Tool(key, call_id, name, _arguments(function, function_path))


def _arguments(function: dict[str, Any], path: str) -> str:
    value = function.get("arguments")
    if value is None:
        return ""
    if type(value) is str:
        return value
    if type(value) is dict:
        return dumps_at(value, at(path, "arguments"), "arguments are nested too deeply to serialize")
    raise expected("a string or an object", value, at(path, "arguments"))


def _apply(state: FoldState, read: _Chunk, out: list[StreamEvent]) -> None:
    state.identify(read.id, read.model)
    state.describe(read.fingerprint, read.tier, read.created)
    for delta in read.choices:
        choice = state.choice(delta.index)
        state.reasoning(choice, delta.reasoning, out)
        if delta.content is not None:
            state.text(choice, delta.content, out)
        state.refusal(choice, delta.refusal, out)
        for tool in delta.tools:
            _apply_tool(state, choice, tool, out)
        if delta.logprobs is not None:
            _merge_logprobs(choice, *delta.logprobs)
        state.finish(choice, delta.finish, out)
    state.set_usage(read.usage, out)


def _apply_tool(state: FoldState, choice: ChoiceState, tool: _Tool, out: list[StreamEvent]) -> None:
    # The latest call with this key continues, unless the fragment names another id: servers that give
    # every call index 0 (Ollama, some proxies) start each call with its own id.
    call = next((c for c in reversed(choice.calls) if c.key == tool.key), None)
    if call is None or (tool.id and call.provider_id and tool.id != call.provider_id):
        call = state.start_call(choice, tool.key, tool.id, tool.name, out)
    else:
        if tool.id and not call.provider_id:
            call.provider_id = call.id = tool.id
        if tool.name and not call.name:
            call.name = tool.name
    state.arguments(choice, call, tool.arguments, out)


def _merge_logprobs(choice: ChoiceState, content: list[Any] | None, refusal: list[Any] | None) -> None:
    choice.has_logprobs = True
    if content is not None:
        if choice.logprobs_content is None:
            choice.logprobs_content = []
        choice.logprobs_content.extend(content)
    if refusal is not None:
        if choice.logprobs_refusal is None:
            choice.logprobs_refusal = []
        choice.logprobs_refusal.extend(refusal)
