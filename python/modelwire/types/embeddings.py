"""Embedding vectors, held as one contiguous float32 buffer."""

from __future__ import annotations

from array import array
from typing import Any, cast

import orjson

from modelwire.types._record import Record
from modelwire.types.cost import Cost
from modelwire.types.usage import Usage

__all__ = ["EmbeddingResponse"]

_UNSET: Any = object()


class EmbeddingResponse(Record):
    """Embeddings for a batch of inputs.

    ``buffer`` holds ``count * dimensions`` float32 values in native byte order, row ``i`` being the
    vector of input ``i`` (rows are placed by the provider's ``index``, not by arrival order).
    ``matrix`` is a zero-copy 2-D view that supports the buffer protocol, so ``numpy.asarray(r.matrix)``
    wraps it without copying; ``vectors`` is the list-of-lists view, built on first access.

    ``EmbeddingResponse(vectors=[[...], ...])`` (Data Designer's constructor) builds the buffer from the
    lists (float32, so ``buffer`` holds the values rounded) and keeps the lists as given in ``vectors``.
    ``skipped`` lists optional fields the parser could not read (docs/parsing-rules.md, section 2).
    """

    __slots__ = (
        "buffer",
        "count",
        "dimensions",
        "model",
        "usage",
        "provider",
        "skipped",
        "body",
        "_raw",
        "_vectors",
        "cost",
    )
    _fields = ("count", "dimensions", "buffer", "model", "usage", "provider", "skipped", "cost")

    def __init__(
        self,
        buffer: bytes | None = None,
        count: int | None = None,
        dimensions: int | None = None,
        model: str | None = None,
        usage: Usage | None = None,
        provider: str | None = None,
        body: bytes = b"",
        raw: Any = _UNSET,
        *,
        vectors: list[list[float]] | None = None,
        skipped: list[str] | None = None,
        cost: Cost | None = None,
    ) -> None:
        self.cost = cost  # priced by the client after parsing (docs/cost.md)
        self._vectors: list[list[float]] | None = None
        if vectors is not None:
            if buffer is not None or count is not None or dimensions is not None:
                raise TypeError("give either vectors= or buffer/count/dimensions, not both")
            buffer, count, dimensions = _pack(vectors)
        elif buffer is None or count is None or dimensions is None:
            raise TypeError("EmbeddingResponse needs vectors=, or buffer, count and dimensions")
        if len(buffer) != count * dimensions * 4:
            raise ValueError(
                f"buffer holds {len(buffer)} bytes, expected {count} x {dimensions} float32 values"
            )
        self.buffer = buffer
        self.count = count
        self.dimensions = dimensions
        self.model = model
        self.usage = usage
        self.provider = provider
        self.skipped = [] if skipped is None else skipped
        self.body = body
        self._raw = raw
        if vectors is not None:
            self._vectors = vectors

    @property
    def shape(self) -> tuple[int, int]:
        return (self.count, self.dimensions)

    @property
    def matrix(self) -> memoryview[float]:
        """A read-only ``(count, dimensions)`` float32 view of ``buffer``.

        memoryview cannot take a shape with a zero in it, so an empty result is a 1-D empty view.
        """
        view = memoryview(self.buffer).cast("f")
        return view.cast("B").cast("f", self.shape) if len(view) else view

    @property
    def vectors(self) -> list[list[float]]:
        if self._vectors is None:
            if self.count == 0 or self.dimensions == 0:
                self._vectors = [[] for _ in range(self.count)]
            else:
                self._vectors = cast(list[list[float]], self.matrix.tolist())
        return self._vectors

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return (
            f"EmbeddingResponse(shape={self.shape!r}, model={self.model!r}, "
            f"usage={self.usage!r}, provider={self.provider!r})"
        )

    @property
    def raw(self) -> Any:
        if self._raw is _UNSET:
            self._raw = orjson.loads(self.body) if self.body else None
        return self._raw


def _pack(vectors: list[list[float]]) -> tuple[bytes, int, int]:
    """Rows of equal length as one float32 buffer, with their count and width."""
    width = len(vectors[0]) if vectors else 0
    packed = array("f")
    for i, row in enumerate(vectors):
        if len(row) != width:
            raise ValueError(f"vector {i} has {len(row)} values, vector 0 has {width}")
        packed.extend(row)
    return packed.tobytes(), len(vectors), width
