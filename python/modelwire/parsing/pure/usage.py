"""Token usage from the ``usage`` object of any OpenAI-compatible server (docs/parsing-rules.md, 6)."""

from __future__ import annotations

from typing import Any

from modelwire.parsing.pure._read import at, expected, opt_dict, opt_int
from modelwire.types import Usage

__all__ = ["parse_usage"]


def _first(*values: int | None) -> int | None:
    for value in values:
        if value is not None:
            return value
    return None


def parse_usage(raw: Any, path: str, generated_images: int | None = None) -> Usage | None:
    """``raw`` is the value of the usage field (anything JSON); ``None`` when the provider sent none."""
    if raw is None:
        return None if generated_images is None else Usage(generated_images=generated_images)
    if type(raw) is not dict:
        raise expected("an object", raw, path)
    prompt_details = opt_dict(raw, "prompt_tokens_details", path)
    input_details = opt_dict(raw, "input_tokens_details", path)
    completion_details = opt_dict(raw, "completion_tokens_details", path)
    output_details = opt_dict(raw, "output_tokens_details", path)
    pd_path = at(path, "prompt_tokens_details")
    id_path = at(path, "input_tokens_details")
    cd_path = at(path, "completion_tokens_details")
    od_path = at(path, "output_tokens_details")

    input_tokens = _first(opt_int(raw, "prompt_tokens", path), opt_int(raw, "input_tokens", path))
    output_tokens = _first(opt_int(raw, "completion_tokens", path), opt_int(raw, "output_tokens", path))
    total_tokens = opt_int(raw, "total_tokens", path)
    if total_tokens is None and input_tokens is not None and output_tokens is not None:
        total_tokens = input_tokens + output_tokens
    reasoning_tokens = _first(
        opt_int(raw, "reasoning_tokens", path),
        None if completion_details is None else opt_int(completion_details, "reasoning_tokens", cd_path),
        None if output_details is None else opt_int(output_details, "reasoning_tokens", od_path),
    )
    cache_read = _first(
        None if prompt_details is None else opt_int(prompt_details, "cached_tokens", pd_path),
        None if input_details is None else opt_int(input_details, "cached_tokens", id_path),
        opt_int(raw, "prompt_cache_hit_tokens", path),
        opt_int(raw, "cached_tokens", path),
        opt_int(raw, "num_cached_tokens", path),
    )
    cache_write = _first(
        None if prompt_details is None else opt_int(prompt_details, "cache_write_tokens", pd_path),
        None if input_details is None else opt_int(input_details, "cache_write_tokens", id_path),
    )
    return Usage(
        input_tokens,
        output_tokens,
        total_tokens,
        reasoning_tokens,
        cache_read,
        cache_write,
        "provider" if reasoning_tokens is not None else None,
        generated_images,
    )
