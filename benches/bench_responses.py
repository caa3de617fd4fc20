"""The OpenAI Responses API, parsed and folded: modelwire (Rust, twin) against ``orjson.loads`` of the same
bytes and against the ``openai`` SDK, in one run.

Run: ``.venv/bin/python benches/bench_responses.py [--rounds N]``.

Bodies (recorded ``Response`` objects): each contender turns the bytes into its result; the rust and twin
rows then read ``.arguments`` of every tool call. Streams (recorded Responses event streams, delivered one
chunk per event as a server flushes them): the folders feed every chunk, finish and build the final
response; the floor is ``orjson.loads`` of each event's JSON alone (pre-extracted); the SDK row does
what its client does per body and per event (``json.loads``, then ``construct_type`` into its typed
models: the SDK does not validate responses) and, for streams, accumulates with ``ResponseStreamState``.
Contenders run in interleaved, shuffled rounds of CPU time (``time.process_time_ns``); the ratio columns
are medians of per-round ratios (they cancel the load swings of a shared machine: read them, not the
microseconds). Target: <= 1.5x orjson per body and per event. Build the extension in release first
(``make dev``).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from openai import omit
from openai._models import construct_type
from openai.lib.streaming.responses import ResponseStreamState
from openai.types.responses import Response, ResponseStreamEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from corpus_files import load
from modelwire.parsing.pure import responses as twin_parse
from modelwire.parsing.pure import stream_responses as twin_stream
from modelwire.parsing.pure.sse import SseDecoder

try:
    from modelwire import _core as rust
except ImportError:
    rust = None  # type: ignore[assignment]

BODIES = [
    ("text + reasoning", "openai/responses/vercel-ai__openai-reasoning-encrypted-content.1.json"),
    (
        "function call",
        "openai/responses/openllmetry__test_recipe_workflow_agent_handoffs_with_function_tools__i0.json",
    ),
    ("web search (large)", "openai/responses/vercel-ai__openai-web-search-tool.1.json"),
]
STREAMS = [
    ("text", "openai/responses_stream/otel-contrib__test_responses_create_streaming_content_mode0___i0.json"),
    ("tool call", "openai/responses_stream/llm__test_responses_tool_use_streaming__i0.json"),
    (
        "reasoning summary",
        "openai/responses_stream/pydantic-ai__test_openai_responses_thinking_part_iter__i0.json",
    ),
]


def cpu(action: Callable[[], object], repeat: int) -> float:
    start = time.process_time_ns()
    for _ in range(repeat):
        action()
    return (time.process_time_ns() - start) / repeat


def body_contenders(body: bytes) -> dict[str, Callable[[], object]]:
    def modelwire(parse: Any) -> Callable[[], object]:
        def run() -> object:
            result = parse(body, "openai")
            for call in result.message.tool_calls:
                _ = call.arguments
            return result

        return run

    found = {"twin": modelwire(twin_parse.parse_responses), "orjson.loads": lambda: orjson.loads(body)}
    if rust is not None:
        found["rust"] = modelwire(rust.parse_responses)
    found["openai SDK"] = lambda: construct_type(type_=Response, value=json.loads(body))
    return found


def stream_body(path: str) -> bytes:
    recording = load(path)
    return recording.body


def chunks_of(body: bytes) -> list[bytes]:
    pieces, start = [], 0
    normal = body.replace(b"\r\n", b"\n")
    while (end := normal.find(b"\n\n", start)) >= 0:
        pieces.append(normal[start : end + 2])
        start = end + 2
    return pieces


def stream_contenders(chunks: list[bytes]) -> dict[str, Callable[[], object]]:
    decoder = SseDecoder()
    payloads = [e.data.encode() for e in decoder.feed(b"".join(chunks)) + decoder.finish() if e.data]

    def folder(cls: Any) -> Callable[[], object]:
        def run() -> object:
            f = cls("openai")
            for chunk in chunks:
                f.feed(chunk)
            f.finish()
            return f.response()

        return run

    def sdk() -> object:
        state: ResponseStreamState[Any] = ResponseStreamState(input_tools=omit, text_format=omit)
        for data in payloads:
            state.handle_event(construct_type(type_=ResponseStreamEvent, value=json.loads(data)))  # type: ignore[arg-type]
        return state

    def floor() -> object:
        return [orjson.loads(data) for data in payloads]

    found = {"twin": folder(twin_stream.ResponsesStreamFolder), "orjson.loads": floor, "openai SDK": sdk}
    if rust is not None:
        found["rust"] = folder(rust.ResponsesStreamFolder)
    return found


def measure(
    contenders: dict[str, Callable[[], object]], rounds: int, units: int
) -> dict[str, tuple[float, float]]:
    """Median CPU ns per unit (body or event) and median per-round ratio to orjson.loads, per contender."""
    repeat = {}
    for name, action in contenders.items():  # about 5 ms per contender per round
        once = cpu(action, 3)
        repeat[name] = max(1, int(5_000_000 / max(once, 1)))
    times: dict[str, list[float]] = {name: [] for name in contenders}
    ratios: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for _ in range(rounds):
        random.shuffle(names)
        got = {name: cpu(contenders[name], repeat[name]) / units for name in names}
        for name, value in got.items():
            times[name].append(value)
            ratios[name].append(value / got["orjson.loads"])
    return {name: (statistics.median(times[name]), statistics.median(ratios[name])) for name in contenders}


def table(title: str, rows: list[tuple[str, int, int, dict[str, tuple[float, float]]]]) -> None:
    order = ["rust", "twin", "orjson.loads", "openai SDK"]
    print(f"\n{title}\n")
    print("| case | bytes | per | " + " | ".join(order) + " | rust / orjson | twin / orjson | SDK / rust |")
    print("|---|---|---|" + "---|" * (len(order) + 3))
    for name, size, units, result in rows:
        unit = "body" if units == 1 else f"event ({units})"
        cells = [f"{result[c][0] / 1000:.2f} us" if c in result else "-" for c in order]
        rust_ratio = f"{result['rust'][1]:.2f}" if "rust" in result else "-"
        sdk = f"{result['openai SDK'][0] / result['rust'][0]:.1f}x" if "rust" in result else "-"
        print(
            f"| {name} | {size:,} | {unit} | "
            + " | ".join(cells)
            + f" | {rust_ratio} | {result['twin'][1]:.2f} | {sdk} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    warnings.simplefilter("ignore")
    body_rows = []
    for name, path in BODIES:
        body = load(path).body
        body_rows.append((name, len(body), 1, measure(body_contenders(body), rounds, 1)))
    stream_rows = []
    for name, path in STREAMS:
        body = stream_body(path)
        chunks = chunks_of(body)
        events = len(chunks)
        stream_rows.append((name, len(body), events, measure(stream_contenders(chunks), rounds, events)))
    table("Responses bodies: parse_responses", body_rows)
    table("Responses streams: ResponsesStreamFolder, per event", stream_rows)


if __name__ == "__main__":
    main()
