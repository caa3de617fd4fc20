"""Image payloads: data URIs, MIME types from ``output_format`` or from the base64 data itself."""

from __future__ import annotations

from typing import Final

from modelwire.types import ImagePayload

__all__ = ["image_from_base64", "image_from_url", "mime_from_format", "sniff_mime"]

# The base64 form of each format's magic bytes (PNG \x89PNG\r\n\x1a\n, JPEG FF D8 FF, RIFF, GIF8).
_MAGIC: Final = (
    ("iVBORw0KGgo", "image/png"),
    ("/9j/", "image/jpeg"),
    ("UklGR", "image/webp"),
    ("R0lGOD", "image/gif"),
)
_FORMATS: Final = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp",
                   "gif": "image/gif"}  # fmt: skip
_BASE64_MARK: Final = ";base64,"


def sniff_mime(b64_data: str) -> str | None:
    for prefix, mime in _MAGIC:
        if b64_data.startswith(prefix):
            return mime
    return None


def mime_from_format(output_format: str | None) -> str | None:
    return None if output_format is None else _FORMATS.get(output_format)


def image_from_base64(data: str) -> ImagePayload:
    """Raw base64 (a ``data:`` URI is unwrapped), its MIME type sniffed from the data."""
    if data.startswith("data:"):
        return image_from_url(data)
    return ImagePayload(b64_data=data, mime_type=sniff_mime(data))


def image_from_url(url: str) -> ImagePayload:
    """``data:<mime>;base64,<data>`` becomes inline base64; any other URL is kept as a URL."""
    if url.startswith("data:"):
        mark = url.find(_BASE64_MARK)
        if mark >= 0:
            data = url[mark + len(_BASE64_MARK) :]
            mime = url[5:mark].split(";", 1)[0]
            return ImagePayload(b64_data=data, mime_type=mime or sniff_mime(data))
    return ImagePayload(url=url)
