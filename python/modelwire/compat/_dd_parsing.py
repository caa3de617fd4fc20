"""Data Designer's parsing helpers (``data_designer.engine.models.clients.parsing`` and its adapters'
``_parse_*_json``) with their signatures, over modelwire's parsers (Rust when loaded, else the twin).

Each takes what Data Designer's takes (the decoded JSON ``dict``) and also the body itself (``bytes`` or
``str``), which skips a decode and an encode: modelwire parses bytes. Images answered as an http(s) URL
are fetched into ``b64_data``, as Data Designer's helpers do, with a timeout and a size cap
(``fetch_image_urls``); a failed fetch raises modelwire's typed error (Data Designer logs a warning and
drops the image).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any, Final

import orjson

from modelwire.errors import classify_response, from_transport_error
from modelwire.exceptions import ProviderError
from modelwire.parsing import (
    parse_anthropic_message,
    parse_chat_completion,
    parse_embeddings,
    parse_image_generation,
)
from modelwire.parsing.pure.usage import parse_usage
from modelwire.types import (
    ChatCompletionResponse,
    EmbeddingResponse,
    ImageGenerationResponse,
    ImagePayload,
    Usage,
)

__all__ = [
    "IMAGE_FETCH_TIMEOUT",
    "MAX_IMAGE_BYTES",
    "afetch_image_urls",
    "aparse_chat_completion_response",
    "aparse_image_response",
    "extract_usage",
    "fetch_image_urls",
    "parse_anthropic_response",
    "parse_chat_completion_response",
    "parse_embedding_response",
    "parse_image_response",
]

IMAGE_FETCH_TIMEOUT: Final = 60.0  # Data Designer's load_image_url_to_base64 default
MAX_IMAGE_BYTES: Final = 50 * 1024 * 1024  # larger than any image endpoint returns; bounds memory


def _body(response: Any) -> bytes:
    """The response body: bytes as given, text encoded, a decoded JSON value re-encoded."""
    if isinstance(response, bytes):
        return response
    if isinstance(response, str):
        return response.encode()
    return orjson.dumps(response)


def parse_chat_completion_response(
    response: Any, *, provider: str = "openai", fetch_images: bool = True
) -> ChatCompletionResponse:
    result = parse_chat_completion(_body(response), provider)
    if fetch_images:
        fetch_image_urls(image for message in result.messages for image in message.images)
    return result


async def aparse_chat_completion_response(
    response: Any, *, provider: str = "openai", fetch_images: bool = True
) -> ChatCompletionResponse:
    result = parse_chat_completion(_body(response), provider)
    if fetch_images:
        await afetch_image_urls(image for message in result.messages for image in message.images)
    return result


def parse_anthropic_response(response_json: Any, *, provider: str = "anthropic") -> ChatCompletionResponse:
    return parse_anthropic_message(_body(response_json), provider)


def parse_embedding_response(response_json: Any, *, provider: str = "openai") -> EmbeddingResponse:
    return parse_embeddings(_body(response_json), provider)


def parse_image_response(
    response_json: Any, *, is_chat_route: bool = False, provider: str = "openai", fetch_images: bool = True
) -> ImageGenerationResponse:
    """Either route's body (``is_chat_route`` is accepted for the signature; the body's shape decides)."""
    result = parse_image_generation(_body(response_json), provider)
    if fetch_images:
        fetch_image_urls(result.images)
    return result


async def aparse_image_response(
    response_json: Any, *, is_chat_route: bool = False, provider: str = "openai", fetch_images: bool = True
) -> ImageGenerationResponse:
    result = parse_image_generation(_body(response_json), provider)
    if fetch_images:
        await afetch_image_urls(result.images)
    return result


def extract_usage(raw_usage: Any, generated_images: int | None = None) -> Usage | None:
    """The usage object (a ``dict``) as canonical ``Usage``; unreadable counts are left out."""
    return parse_usage(raw_usage, "usage", generated_images)


# --- fetching images answered as URLs ---------------------------------------------------------------------


def _pending(images: Iterable[ImagePayload]) -> list[ImagePayload]:
    return [
        image
        for image in images
        if image.b64_data is None and image.url is not None and image.url.startswith(("http://", "https://"))
    ]


def fetch_image_urls(
    images: Iterable[ImagePayload], *, timeout: float = IMAGE_FETCH_TIMEOUT, max_bytes: int = MAX_IMAGE_BYTES
) -> None:
    """Fill ``b64_data`` (and ``mime_type``) of every image given only as an http(s) URL, in place."""
    pending = _pending(images)
    if not pending:
        return
    import httpx

    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for image in pending:
            url = image.url or ""
            try:
                with client.stream("GET", url) as response:
                    chunks = _capped(response.iter_bytes(), url, max_bytes)
                    _store(image, response, b"".join(chunks))
            except ProviderError:
                raise
            except Exception as exc:
                raise from_transport_error(exc, provider="image-url") from exc


async def afetch_image_urls(
    images: Iterable[ImagePayload], *, timeout: float = IMAGE_FETCH_TIMEOUT, max_bytes: int = MAX_IMAGE_BYTES
) -> None:
    pending = _pending(images)
    if not pending:
        return
    import httpx

    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
        for image in pending:
            url = image.url or ""
            try:
                async with client.stream("GET", url) as response:
                    data = bytearray()
                    async for chunk in response.aiter_bytes():
                        data.extend(chunk)
                        if len(data) > max_bytes:
                            raise _too_large(url, max_bytes)
                    _store(image, response, bytes(data))
            except ProviderError:
                raise
            except Exception as exc:
                raise from_transport_error(exc, provider="image-url") from exc


def _capped(chunks: Iterable[bytes], url: str, max_bytes: int) -> list[bytes]:
    kept: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(url, max_bytes)
        kept.append(chunk)
    return kept


def _too_large(url: str, max_bytes: int) -> ProviderError:
    return ProviderError(
        f"image at {url} is larger than {max_bytes} bytes; not fetched", provider="image-url"
    )


def _store(image: ImagePayload, response: Any, data: bytes) -> None:
    if response.status_code >= 300:
        raise classify_response(response.status_code, response.headers, data, provider="image-url")
    image.b64_data = base64.b64encode(data).decode()
    mime = response.headers.get("content-type", "").split(";", 1)[0].strip()
    if mime.startswith("image/"):
        image.mime_type = mime
