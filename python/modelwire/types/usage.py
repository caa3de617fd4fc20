"""Token usage, one shape for every provider."""

from __future__ import annotations

from typing import Literal

from modelwire.types._record import Record

__all__ = ["Usage"]

ReasoningCountSource = Literal["provider", "estimated"]


class Usage(Record):
    """Token counts for one response. ``None`` means the provider did not say; it is never an invented 0.

    ``input_tokens`` counts every prompt token, cached or not (OpenAI's convention). Providers that report
    cache reads and writes apart from the uncached input (Anthropic, Bedrock) are summed into it, and the
    cache counts are also given on their own in ``cache_read_tokens`` / ``cache_write_tokens``.
    ``reasoning_tokens`` is a part of ``output_tokens``, as every provider reports it.

    The keyword-only counts are parts of those totals that are priced apart (their names are the usage keys
    of ``genai-prices``, docs/cost.md): ``cache_write_5m_tokens`` / ``cache_write_1h_tokens`` split
    ``cache_write_tokens`` by the cache's time to live (Anthropic, Bedrock); ``input_audio_tokens``,
    ``input_image_tokens``, ``input_video_tokens`` are parts of ``input_tokens``; ``output_audio_tokens``,
    ``output_image_tokens`` parts of ``output_tokens``; ``cache_audio_read_tokens``,
    ``cache_image_read_tokens``, ``cache_video_read_tokens`` parts of ``cache_read_tokens``, where the
    provider reports them by modality (Gemini counts documents as images, as genai-prices prices them).
    """

    __slots__ = (
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "reasoning_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_token_count_source",
        "generated_images",
        "cache_write_5m_tokens",
        "cache_write_1h_tokens",
        "input_audio_tokens",
        "output_audio_tokens",
        "input_image_tokens",
        "output_image_tokens",
        "input_video_tokens",
        "cache_audio_read_tokens",
        "cache_image_read_tokens",
        "cache_video_read_tokens",
    )
    _fields = __slots__

    def __init__(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        total_tokens: int | None = None,
        reasoning_tokens: int | None = None,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        reasoning_token_count_source: ReasoningCountSource | None = None,
        generated_images: int | None = None,
        *,
        cache_write_5m_tokens: int | None = None,
        cache_write_1h_tokens: int | None = None,
        input_audio_tokens: int | None = None,
        output_audio_tokens: int | None = None,
        input_image_tokens: int | None = None,
        output_image_tokens: int | None = None,
        input_video_tokens: int | None = None,
        cache_audio_read_tokens: int | None = None,
        cache_image_read_tokens: int | None = None,
        cache_video_read_tokens: int | None = None,
    ) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.total_tokens = total_tokens
        self.reasoning_tokens = reasoning_tokens
        self.cache_read_tokens = cache_read_tokens
        self.cache_write_tokens = cache_write_tokens
        self.reasoning_token_count_source = reasoning_token_count_source
        self.generated_images = generated_images
        self.cache_write_5m_tokens = cache_write_5m_tokens
        self.cache_write_1h_tokens = cache_write_1h_tokens
        self.input_audio_tokens = input_audio_tokens
        self.output_audio_tokens = output_audio_tokens
        self.input_image_tokens = input_image_tokens
        self.output_image_tokens = output_image_tokens
        self.input_video_tokens = input_video_tokens
        self.cache_audio_read_tokens = cache_audio_read_tokens
        self.cache_image_read_tokens = cache_image_read_tokens
        self.cache_video_read_tokens = cache_video_read_tokens

    def __add__(self, other: Usage) -> Usage:
        """Accumulate two usages; a count stays ``None`` only if neither side reported it."""
        if not isinstance(other, Usage):
            return NotImplemented
        a, b = self, other
        return Usage(
            _sum(a.input_tokens, b.input_tokens),
            _sum(a.output_tokens, b.output_tokens),
            _sum(a.total_tokens, b.total_tokens),
            _sum(a.reasoning_tokens, b.reasoning_tokens),
            _sum(a.cache_read_tokens, b.cache_read_tokens),
            _sum(a.cache_write_tokens, b.cache_write_tokens),
            a.reasoning_token_count_source or b.reasoning_token_count_source,
            _sum(a.generated_images, b.generated_images),
            cache_write_5m_tokens=_sum(a.cache_write_5m_tokens, b.cache_write_5m_tokens),
            cache_write_1h_tokens=_sum(a.cache_write_1h_tokens, b.cache_write_1h_tokens),
            input_audio_tokens=_sum(a.input_audio_tokens, b.input_audio_tokens),
            output_audio_tokens=_sum(a.output_audio_tokens, b.output_audio_tokens),
            input_image_tokens=_sum(a.input_image_tokens, b.input_image_tokens),
            output_image_tokens=_sum(a.output_image_tokens, b.output_image_tokens),
            input_video_tokens=_sum(a.input_video_tokens, b.input_video_tokens),
            cache_audio_read_tokens=_sum(a.cache_audio_read_tokens, b.cache_audio_read_tokens),
            cache_image_read_tokens=_sum(a.cache_image_read_tokens, b.cache_image_read_tokens),
            cache_video_read_tokens=_sum(a.cache_video_read_tokens, b.cache_video_read_tokens),
        )


def _sum(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b
