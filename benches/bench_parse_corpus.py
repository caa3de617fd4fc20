"""CPU per call of both parsers against ``orjson.loads`` of the same bytes, for every corpus body and stream.

Run: ``.venv/bin/python benches/bench_parse_corpus.py [--rounds N] [--budget S] [--only TEXT] [--json FILE]``
(release build: ``make dev``). Every body of tests/corpus that modelwire parses: OpenAI chat completions
(every compatible provider), embeddings and images, Anthropic messages, Responses API bodies, Bedrock
Converse, Gemini / Vertex content and embeddings; and every stream it folds (OpenAI-compatible,
Anthropic, Responses, Gemini, Bedrock), delivered one chunk per event as a server flushes them and
reported per event. Bodies both parsers reject (recorded errors) are not timed: rejecting is not parsing.

Contenders, per case:
  rust    ``modelwire._core``: the parser (or the stream folder: feed every chunk, finish, response()),
          then ``.arguments`` of every tool call read (both backends hand them over parsed / validated)
  twin    the same with the pure-Python twin
  floor   ``orjson.loads`` of the body (streams: of each event's JSON payload, pre-extracted), plus
          ``orjson.loads`` of every tool call's arguments where the format sends them as JSON text
          (OpenAI chat and Responses bodies, every stream but Gemini's); where they are JSON objects
          inside the body (Anthropic, Bedrock, Gemini bodies), loading the body already builds them

Each round runs the three contenders of a case in a shuffled order, each for about ``--budget`` seconds
of CPU (``time.process_time_ns``); a ratio is taken within each round (that cancels the load swings of a
shared machine) and the median over rounds reported. Printed: the ratios per group, the worst ten cases
per backend, and every case where Rust costs more than the twin.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import struct
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from corpus_files import recordings
from eventstream_support import bedrock_streams
from gemini_support import STREAMS as GEMINI_STREAMS
from modelwire.parsing import pure
from modelwire.parsing.pure import (
    stream_anthropic,
    stream_bedrock,
    stream_gemini,
    stream_openai,
    stream_responses,
)
from modelwire.parsing.pure.eventstream import EventStreamDecoder
from modelwire.parsing.pure.sse import SseDecoder
from test_stream_corpus import STREAMS as SSE_STREAMS

try:
    from modelwire import _core as rust
except ImportError:  # running from source without the extension: the twin and the floor only
    rust = None  # type: ignore[assignment]

Run = Callable[[], object]

# Body kinds: (group, parser name, arguments sent as JSON text). Gemini / Vertex embeddings have their own.
BODY_KINDS = {
    "chat_completions": ("chat", "parse_chat_completion", True),
    "embeddings": ("embeddings", "parse_embeddings", False),
    "images": ("images", "parse_image_generation", False),
    "messages": ("anthropic", "parse_anthropic_message", False),
    "responses": ("responses", "parse_responses", True),
    "converse": ("bedrock", "parse_bedrock_converse", False),
    "generate_content": ("gemini", "parse_gemini_content", False),
}
GOOGLE = ("gemini", "vertex")
TWIN_FOLDERS = {
    "OpenAIStreamFolder": stream_openai.OpenAIStreamFolder,
    "AnthropicStreamFolder": stream_anthropic.AnthropicStreamFolder,
    "ResponsesStreamFolder": stream_responses.ResponsesStreamFolder,
    "GeminiStreamFolder": stream_gemini.GeminiStreamFolder,
    "BedrockStreamFolder": stream_bedrock.BedrockStreamFolder,
}


@dataclass
class Case:
    id: str
    group: str
    size: int  # bytes
    units: int  # 1 for a body, the number of events for a stream
    runs: dict[str, Run]  # "rust" (when built), "twin", "floor"


def _touch(result: Any) -> Any:
    """Reads every tool call's arguments, as a caller does (a call with invalid arguments raises)."""
    for choice in result.choices:
        for call in choice.message.tool_calls:
            try:  # noqa: SIM105 - contextlib.suppress would add its own cost to the timed work
                call.arguments  # noqa: B018 - reading it is the work measured
            except ValueError:
                pass
    return result


def _argument_texts(result: Any) -> list[bytes]:
    """The arguments of every tool call that are one JSON document: what the floor loads besides."""
    texts = []
    for choice in result.choices:
        for call in choice.message.tool_calls:
            try:
                orjson.loads(call.arguments_json)
            except orjson.JSONDecodeError:
                continue
            texts.append(call.arguments_json.encode())
    return texts


def _floor(documents: list[bytes]) -> Run:
    loads = orjson.loads

    def run() -> object:
        for document in documents:
            loads(document)
        return None

    return run


