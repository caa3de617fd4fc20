"""Image generation results (docs/parsing-rules.md, section 7)."""

from __future__ import annotations

from typing import Any

from modelwire.parsing.pure._media import mime_from_format, sniff_mime
from modelwire.parsing.pure._read import (
    check_missing_array,
    expected,
    lax_int,
    lax_str,
    log_skipped,
    opt_str,
    run,
)
from modelwire.parsing.pure.chat import parse_chat_object
from modelwire.parsing.pure.usage import parse_usage
from modelwire.types import ImageGenerationResponse, ImagePayload

__all__ = ["parse_image_generation"]


def parse_image_generation(body: bytes, provider: str = "openai") -> ImageGenerationResponse:
    return run(_parse, body, provider)


def _parse(data: dict[str, Any], body: bytes, provider: str) -> ImageGenerationResponse:
    if data.get("data") is None and data.get("choices") is not None:
        chat = parse_chat_object(data, body, provider)
        return ImageGenerationResponse(
            images=[image for choice in chat.choices for image in choice.message.images],
            usage=chat.usage,
            created=chat.created,
            model=chat.model,
            provider=provider,
            body=body,
            skipped=chat.skipped,
        )
    items = data.get("data")
    if items is None:
        check_missing_array(data, "data")
    if type(items) is not list:
        raise expected("an array", items, "data")
    skipped: list[str] = []
    format_mime = mime_from_format(lax_str(data, "output_format", "", skipped))
    images = [_image(item, f"data[{i}]", format_mime, skipped) for i, item in enumerate(items)]
    response = ImageGenerationResponse(
        images=images,
        usage=parse_usage(data.get("usage"), "usage", len(images) or None, skipped),
        created=lax_int(data, "created", "", skipped),
        model=lax_str(data, "model", "", skipped),
        provider=provider,
        body=body,
        skipped=skipped,
    )
    if skipped:
        skipped.sort()
        log_skipped(provider, skipped)
    return response


def _image(item: Any, path: str, format_mime: str | None, skipped: list[str]) -> ImagePayload:
    if type(item) is not dict:
        raise expected("an object", item, path)
    b64_data = opt_str(item, "b64_json", path)
    mime = format_mime
    if mime is None and b64_data is not None:
        mime = sniff_mime(b64_data)
    return ImagePayload(
        b64_data=b64_data,
        mime_type=mime,
        url=opt_str(item, "url", path),
        revised_prompt=lax_str(item, "revised_prompt", path, skipped),
    )
