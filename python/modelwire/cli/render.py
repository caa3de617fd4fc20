"""Readable text for canonical results (what ``modelwire parse`` prints)."""

from __future__ import annotations

import datetime
import textwrap
from typing import Any

from modelwire.types import (
    ChatCompletionResponse,
    EmbeddingResponse,
    ImageGenerationResponse,
    ImagePayload,
    ToolCall,
    Usage,
)

__all__ = ["render"]

_WIDTH = 100


def _line(label: str, value: Any, indent: int = 2) -> str:
    return f"{' ' * indent}{label:<10} {'-' if value is None else value}\n"


def _block(label: str, text: str, indent: int) -> str:
    body = textwrap.fill(" ".join(text.split()), _WIDTH - indent - 11, max_lines=4, placeholder=" ...")
    first, *rest = body.splitlines() or [""]
    out = _line(label, first, indent)
    return out + "".join(f"{' ' * (indent + 11)}{line}\n" for line in rest)


def _created(created: int | None) -> str:
    if created is None:
        return "-"
    try:
        when = datetime.datetime.fromtimestamp(created, datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(created)
    return f"{created} ({when})"


def _usage(usage: Usage | None) -> str:
    if usage is None:
        return _line("usage", "not reported")
    names = [
        ("input", usage.input_tokens), ("output", usage.output_tokens), ("total", usage.total_tokens),
        ("reasoning", usage.reasoning_tokens), ("cache read", usage.cache_read_tokens),
        ("cache write", usage.cache_write_tokens), ("images", usage.generated_images),
    ]  # fmt: skip
    shown = [f"{name} {value}" for name, value in names if value is not None]
    return _line("usage", " | ".join(shown) or "no counts")


def _tool_call(call: ToolCall, indent: int) -> str:
    arguments = call.arguments_json if len(call.arguments_json) < 70 else call.arguments_json[:67] + "..."
    return _line("tool call", f"{call.name}({arguments})  id={call.id}", indent)


def _image(image: ImagePayload, indent: int) -> str:
    if image.b64_data is not None:
        what = f"{image.mime_type or 'unknown type'}, {len(image.b64_data)} base64 chars"
    else:
        what = f"{image.mime_type or 'url'} {image.url}"
    text = _line("image", what, indent)
    if image.revised_prompt:
        text += _block("prompt", image.revised_prompt, indent + 2)
    return text


def _chat(result: ChatCompletionResponse) -> str:
    out = _line("id", result.id) + _line("model", result.model) + _line("created", _created(result.created))
    for choice in result.choices:
        finish = f"{choice.finish_reason} (sent as {choice.native_finish_reason!r})"
        out += f"  choice {choice.index}: finish {finish}\n"
        message = choice.message
        if message.reasoning_content:
            out += _block("reasoning", message.reasoning_content, 4)
        if message.content is not None:
            out += _block("content", message.content, 4)
        if message.refusal is not None:
            out += _block("refusal", message.refusal, 4)
        out += "".join(_tool_call(call, 4) for call in message.tool_calls)
        out += "".join(_image(image, 4) for image in message.images)
    return out + _usage(result.usage)


def _embeddings(result: EmbeddingResponse) -> str:
    out = _line("model", result.model) + _line("shape", f"{result.count} x {result.dimensions} float32")
    for i, row in enumerate(result.vectors[:3]):
        values = ", ".join(f"{v:.6g}" for v in row[:6])
        out += _line(f"row {i}", f"[{values}{', ...' if len(row) > 6 else ''}]")
    return out + _usage(result.usage)


def _images(result: ImageGenerationResponse) -> str:
    out = _line("model", result.model) + _line("created", _created(result.created))
    out += "".join(_image(image, 2) for image in result.images) or _line("images", "none")
    return out + _usage(result.usage)


def render(result: Any, *, source: str, backend: str) -> str:
    if isinstance(result, ChatCompletionResponse):
        title, text = "chat completion", _chat(result)
    elif isinstance(result, EmbeddingResponse):
        title, text = "embeddings", _embeddings(result)
    else:
        title, text = "image generation", _images(result)
    return f"{title} from {result.provider} ({source}, parsed by the {backend} parser)\n{text}"
