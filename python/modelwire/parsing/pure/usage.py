"""Token usage from the ``usage`` object of any OpenAI-compatible server (docs/parsing-rules.md, 6)."""

from __future__ import annotations

from typing import Any

from modelwire.parsing.pure._read import at, lax_dict, lax_int
from modelwire.types import Usage

__all__ = ["parse_usage"]

_NONE: dict[str, Any] = {}  # an absent details object: every count in it absent


def _first(*values: int | None) -> int | None:
    for value in values:
        if value is not None:
            return value
    return None


def parse_usage(
    raw: Any, path: str, generated_images: int | None = None, skipped: list[str] | None = None
) -> Usage | None:
    """``raw`` is the value of the usage field (anything JSON); ``None`` when the provider sent none.

    Usage is optional throughout: a usage that is not an object, a details member that is not an object
    and a count that is not an integer are left out and their paths added to ``skipped``.
    """
    if skipped is None:
        skipped = []  # a caller that keeps no record (every parser here passes its list)
    if raw is not None and type(raw) is not dict:
        skipped.append(path)
        raw = None
    if raw is None:
        return None if generated_images is None else Usage(generated_images=generated_images)
    pd_path = at(path, "prompt_tokens_details")
    id_path = at(path, "input_tokens_details")
    cd_path = at(path, "completion_tokens_details")
    od_path = at(path, "output_tokens_details")
    prompt_details = lax_dict(raw, "prompt_tokens_details", path, skipped) or _NONE
    input_details = lax_dict(raw, "input_tokens_details", path, skipped) or _NONE
    completion_details = lax_dict(raw, "completion_tokens_details", path, skipped) or _NONE
    output_details = lax_dict(raw, "output_tokens_details", path, skipped) or _NONE

    input_tokens = _first(
        lax_int(raw, "prompt_tokens", path, skipped), lax_int(raw, "input_tokens", path, skipped)
    )
    output_tokens = _first(
        lax_int(raw, "completion_tokens", path, skipped), lax_int(raw, "output_tokens", path, skipped)
    )
    total_tokens = lax_int(raw, "total_tokens", path, skipped)
    if total_tokens is None and input_tokens is not None and output_tokens is not None:
        total_tokens = input_tokens + output_tokens

    def prompt_part(key: str) -> int | None:  # Chat Completions' details object, else the Responses API's
        return _first(
            lax_int(prompt_details, key, pd_path, skipped), lax_int(input_details, key, id_path, skipped)
        )

    def completion_part(key: str) -> int | None:
        return _first(
            lax_int(completion_details, key, cd_path, skipped),
            lax_int(output_details, key, od_path, skipped),
        )

    reasoning_tokens = _first(
        lax_int(raw, "reasoning_tokens", path, skipped), completion_part("reasoning_tokens")
    )
    cache_read = _first(
        prompt_part("cached_tokens"),
        lax_int(raw, "prompt_cache_hit_tokens", path, skipped),
        lax_int(raw, "cached_tokens", path, skipped),
        lax_int(raw, "num_cached_tokens", path, skipped),
    )
    cache_write = prompt_part("cache_write_tokens")
    # Parts priced apart: audio and image tokens, in whichever details object this API reports them.
    input_audio = prompt_part("audio_tokens")
    output_audio = completion_part("audio_tokens")
    input_image = prompt_part("image_tokens")
    output_image = completion_part("image_tokens")
    return Usage(
        input_tokens,
        output_tokens,
        total_tokens,
        reasoning_tokens,
        cache_read,
        cache_write,
        "provider" if reasoning_tokens is not None else None,
        generated_images,
        input_audio_tokens=input_audio,
        output_audio_tokens=output_audio,
        input_image_tokens=input_image,
        output_image_tokens=output_image,
    )
