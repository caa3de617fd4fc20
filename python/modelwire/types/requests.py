"""Requests: the Data Designer fields, plus the few every adapter needs beside them.

Optional fields left at ``None`` are not sent. ``extra_body`` is merged flat into the request body and
wins on a conflict; ``extra_headers`` are sent as headers; ``timeout`` is the per-request HTTP timeout
in seconds and never enters the body. The required fields (``model``, ``messages``, ``inputs``,
``prompt``) are placed by the adapter, which may also exclude optional fields it translates itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["ChatCompletionRequest", "EmbeddingRequest", "ImageGenerationRequest"]


@dataclass(slots=True)
class ChatCompletionRequest:
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    response_format: dict[str, Any] | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    reasoning_effort: str | None = None
    timeout: float | None = None
    extra_body: dict[str, Any] | None = None
    extra_headers: dict[str, str] | None = None

    # Sent in the body when not None, in this order (after the adapter's required fields).
    BODY_FIELDS: ClassVar[tuple[str, ...]] = (
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "n",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "seed",
        "response_format",
        "frequency_penalty",
        "presence_penalty",
        "logprobs",
        "top_logprobs",
        "reasoning_effort",
    )


@dataclass(slots=True)
class EmbeddingRequest:
    model: str
    inputs: list[str]
    encoding_format: str | None = None
    dimensions: int | None = None
    timeout: float | None = None
    extra_body: dict[str, Any] | None = None
    extra_headers: dict[str, str] | None = None

    BODY_FIELDS: ClassVar[tuple[str, ...]] = ("encoding_format", "dimensions")


@dataclass(slots=True)
class ImageGenerationRequest:
    """An image request. With ``messages`` set it goes to the chat route (models that answer with
    images); with ``messages`` left ``None`` it goes to ``/images/generations`` with ``prompt``."""

    model: str
    prompt: str
    messages: list[dict[str, Any]] | None = None
    n: int | None = None
    size: str | None = None
    quality: str | None = None
    response_format: str | None = None
    timeout: float | None = None
    extra_body: dict[str, Any] | None = None
    extra_headers: dict[str, str] | None = None

    BODY_FIELDS: ClassVar[tuple[str, ...]] = ("n", "size", "quality", "response_format")
