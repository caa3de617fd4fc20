"""OpenAI-format chat completions (docs/parsing-rules.md, sections 3 and 5)."""

from __future__ import annotations

from typing import Any

from modelwire.parsing.pure._media import image_from_base64, image_from_url
from modelwire.parsing.pure._read import (
    Fault,
    at,
    check_missing_array,
    dumps_at,
    expected,
    lax_int,
    lax_list,
    lax_str,
    log_skipped,
    opt_dict,
    opt_list,
    opt_str,
    required_dict,
    required_str,
    run,
)
from modelwire.parsing.pure.finish import normalise_finish_reason
from modelwire.parsing.pure.usage import parse_usage
from modelwire.types import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    ImagePayload,
    ToolCall,
    new_tool_call_id,
)

# What the stream reader (stream_openai) shares with the message reader: block kinds and reasoning texts.
__all__ = [
    "REASONING_BLOCKS",
    "TEXT_BLOCKS",
    "parse_chat_completion",
    "parse_chat_object",
    "reasoning_detail_texts",
    "thinking_texts",
]

TEXT_BLOCKS = frozenset({None, "text", "output_text"})
REASONING_BLOCKS = frozenset({"thinking", "reasoning"})


def parse_chat_completion(body: bytes, provider: str = "openai") -> ChatCompletionResponse:
    return run(parse_chat_object, body, provider)


def parse_chat_object(data: dict[str, Any], body: bytes, provider: str) -> ChatCompletionResponse:
    raw_choices = data.get("choices")
    if raw_choices is None:
        check_missing_array(data, "choices")
    if type(raw_choices) is not list:
        raise expected("an array", raw_choices, "choices")
    skipped: list[str] = []
    choices = [_choice(item, i, skipped) for i, item in enumerate(raw_choices)]
    images = sum(len(choice.message.images) for choice in choices)
    response = ChatCompletionResponse(
        id=lax_str(data, "id", "", skipped),
        model=lax_str(data, "model", "", skipped),
        created=lax_int(data, "created", "", skipped),
        choices=choices,
        usage=parse_usage(data.get("usage"), "usage", images or None, skipped),
        provider=provider,
        system_fingerprint=lax_str(data, "system_fingerprint", "", skipped),
        service_tier=lax_str(data, "service_tier", "", skipped),
        skipped=skipped,
        body=body,
    )
    if skipped:
        skipped.sort()
        log_skipped(provider, skipped)
    return response


def _choice(item: Any, position: int, skipped: list[str]) -> ChatCompletionChoice:
    path = f"choices[{position}]"
    if type(item) is not dict:
        raise expected("an object", item, path)
    index = lax_int(item, "index", path, skipped)
    raw_message = opt_dict(item, "message", path)
    message = (
        AssistantMessage() if raw_message is None else _message(raw_message, at(path, "message"), skipped)
    )
    native = lax_str(item, "finish_reason", path, skipped) or None
    return ChatCompletionChoice(
        position if index is None else index,
        message,
        normalise_finish_reason(native),
        native,
        item.get("logprobs"),
    )


def _message(msg: dict[str, Any], path: str, skipped: list[str]) -> AssistantMessage:
    thinking: list[str] = []
    block_images: list[ImagePayload] = []
    content = msg.get("content")
    if type(content) is list:
        content = _content_blocks(content, at(path, "content"), thinking, block_images)
    elif content is not None and type(content) is not str:
        raise expected("a string or an array", content, at(path, "content"))

    # The first non-empty source wins, but every source is checked.
    reasoning = lax_str(msg, "reasoning", path, skipped)
    reasoning_content = lax_str(msg, "reasoning_content", path, skipped)
    try:
        details = "\n".join(reasoning_detail_texts(msg, path))
    except Fault:
        skipped.append(at(path, "reasoning_details"))
        details = ""
    reasoning = reasoning or reasoning_content or "\n".join(thinking) or details or None

    images = [*_images(msg, path, skipped), *block_images]
    tool_calls = [
        _tool_call(call, f"{path}.tool_calls[{j}]", skipped)
        for j, call in enumerate(opt_list(msg, "tool_calls", path) or ())
    ]
    legacy = opt_dict(msg, "function_call", path)
    if legacy is not None:
        legacy_path = at(path, "function_call")
        name = opt_str(legacy, "name", legacy_path)
        arguments_json, arguments = _arguments(legacy, legacy_path)
        if not tool_calls and name:
            tool_calls.append(_make_call(new_tool_call_id(), name, arguments_json, arguments))
    return AssistantMessage(
        content,
        reasoning,
        tool_calls,
        images,
        lax_str(msg, "refusal", path, skipped) or None,
    )


