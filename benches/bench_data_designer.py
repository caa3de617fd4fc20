"""Data Designer's own response parsing vs modelwire's, on the same recorded bodies (issue 18).

Data Designer's adapters parse ``response.json()`` (``json.loads`` of the bytes) with
``parse_chat_completion_response``, ``parse_anthropic_response``, ``_parse_embedding_json`` and
``_parse_image_json``; modelwire parses the bytes, through ``modelwire.compat.data_designer`` (the Rust
parser when the extension is loaded) or its pure-Python twin. Needs ``data-designer-engine`` (the
``make interop-dd`` venv):

    PYTHONPATH=python .venv-interop-dd/bin/python benches/bench_data_designer.py --rounds 5
    PYTHONPATH=python .venv-interop-dd/bin/python -m pytest benches/bench_data_designer.py \
        --benchmark-enable -p no:cacheprovider
"""

from __future__ import annotations

import argparse
import json
import sys
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from corpus_files import load  # noqa: E402
from modelwire.compat import data_designer as compat  # noqa: E402
from modelwire.parsing import pure  # noqa: E402

EMBEDDING_SHAPE = (256, 1536)  # Data Designer builds Python lists: a smaller batch than bench_parse's


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # chat, anthropic, embeddings, images
    body: bytes


def _embeddings() -> bytes:
    rows, dims = EMBEDDING_SHAPE
    values = (np.random.default_rng(7).standard_normal((rows, dims)) * 0.03).astype(np.float32)
    data = [
        {"object": "embedding", "index": i, "embedding": [float(v) for v in row]}
        for i, row in enumerate(values)
    ]
    return json.dumps({"object": "list", "data": data, "model": "text-embedding-3-small",
                       "usage": {"prompt_tokens": 512, "total_tokens": 512}}).encode()  # fmt: skip


def cases() -> list[Case]:
    chat = "openai/chat_completions/"
    return [
        Case("chat: text", "chat", load(chat + "vercel-ai__openai-text.json").body),
        Case("chat: tool calls", "chat",
             load(chat + "otel-contrib__test_async_chat_completion_tool_calls_no_content__i0.json").body),
        Case("chat: reasoning", "chat",
             load("alibaba_qwen/chat_completions/vercel-ai__alibaba-reasoning.json").body),
        Case("anthropic: tool_use", "anthropic",
             load("anthropic/messages/openinference__TestToolCallsInChatResponse.test_anthropic__i0.json").body),
        Case("images: b64_json", "images", load("openai/images/vercel-ai__openai-image.json").body),
        Case(f"embeddings: {EMBEDDING_SHAPE[0]}x{EMBEDDING_SHAPE[1]}", "embeddings", _embeddings()),
    ]  # fmt: skip


def _data_designer(kind: str) -> Callable[[bytes], Any]:
    from data_designer.engine.models.clients import parsing
    from data_designer.engine.models.clients.adapters import anthropic_translation, openai_compatible

    parse: Callable[[Any], Any] = {
        "chat": parsing.parse_chat_completion_response,
        "anthropic": anthropic_translation.parse_anthropic_response,
        "embeddings": openai_compatible._parse_embedding_json,
        "images": lambda data: openai_compatible._parse_image_json(data, is_chat_route=False),
    }[kind]
    return lambda body: parse(json.loads(body))


def _modelwire(kind: str) -> Callable[[bytes], Any]:
    return {
        "chat": compat.parse_chat_completion_response,
        "anthropic": compat.parse_anthropic_response,
        "embeddings": compat.parse_embedding_response,
        "images": compat.parse_image_response,
    }[kind]


def _twin(kind: str) -> Callable[[bytes], Any]:
    return {
        "chat": pure.parse_chat_completion,
        "anthropic": pure.parse_anthropic_message,
        "embeddings": pure.parse_embeddings,
        "images": pure.parse_image_generation,
    }[kind]


IMPLEMENTATIONS: dict[str, Callable[[str], Callable[[bytes], Any]]] = {
    "data_designer": _data_designer,
    "modelwire": _modelwire,
    "twin": _twin,
}


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
@pytest.mark.parametrize("name", list(IMPLEMENTATIONS))
def test_parse(benchmark: Any, case: Case, name: str) -> None:
    pytest.importorskip("data_designer.engine.models.clients.parsing")
    parse = IMPLEMENTATIONS[name](case.kind)
    benchmark.group = case.name
    assert benchmark(parse, case.body) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5, help="best of this many timing rounds")
    args = parser.parse_args()
    from modelwire import BACKEND

    print(
        f"modelwire backend: {BACKEND}; best of {args.rounds} rounds; ratio = Data Designer time / this time"
    )
    print(
        f"{'case':28} {'data_designer us':>17} {'modelwire us':>13} {'ratio':>6} {'twin us':>9} {'ratio':>6}"
    )
    for case in cases():
        times = {}
        for name, make in IMPLEMENTATIONS.items():
            parse = make(case.kind)
            parse(case.body)
            timer = timeit.Timer(lambda parse=parse, body=case.body: parse(body))
            number, _ = timer.autorange()
            times[name] = min(timer.repeat(args.rounds, number)) / number * 1e6
        dd, mw, twin = times["data_designer"], times["modelwire"], times["twin"]
        print(f"{case.name:28} {dd:17.1f} {mw:13.1f} {dd / mw:6.1f} {twin:9.1f} {dd / twin:6.1f}")


if __name__ == "__main__":
    main()
