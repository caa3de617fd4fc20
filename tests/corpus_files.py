"""Access to the recorded provider traffic in tests/corpus (see its README.md for the file format)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

CORPUS_DIR = Path(os.environ.get("MODELWIRE_CORPUS") or Path(__file__).parent / "corpus")


@dataclass(frozen=True)
class Recording:
    """One recorded exchange (or body) from the corpus."""

    path: str  # relative to the corpus root, e.g. "openai/chat_completions/x.json"
    provider: str
    kind: str
    stream: bool
    status: int | None
    fidelity: str
    data: dict[str, Any]

    @property
    def body(self) -> bytes:
        """The response body as bytes (binary event streams decoded from base64)."""
        response = self.data["response"]
        if response.get("body") is None and response.get("body_base64"):
            return base64.b64decode(response["body_base64"])
        body = response.get("body")
        return b"" if body is None else body.encode()

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.data["response"].get("headers") or {})

    @property
    def id(self) -> str:
        return self.path.removesuffix(".json")


@cache
def _index() -> tuple[dict[str, Any], ...]:
    return tuple(orjson.loads((CORPUS_DIR / "index.json").read_bytes()))


def recordings(*kinds: str, providers: tuple[str, ...] = ()) -> Iterator[Recording]:
    """Every recording of the given kinds (all kinds when none given), in index order."""
    for entry in _index():
        if kinds and entry["kind"] not in kinds:
            continue
        if providers and entry["provider"] not in providers:
            continue
        yield load(entry["file"])


@cache
def load(path: str) -> Recording:
    entry = next(e for e in _index() if e["file"] == path)
    data = orjson.loads((CORPUS_DIR / path).read_bytes())
    return Recording(
        path=path,
        provider=entry["provider"],
        kind=entry["kind"],
        stream=bool(entry["stream"]),
        status=entry["status"],
        fidelity=entry["body_fidelity"],
        data=data,
    )