def _content_blocks(
    blocks: list[Any], path: str, thinking: list[str], images: list[ImagePayload]
) -> str | None:
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
        elif kind == "image_url":
            image = _image(block, block_path)
            if image is not None:
                images.append(image)
    return "\n".join(texts) if texts else None


def thinking_texts(block: dict[str, Any], path: str) -> list[str]:
    value = block.get("thinking")
    text = opt_str(block, "text", path)
    if value is None:
        return [] if text is None else [text]
    if type(value) is str:
        return [value]
    if type(value) is not list:
        raise expected("a string or an array", value, at(path, "thinking"))
    texts = []
    for k, item in enumerate(value):
        item_path = f"{path}.thinking[{k}]"
        if type(item) is not dict:
            raise expected("an object", item, item_path)
        piece = opt_str(item, "text", item_path)
        if piece is not None:
            texts.append(piece)
    return texts


def reasoning_detail_texts(msg: dict[str, Any], path: str) -> list[str]:
    texts = []
    for j, detail in enumerate(opt_list(msg, "reasoning_details", path) or ()):
        detail_path = f"{path}.reasoning_details[{j}]"
        if type(detail) is not dict:
            raise expected("an object", detail, detail_path)
        kind = opt_str(detail, "type", detail_path)
        if kind == "reasoning.text":
            text = opt_str(detail, "text", detail_path)
        elif kind == "reasoning.summary":
            text = opt_str(detail, "summary", detail_path)
        else:
            continue
        if text is not None:
            texts.append(text)
    return texts


def _images(msg: dict[str, Any], path: str, skipped: list[str]) -> list[ImagePayload]:
    """``message.images``: each entry is optional; one that cannot be read is left out and recorded."""
    images = []
    for j, entry in enumerate(lax_list(msg, "images", path, skipped) or ()):
        entry_path = f"{path}.images[{j}]"
        try:
            if type(entry) is not dict:
                raise expected("an object", entry, entry_path)
            image = _image(entry, entry_path)
        except Fault:
            skipped.append(entry_path)
            continue
        if image is not None:
            images.append(image)
    return images


def _image(entry: dict[str, Any], path: str) -> ImagePayload | None:
    b64_json = entry.get("b64_json")
    if b64_json is not None:
        # {"b64_json": ...} entries (image models behind OpenAI-compatible gateways): raw base64.
        if type(b64_json) is not str:
            raise expected("a string", b64_json, at(path, "b64_json"))
        return image_from_base64(b64_json)
    ref = entry.get("image_url")
    url = opt_str(entry, "url", path)
    if type(ref) is dict:
        ref = opt_str(ref, "url", at(path, "image_url"))
    elif ref is None:
        ref = url
    elif type(ref) is not str:
        raise expected("a string or an object", ref, at(path, "image_url"))
    return None if ref is None else image_from_url(ref)


def _tool_call(call: Any, path: str, skipped: list[str]) -> ToolCall:
    if type(call) is not dict:
        raise expected("an object", call, path)
    call_id = lax_str(call, "id", path, skipped) or new_tool_call_id()
    if lax_str(call, "type", path, skipped) == "custom":
        custom = required_dict(call, "custom", path)
        custom_path = at(path, "custom")
        name = required_str(custom, "name", custom_path)
        return ToolCall(call_id, name, opt_str(custom, "input", custom_path) or "")
    function = required_dict(call, "function", path)
    function_path = at(path, "function")
    name = required_str(function, "name", function_path)
    arguments_json, arguments = _arguments(function, function_path)
    return _make_call(call_id, name, arguments_json, arguments)


def _arguments(function: dict[str, Any], path: str) -> tuple[str, dict[str, Any] | None]:
    """The argument string as sent, and the parsed object when the provider sent an object."""
    value = function.get("arguments")
    if value is None:
        return "{}", None
    if type(value) is str:
        return value, None
    if type(value) is dict:
        return dumps_at(value, at(path, "arguments")), value
    raise expected("a string or an object", value, at(path, "arguments"))


def _make_call(call_id: str, name: str, arguments_json: str, arguments: dict[str, Any] | None) -> ToolCall:
    if arguments is None:
        return ToolCall(call_id, name, arguments_json)
    return ToolCall(call_id, name, arguments_json, arguments)
