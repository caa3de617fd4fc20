"""OpenAI-format embeddings into one float32 buffer (docs/parsing-rules.md, section 4)."""

from __future__ import annotations

import binascii
import math
import re
import sys
from array import array
from typing import Any

from modelwire.parsing.pure._read import (
    Fault,
    at,
    check_missing_array,
    expected,
    lax_str,
    log_skipped,
    opt_int,
    run,
)
from modelwire.parsing.pure.usage import parse_usage
from modelwire.types import EmbeddingResponse

__all__ = ["parse_embeddings"]

_NUMBER_TYPES = frozenset({int, float})
# Canonical padded base64: alphabet characters, then at most two "=" (the length check does the rest).
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def parse_embeddings(body: bytes, provider: str = "openai") -> EmbeddingResponse:
    return run(_parse, body, provider)


def _parse(data: dict[str, Any], body: bytes, provider: str) -> EmbeddingResponse:
    items = data.get("data")
    if items is None:
        check_missing_array(data, "data")
    if type(items) is not list:
        raise expected("an array", items, "data")
    count = len(items)
    rows: list[bytes | None] = [None] * count
    dimensions: int | None = None
    for position, item in enumerate(items):
        path = f"data[{position}]"
        if type(item) is not dict:
            raise expected("an object", item, path)
        index = opt_int(item, "index", path)
        if index is None:
            index = position
        if not 0 <= index < count:
            raise Fault(f"embedding index {index} is out of range for {count} rows", at(path, "index"))
        if rows[index] is not None:
            raise Fault(f"embedding index {index} appears twice", at(path, "index"))
        row = _row(item, at(path, "embedding"))
        width = len(row) // 4
        if dimensions is None:
            dimensions = width
        elif width != dimensions:
            raise Fault(f"embedding has {width} values, expected {dimensions}", at(path, "embedding"))
        rows[index] = row
    skipped: list[str] = []
    response = EmbeddingResponse(
        b"".join(row for row in rows if row is not None),
        count,
        dimensions or 0,
        model=lax_str(data, "model", "", skipped),
        usage=parse_usage(data.get("usage"), "usage", None, skipped),
        provider=provider,
        body=body,
        skipped=skipped,
    )
    if skipped:
        skipped.sort()
        log_skipped(provider, skipped)
    return response


def _row(item: dict[str, Any], path: str) -> bytes:
    value = item.get("embedding")
    if type(value) is list:
        return _floats(value, path)
    if type(value) is str:
        return _base64(value, path)
    if "embedding" not in item:
        raise Fault("missing required field", path)
    raise expected("an array or a string", value, path)


def _floats(values: list[Any], path: str) -> bytes:
    if not set(map(type, values)) <= _NUMBER_TYPES:
        for j, value in enumerate(values):
            if type(value) not in _NUMBER_TYPES:
                raise expected("a number", value, f"{path}[{j}]")
    packed = array("f", values)
    # array() rounds doubles to float32 like a C cast: an overflow shows up as an infinity.
    if packed and (max(packed) == math.inf or min(packed) == -math.inf):
        for j, number in enumerate(packed):
            if math.isinf(number):
                raise Fault("embedding value out of float32 range", f"{path}[{j}]")
    return packed.tobytes()


def _base64(text: str, path: str) -> bytes:
    if len(text) % 4 or _BASE64.fullmatch(text) is None:
        raise Fault("embedding is not valid base64", path)
    raw = binascii.a2b_base64(text, strict_mode=True)
    if len(raw) % 4:
        raise Fault(f"embedding base64 holds {len(raw)} bytes, not whole float32 values", path)
    if sys.byteorder == "big":
        swapped = array("f", raw)
        swapped.byteswap()
        return swapped.tobytes()
    return raw