def _body_case(id: str, group: str, parser: str, body: bytes, provider: str, text_args: bool) -> Case | None:
    twin_parse = getattr(pure, parser)
    try:
        result = twin_parse(body, provider)
    except Exception:  # a recorded error or a body neither parser accepts: not timed
        return None
    documents = [body]
    if text_args and hasattr(result, "choices"):
        documents += _argument_texts(result)
    touch = _touch if hasattr(result, "choices") else (lambda result: result)
    runs: dict[str, Run] = {}
    if rust is not None:
        rust_parse = getattr(rust, parser)
        runs["rust"] = lambda: touch(rust_parse(body, provider))
    runs["twin"] = lambda: touch(twin_parse(body, provider))
    runs["floor"] = _floor(documents)
    return Case(id, group, len(body), 1, runs)


def _is_chat(body: bytes) -> bool:
    try:
        return "choices" in orjson.loads(body)
    except (orjson.JSONDecodeError, TypeError):
        return False


def body_cases() -> list[Case]:
    cases = []
    for recording in recordings(*BODY_KINDS):
        group, parser, text_args = BODY_KINDS[recording.kind]
        if recording.kind == "embeddings" and recording.provider in GOOGLE:
            group, parser = "gemini embeddings", "parse_gemini_embeddings"
        if recording.kind == "responses" and _is_chat(recording.body):
            group, parser = "chat", "parse_chat_completion"  # a chat completion filed as a Responses body
        case = _body_case(recording.id, group, parser, recording.body, recording.provider, text_args)
        if case is not None:
            cases.append(case)
    return cases


def _sse_events(body: bytes) -> list[bytes]:
    """The body cut after each blank line: one chunk per event, as a server flushes them."""
    normal = body.replace(b"\r\n", b"\n")
    pieces, start = [], 0
    while (end := normal.find(b"\n\n", start)) >= 0:
        pieces.append(normal[start : end + 2])
        start = end + 2
    return [*pieces, normal[start:]] if start < len(normal) else pieces


def _sse_payloads(body: bytes) -> list[bytes]:
    decoder = SseDecoder()
    return [e.data.encode() for e in decoder.feed(body) + decoder.finish() if e.data.startswith("{")]


def _eventstream_messages(body: bytes) -> list[bytes]:
    """An AWS event stream cut at each message (the prelude's first four bytes are its total length)."""
    pieces, at = [], 0
    while at + 4 <= len(body):
        (length,) = struct.unpack_from(">I", body, at)
        pieces.append(body[at : at + length])
        at += length
    return pieces


def _eventstream_payloads(body: bytes) -> list[bytes]:
    decoder = EventStreamDecoder()
    return [m.payload for m in decoder.feed(body) + decoder.finish() if m.payload.startswith(b"{")]


def _stream_case(
    id: str,
    group: str,
    folder: str,
    provider: str,
    chunks: list[bytes],
    payloads: list[bytes],
    text_args: bool,
) -> Case | None:
    twin_cls = TWIN_FOLDERS[folder]

    def fold(cls: Any) -> Run:
        def run() -> object:
            f = cls(provider)
            for chunk in chunks:
                f.feed(chunk)
            f.finish()
            return _touch(f.response())

        return run

    try:
        result = fold(twin_cls)()
    except Exception:  # a stream that ends in an error the folder raises: not timed
        return None
    if not payloads:
        return None
    documents = payloads + (_argument_texts(result) if text_args else [])
    runs: dict[str, Run] = {}
    if rust is not None:
        runs["rust"] = fold(getattr(rust, folder))
    runs["twin"] = fold(twin_cls)
    runs["floor"] = _floor(documents)
    return Case(id, group, sum(map(len, chunks)), len(payloads), runs)


def stream_cases() -> list[Case]:
    found: list[Case | None] = []
    folders = {"openai": "OpenAIStreamFolder", "anthropic": "AnthropicStreamFolder",
               "responses": "ResponsesStreamFolder"}  # fmt: skip
    for s in SSE_STREAMS:
        chunks, payloads = _sse_events(s.body), _sse_payloads(s.body)
        group, folder = f"stream: {s.format}", folders[s.format]
        found.append(_stream_case(s.id, group, folder, s.provider, chunks, payloads, True))
    for g in GEMINI_STREAMS:
        chunks, payloads = _sse_events(g.body), _sse_payloads(g.body)
        gemini = ("stream: gemini", "GeminiStreamFolder", g.provider)
        found.append(_stream_case(g.id, *gemini, chunks, payloads, False))
    for b in bedrock_streams():
        chunks, payloads = _eventstream_messages(b.body), _eventstream_payloads(b.body)
        bedrock = ("stream: bedrock", "BedrockStreamFolder", "bedrock")
        found.append(_stream_case(b.id, *bedrock, chunks, payloads, True))
    return [case for case in found if case is not None]


