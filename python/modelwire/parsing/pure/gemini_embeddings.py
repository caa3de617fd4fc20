"""Gemini and Vertex AI embeddings into one float32 buffer (docs/parsing-rules-gemini.md, section 6).

Three shapes, told apart by their top-level member: ``embedContent`` (``{"embedding": {"values"}}``, one
row), ``batchEmbedContents`` (``{"embeddings": [{"values"}, ...]}``, rows in input order) and Vertex's
``predict`` (``{"predictions": [{"embeddings": {"values", "statistics": {"token_count"}}}]}``). The float
rows are packed exactly as the OpenAI-format parser packs them.
"""

from __future__ import annotations

from typing import Any

from modelwire.parsing.pure._read import Fault, at, expected, opt_dict, opt_int, opt_list, required_dict, run
from modelwire.parsing.pure.embeddings import _floats
from modelwire.parsing.pure.gemini import error_fault
from modelwire.types import EmbeddingResponse, Usage

__all__ = ["parse_gemini_embeddings"]


def parse_gemini_embeddings(body: bytes, provider: str = "gemini") -> EmbeddingResponse:
    return run(_parse, body, provider)


def _parse(data: dict[str, Any], body: bytes, provider: str) -> EmbeddingResponse:
    single = opt_dict(data, "embedding", "")
    batch = opt_list(data, "embeddings", "")
    predictions = opt_list(data, "predictions", "")
    usage_raw = opt_dict(data, "usageMetadata", "")
    prompt = None if usage_raw is None else opt_int(usage_raw, "promptTokenCount", "usageMetadata")
    tokens: int | None = None
    rows: list[tuple[bytes, str]]
    if single is not None:
        rows = [_values(single, "embedding")]
    elif batch is not None:
        rows = [
            _values(_object(item, f"embeddings[{i}]"), f"embeddings[{i}]") for i, item in enumerate(batch)
        ]
    elif predictions is not None:
        rows = []
        for i, item in enumerate(predictions):
            path = f"predictions[{i}]"
            embeddings = required_dict(_object(item, path), "embeddings", path)
            path = at(path, "embeddings")
            rows.append(_values(embeddings, path))
            statistics = opt_dict(embeddings, "statistics", path)
            count = None if statistics is None else opt_int(statistics, "token_count", at(path, "statistics"))
            if count is not None:
                tokens = count if tokens is None else tokens + count
    else:
        if data.get("error") is not None:
            raise error_fault(data["error"])
        raise Fault("missing required field", "embeddings")
    dimensions = len(rows[0][0]) // 4 if rows else 0
    for row, path in rows:
        if len(row) // 4 != dimensions:
            raise Fault(f"embedding has {len(row) // 4} values, expected {dimensions}", path)
    input_tokens = prompt if prompt is not None else tokens
    usage = None if input_tokens is None else Usage(input_tokens, None, input_tokens)
    return EmbeddingResponse(
        b"".join(row for row, _ in rows), len(rows), dimensions, None, usage, provider, body
    )


def _object(item: Any, path: str) -> dict[str, Any]:
    if type(item) is not dict:
        raise expected("an object", item, path)
    return item


def _values(container: dict[str, Any], path: str) -> tuple[bytes, str]:
    """The packed row and the path of its ``values``."""
    path = at(path, "values")
    values = container.get("values")
    if type(values) is not list:
        if "values" not in container:
            raise Fault("missing required field", path)
        raise expected("an array", values, path)
    return _floats(values, path), path
