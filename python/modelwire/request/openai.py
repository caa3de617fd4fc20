"""Chat history for OpenAI-compatible servers: what modelwire keeps in a message that no server takes.

``AssistantMessage.to_message()`` carries ``thinking_blocks`` so the Anthropic adapter can send signed
reasoning back, and ``reasoning_items`` for the Responses API; OpenAI-compatible servers reject unknown
keys (Groq, vLLM with strict validation), so those keys are removed here. Data Designer's canonical media
blocks (``{"type": "image" | "audio" | "video", "source": {"type": "url", "url": ...} | {"type": "base64",
"media_type": ..., "data": ...}}``) become the blocks OpenAI-compatible servers take:

- image: a url source gives ``image_url`` with the url, base64 gives ``image_url`` with a ``data:`` URI;
- audio: a url gives ``audio_url`` (vLLM, NVIDIA NIM; OpenAI's own API takes base64 only); base64 gives
  ``input_audio`` ``{data, format}`` with format ``wav`` or ``mp3``, the formats OpenAI accepts (another
  media type is a ``BadRequestError`` before sending);
- video: a url gives ``video_url`` (vLLM, NVIDIA NIM); base64 gives ``video_url`` with a ``data:`` URI
  (there is no ``input_video``).

Messages that need no change are sent as the same objects (no copy).
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.exceptions import BadRequestError

__all__ = ["MODELWIRE_ONLY_KEYS", "openai_messages"]

MODELWIRE_ONLY_KEYS: Final = ("thinking_blocks", "reasoning_items")
_MEDIA: Final = frozenset({"image", "audio", "video"})
# The media types of the two input_audio formats OpenAI accepts (the same names Data Designer maps).
_AUDIO_FORMATS: Final = {"audio/wav": "wav", "audio/wave": "wav", "audio/x-wav": "wav", "audio/mpeg": "mp3",
                         "audio/mp3": "mp3"}  # fmt: skip


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
    if isinstance(content, list) and any(_is_canonical_media(block) for block in content):
        blocks = [_media_block(b, index, provider, model) if _is_canonical_media(b) else b for b in content]
        message = {**message, "content": blocks}
    return message


def _is_canonical_media(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") in _MEDIA and isinstance(block.get("source"), dict)


def _media_block(block: dict[str, Any], index: int, provider: str, model: str) -> dict[str, Any]:
    modality, source = block["type"], block["source"]
    kind, data, mime = source.get("type"), source.get("data"), source.get("media_type")
    if kind == "url" and isinstance(source.get("url"), str):
        url = source["url"]
    elif kind == "base64" and isinstance(data, str) and isinstance(mime, str):
        if modality == "audio":
            audio_format = _AUDIO_FORMATS.get(mime.lower())
            if audio_format is None:
                raise BadRequestError(
                    f"messages[{index}] has {mime} audio; OpenAI-compatible input_audio takes wav "
                    "(audio/wav) or mp3 (audio/mpeg)",
                    provider=provider,
                    model=model,
                )
            return {"type": "input_audio", "input_audio": {"data": data, "format": audio_format}}
        url = f"data:{mime};base64,{data}"
    else:
        raise BadRequestError(
            f"messages[{index}] has an {modality} block whose source is neither a url nor base64 data "
            "with a media_type",
            provider=provider,
            model=model,
        )
    return {"type": f"{modality}_url", f"{modality}_url": {"url": url}}
