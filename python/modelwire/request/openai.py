"""Chat history for OpenAI-compatible servers: what modelwire keeps in a message that no server takes.

``AssistantMessage.to_message()`` carries ``thinking_blocks`` so the Anthropic adapter can send signed
reasoning back, and ``reasoning_items`` for the Responses API; OpenAI-compatible servers reject unknown
keys (Groq, vLLM with strict validation), so those keys are removed here. Data Designer's canonical media
blocks (``{"type": "image", "source": {...}}``) become ``image_url`` blocks. Messages that need no change are
sent as the same objects (no copy).
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.exceptions import BadRequestError

__all__ = ["MODELWIRE_ONLY_KEYS", "openai_messages"]

MODELWIRE_ONLY_KEYS: Final = ("thinking_blocks", "reasoning_items")


def openai_messages(messages: list[dict[str, Any]], *, provider: str, model: str) -> list[dict[str, Any]]:
    """``messages`` ready for ``/chat/completions``; the list itself is returned when nothing changes."""
    out: list[dict[str, Any]] | None = None
    for i, message in enumerate(messages):
        fixed = _message(message, i, provider, model)
        if fixed is not message and out is None:
            out = list(messages[:i])
        if out is not None:
            out.append(fixed)
    return messages if out is None else out


def _message(message: Any, index: int, provider: str, model: str) -> Any:
    if not isinstance(message, dict):
        return message  # orjson or the server will say what is wrong with it
    if any(key in message for key in MODELWIRE_ONLY_KEYS):
        message = {k: v for k, v in message.items() if k not in MODELWIRE_ONLY_KEYS}
    content = message.get("content")
    if isinstance(content, list) and any(_is_canonical_image(block) for block in content):
        blocks = [_image_block(b, index, provider, model) if _is_canonical_image(b) else b for b in content]
        message = {**message, "content": blocks}
    return message


def _is_canonical_image(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") == "image" and isinstance(block.get("source"), dict)


def _image_block(block: dict[str, Any], index: int, provider: str, model: str) -> dict[str, Any]:
    source = block["source"]
    kind, data, mime = source.get("type"), source.get("data"), source.get("media_type")
    if kind == "url" and isinstance(source.get("url"), str):
        url = source["url"]
    elif kind == "base64" and isinstance(data, str) and isinstance(mime, str):
        url = f"data:{mime};base64,{data}"
    else:
        raise BadRequestError(
            f"messages[{index}] has an image block whose source is neither a url nor base64 data with a "
            "media_type",
            provider=provider,
            model=model,
        )
    return {"type": "image_url", "image_url": {"url": url}}