def _cpu(run: Run, calls: int) -> float:
    start = time.process_time_ns()
    for _ in range(calls):
        run()
    return (time.process_time_ns() - start) / calls


def measure(case: Case, rounds: int, budget: float, shuffler: random.Random) -> dict[str, float]:
    """The median over rounds of each contender's CPU per call divided by the floor's in the same round."""
    for run in case.runs.values():
        run()  # warm-up: caches, lazily built class tables
    slowest = max(_cpu(run, 1) for run in case.runs.values())
    calls = max(1, int(budget * 1e9 / max(slowest, 100.0)))
    ratios: dict[str, list[float]] = {name: [] for name in case.runs}
    times: dict[str, list[float]] = {name: [] for name in case.runs}
    order = list(case.runs)
    for _ in range(rounds):
        shuffler.shuffle(order)
        this_round = {name: _cpu(case.runs[name], calls) for name in order}
        for name, ns in this_round.items():
            times[name].append(ns / case.units)
            ratios[name].append(ns / max(this_round["floor"], 1.0))
    result = {f"{name} / floor": statistics.median(values) for name, values in ratios.items()}
    result.update({f"{name} ns": statistics.median(values) for name, values in times.items()})
    return result


def _worst(rows: list[dict[str, Any]], backend: str, count: int = 10) -> Iterable[dict[str, Any]]:
    key = f"{backend} / floor"
    return sorted((r for r in rows if key in r), key=lambda r: r[key], reverse=True)[:count]


def _line(row: dict[str, Any]) -> str:
    per = f"{row['units']} ev" if row["group"].startswith("stream") else "body"
    rust = f"{row['rust / floor']:6.2f}" if "rust / floor" in row else "     -"
    return (
        f"{rust} {row['twin / floor']:6.2f} {row['floor ns'] / 1e3:9.2f}  {row['group']:<18} "
        f"{row['bytes']:>9,} {per:>7}  {row['id']}"
    )


def report(rows: list[dict[str, Any]]) -> None:
    header = f"{'rust':>6} {'twin':>6} {'floor us':>9}  {'group':<18} {'bytes':>9} {'per':>7}  case"
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    print(f"{'group':<20} {'cases':>5} {'rust median':>11} {'rust max':>9} {'twin median':>11} {'> 1.5x':>7}")
    for group, members in sorted(groups.items()):
        rust = [r["rust / floor"] for r in members if "rust / floor" in r]
        twin = [r["twin / floor"] for r in members]
        over = sum(1 for value in rust if value > 1.5)
        rust_median = f"{statistics.median(rust):11.2f}" if rust else f"{'-':>11}"
        rust_max = f"{max(rust):9.2f}" if rust else f"{'-':>9}"
        twin_median = statistics.median(twin)
        print(f"{group:<20} {len(members):>5} {rust_median} {rust_max} {twin_median:11.2f} {over:>7}")
    for backend in ("rust", "twin"):
        print(f"\nworst ten, {backend} (ratios to the floor; streams per event)\n{header}")
        for row in _worst(rows, backend):
            print(_line(row))
    slower = [r for r in rows if "rust / floor" in r and r["rust / floor"] > r["twin / floor"]]
    print(f"\nrust slower than the twin: {len(slower)} case(s)")
    for row in slower:
        print(_line(row))
    rust_rows = [r for r in rows if "rust / floor" in r]
    if rust_rows:
        over = [r for r in rust_rows if r["rust / floor"] > 1.5]
        print(f"rust above 1.5x the floor: {len(over)} of {len(rust_rows)} case(s)")


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per case (median taken)")
    parser.add_argument("--budget", type=float, default=0.004, help="CPU seconds per contender per round")
    parser.add_argument("--only", default="", help="time only the cases whose id or group contains this")
    parser.add_argument("--json", type=Path, help="also write every row to this file (for before/after)")
    args = parser.parse_args()
    if rust is None:
        print("the Rust extension is not built: twin and floor only")
    cases = [c for c in body_cases() + stream_cases() if args.only in c.id or args.only in c.group]
    shuffler = random.Random(0)
    rows = []
    for case in cases:
        row: dict[str, Any] = {"id": case.id, "group": case.group, "bytes": case.size, "units": case.units}
        row.update(measure(case, args.rounds, args.budget, shuffler))
        rows.append(row)
    print(f"{len(rows)} cases, median of {args.rounds} rounds of per-round ratios to the floor\n")
    report(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
