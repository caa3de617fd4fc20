"""CPU per body and per stream event for Gemini / Vertex AI: the Rust parser and folder, the pure twin,
``orjson.loads`` of the same bytes (the floor), and the google-genai SDK, in one run.

Run: ``.venv/bin/python benches/bench_gemini.py [--rounds N]``. Contenders run in interleaved, shuffled
rounds; each figure is the median over rounds of CPU time (``time.process_time_ns``) per body or per
event, and ``x floor`` the median of the per-round ratios to ``orjson.loads`` (ratios cancel the load
swings of a shared machine: read them, not the microseconds).

Bodies (``generateContent``, ``batchEmbedContents``), each parsed into canonical types (tool-call
arguments read):
  rust            _core.parse_gemini_content / parse_gemini_embeddings
  twin            modelwire.parsing.pure.gemini / gemini_embeddings
  orjson.loads    the bytes to plain Python objects, nothing else (the floor)
  google-genai    GenerateContentResponse._from_response(orjson.loads(body)) (how the SDK reads a
                  response; embeddings: EmbedContentResponse), so the SDK row includes the floor
Streams (``streamGenerateContent?alt=sse``, delivered in one piece), folded into events and a final
response; google-genai reads each chunk's payload as above (no accumulation: its cheapest stream).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from corpus_files import load
from modelwire.parsing.pure import gemini, gemini_embeddings, stream_gemini
from modelwire.parsing.pure.sse import SseDecoder

try:
    from modelwire import _core as rust
except ImportError:
    rust = None  # type: ignore[assignment]
try:
    from google.genai import types as genai
except ImportError:
    genai = None  # type: ignore[assignment]

BODIES = [
    ("text", "gemini/generate_content/pydantic-ai__test_google_model_top_p__i0.json"),
    ("tool call + thought", "gemini/generate_content/vercel-ai__google-tool-call-gemini3.json"),
    ("thinking + grounding",
     "gemini/generate_content/pydantic-ai__test_thinking_with_native_tool_wire_contract_google___i0.json"),
    ("embeddings 2x768", "gemini/embeddings/llm-gemini__test_embedding_batch__i0.json"),
]  # fmt: skip
STREAMS = [
    "gemini/stream_generate_content/pydantic-ai__test_google_model_thinking_part_iter__i0.json",
    "gemini/stream_generate_content/pydantic-ai__test_google_model_file_search_grounding_gemini_3_True___i3.json",
    "gemini/stream_generate_content/openinference__test_response_with_multiple_tool_calls_True___i0.json",
]  # fmt: skip
Contender = Callable[[], object]


def measure(contenders: dict[str, Contender], rounds: int, repeat: int) -> dict[str, list[int]]:
    for contender in contenders.values():
        contender()  # warm-up
    samples: dict[str, list[int]] = {name: [] for name in contenders}
    for _ in range(rounds):
        order = list(contenders)
        random.shuffle(order)
        for name in order:
            run = contenders[name]
            start = time.process_time_ns()
            for _ in range(repeat):
                run()
            samples[name].append((time.process_time_ns() - start) // repeat)
    return samples


def body_contenders(kind: str, body: bytes) -> dict[str, Contender]:
    embeddings = kind.startswith("embeddings")
    contenders: dict[str, Contender] = {}
    if rust is not None:
        parse = rust.parse_gemini_embeddings if embeddings else rust.parse_gemini_content
        contenders["rust"] = lambda: _read(parse(body))
    twin = gemini_embeddings.parse_gemini_embeddings if embeddings else gemini.parse_gemini_content
    contenders["twin"] = lambda: _read(twin(body))
    contenders["orjson.loads"] = lambda: orjson.loads(body)
    if genai is not None:
        sdk = genai.EmbedContentResponse if embeddings else genai.GenerateContentResponse
        contenders["google-genai"] = lambda: sdk._from_response(response=orjson.loads(body), kwargs={})
    return contenders


def _read(result: Any) -> Any:
    for choice in getattr(result, "choices", ()):
        for call in choice.message.tool_calls:
            call.arguments  # noqa: B018  (the arguments are part of the work)
    return result


def stream_contenders(body: bytes, payloads: list[bytes]) -> dict[str, Contender]:
    def folder(cls: Any) -> Contender:
        def run() -> object:
            f = cls("gemini")
            f.feed(body)
            f.finish()
            return f.response()

        return run

    contenders: dict[str, Contender] = {}
    if rust is not None:
        contenders["rust"] = folder(rust.GeminiStreamFolder)
    contenders["twin"] = folder(stream_gemini.GeminiStreamFolder)
    contenders["orjson.loads"] = lambda: [orjson.loads(p) for p in payloads]
    if genai is not None:
        read = genai.GenerateContentResponse._from_response
        contenders["google-genai"] = lambda: [read(response=orjson.loads(p), kwargs={}) for p in payloads]
    return contenders


def report(label: str, samples: dict[str, list[int]], per: int) -> None:
    floor = samples["orjson.loads"]
    sdk = samples.get("google-genai")
    for name, times in samples.items():
        us = statistics.median(times) / per / 1000
        ratio = statistics.median(t / f for t, f in zip(times, floor, strict=True))
        vs_sdk = (
            "" if sdk is None else f"{statistics.median(s / t for s, t in zip(sdk, times, strict=True)):.1f}"
        )
        print(f"{label:<34} {name:<13} {us:>10.2f} {ratio:>8.2f} {vs_sdk:>10}")
        label = ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    if rust is None:
        print("the Rust extension is not built: twin and baselines only")
    header = f"{'case':<34} {'contender':<13} {'us/unit':>10} {'x floor':>8} {'sdk / this':>10}"
    print(header)
    print("-" * len(header))
    for kind, path in BODIES:
        body = load(path).body
        repeat = max(1, 200_000 // len(body))
        report(f"{kind} ({len(body):,} B)", measure(body_contenders(kind, body), args.rounds, repeat), 1)
    print()
    for path in STREAMS:
        body = load(path).body
        decoder = SseDecoder()
        payloads = [e.data.encode() for e in decoder.feed(body) + decoder.finish()]
        label = f"stream {Path(path).stem[-22:]} {len(payloads)}ev"
        repeat = max(1, 200_000 // len(body))
        report(label, measure(stream_contenders(body, payloads), args.rounds, repeat), len(payloads))


if __name__ == "__main__":
    main()
