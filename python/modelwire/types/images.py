"""Generated images."""

from __future__ import annotations

from typing import Any

import orjson

from modelwire.types._record import Record
from modelwire.types.cost import Cost
from modelwire.types.usage import Usage

__all__ = ["ImageGenerationResponse", "ImagePayload"]

_UNSET: Any = object()


class ImagePayload(Record):
    """One image: raw base64 (no ``data:`` prefix) and/or a URL, its MIME type, the revised prompt."""

    __slots__ = ("b64_data", "mime_type", "url", "revised_prompt")
    _fields = __slots__

    def __init__(
        self,
        b64_data: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
        revised_prompt: str | None = None,
    ) -> None:
        self.b64_data = b64_data
        self.mime_type = mime_type
        self.url = url
        self.revised_prompt = revised_prompt

    def __repr__(self) -> str:
        # Base64 images run to megabytes: show their size, not their bytes.
        data = None if self.b64_data is None else f"<{len(self.b64_data)} base64 chars>"
        parts = [
            f"{name}={value!s}" if name == "b64_data" else f"{name}={value!r}"
            for name, value in (
                ("b64_data", data),
                ("mime_type", self.mime_type),
                ("url", self.url),
                ("revised_prompt", self.revised_prompt),
            )
            if value is not None
        ]
        return f"ImagePayload({', '.join(parts)})"


class ImageGenerationResponse(Record):
    """Images from an image-generation endpoint (or from a chat model that returns images).

    ``skipped`` lists optional fields the parser could not read (docs/parsing-rules.md, section 2).
    """

    __slots__ = ("images", "usage", "created", "model", "provider", "skipped", "body", "_raw", "cost")
    _fields = ("images", "usage", "created", "model", "provider", "skipped", "cost")

    def __init__(
        self,
        images: list[ImagePayload] | None = None,
        usage: Usage | None = None,
        created: int | None = None,
        model: str | None = None,
        provider: str | None = None,
        body: bytes = b"",
        raw: Any = _UNSET,
        *,
        skipped: list[str] | None = None,
        cost: Cost | None = None,
    ) -> None:
        self.cost = cost  # priced by the client after parsing (docs/cost.md)
        self.images = [] if images is None else images
        self.usage = usage
        self.created = created
        self.model = model
        self.provider = provider
        self.skipped = [] if skipped is None else skipped
        self.body = body
        self._raw = raw

    @property
    def raw(self) -> Any:
        if self._raw is _UNSET:
            self._raw = orjson.loads(self.body) if self.body else None
        return self._raw
