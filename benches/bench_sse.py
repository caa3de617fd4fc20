"""CPU per event of SSE / NDJSON decoding: the Rust core, the pure twin, bare split + orjson, the openai SDK.

Run: ``.venv/bin/python benches/bench_sse.py [--repeat N]``. For the corpus's largest streams, each
contender decodes the whole body delivered in one piece and delivered event by event (one chunk per
event, as a server flushes them). Figures are medians of CPU time (``time.process_time_ns``) over
``--repeat`` runs, per event. The machine is shared and noisy: read the ratios, not the microseconds.

Contenders:
  rust / twin          SseDecoder.feed + finish: events with ``data`` as str, no JSON parsing
  rust+loads / ...     the same, then ``orjson.loads`` of every JSON ``data`` (what folding will need)
  split+loads          bare ``bytes.split(b"\\n")`` + ``orjson.loads`` of each ``data: `` line (no SSE rules)
  openai-sdk           ``openai._streaming.SSEDecoder.iter_bytes`` (decoding only, no pydantic models)
  loads floor          ``orjson.loads`` of each event's JSON payload alone, pre-extracted: the floor
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from corpus_files import Recording, recordings
from modelwire.parsing.pure import sse as twin

try:
    from modelwire import _core as rust
except ImportError:
    rust = None  # type: ignore[assignment]

_EVENT_END = re.compile(rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)")
Contender = Callable[[list[bytes]], int]


def decoder_only(backend: ModuleType, ndjson: bool) -> Contender:
    def run(chunks: list[bytes]) -> int:
        decoder = backend.NdjsonDecoder() if ndjson else backend.SseDecoder()
        count = 0
        for chunk in chunks:
            count += len(decoder.feed(chunk))
        return count + len(decoder.finish())

    return run


def decoder_and_loads(backend: ModuleType, ndjson: bool) -> Contender:
    loads = orjson.loads

    def run_sse(chunks: list[bytes]) -> int:
        decoder = backend.SseDecoder()
        count = 0
        for chunk in chunks:
            for event in decoder.feed(chunk):
                if event.data != "[DONE]":
                    loads(event.data)
                count += 1
        return count + len(decoder.finish())

    def run_ndjson(chunks: list[bytes]) -> int:
        decoder = backend.NdjsonDecoder()
        count = 0
        for chunk in chunks:
            for text in decoder.feed(chunk):
                loads(text)
                count += 1
        return count + len(decoder.finish())

    return run_ndjson if ndjson else run_sse


def split_and_loads(ndjson: bool) -> Contender:
    loads = orjson.loads

    def run(chunks: list[bytes]) -> int:
        count = 0
        for chunk in chunks:
            for line in chunk.split(b"\n"):
                if ndjson:
                    if line.strip():
                        loads(line)
                        count += 1
                elif line.startswith(b"data:"):
                    payload = line[5:].strip()
                    if payload != b"[DONE]":
                        loads(payload)
                    count += 1
        return count

    return run


def openai_sdk(chunks: list[bytes]) -> int:
    from openai._streaming import SSEDecoder

    return sum(1 for _ in SSEDecoder().iter_bytes(iter(chunks)))


def loads_floor(payloads: list[bytes]) -> Contender:
    loads = orjson.loads

    def run(_: list[bytes]) -> int:
        for payload in payloads:
            loads(payload)
        return len(payloads)

    return run


def cpu_ns(contender: Contender, chunks: list[bytes], repeat: int) -> tuple[float, int]:
    """Median CPU nanoseconds of one full decode, and the events it produced."""
    count = contender(chunks)  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.process_time_ns()
        contender(chunks)
        samples.append(time.process_time_ns() - start)
    return statistics.median(samples), count


def streams() -> list[tuple[Recording, bool]]:
    raw = [r for r in recordings() if r.kind.endswith("_stream")]
    sse = [r for r in raw if r.body.lstrip()[:6].startswith((b"data:", b"event:", b":"))]
    ndjson = [r for r in raw if r.body.lstrip()[:1] == b"{"]
    largest = sorted(sse, key=lambda r: len(r.body), reverse=True)[:3]
    return [(r, False) for r in largest] + [(max(ndjson, key=lambda r: len(r.body)), True)]


def payloads_of(body: bytes, ndjson: bool) -> list[bytes]:
    events = (twin.NdjsonDecoder() if ndjson else twin.SseDecoder()).feed(body + b"\n\n")
    texts = events if ndjson else [e.data for e in events if e.data != "[DONE]"]  # type: ignore[union-attr]
    return [t.encode() for t in texts]  # type: ignore[union-attr]


def row(stream: str, delivery: str, contender: str, us_per_event: float, ratio: float) -> str:
    rate = f"{1e6 / us_per_event:,.0f}"
    return f"{stream:<40} {delivery:<9} {contender:<12} {us_per_event:>9.2f} {rate:>10} {ratio:>8.2f}"


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(f"backends: {'rust and twin' if rust is not None else 'twin only (extension not built)'}")
    header = f"{'stream':<40} {'delivery':<9} {'contender':<12} {'us/event':>9} {'events/s':>10} x floor"
    print(header)
    print("-" * len(header))
    for recording, ndjson in streams():
        body = recording.body
        if ndjson:
            per_event = [line + b"\n" for line in body.split(b"\n") if line]
        else:
            per_event = [chunk for chunk in _EVENT_END.split(body) if chunk]
        pieces = {"one piece": [body], "per event": per_event}
        contenders: dict[str, Contender] = {}
        for name, backend in (("rust", rust), ("twin", twin)):
            if backend is not None:
                contenders[name] = decoder_only(backend, ndjson)
                contenders[f"{name}+loads"] = decoder_and_loads(backend, ndjson)
        contenders["split+loads"] = split_and_loads(ndjson)
        if not ndjson:
            contenders["openai-sdk"] = openai_sdk
        floor_ns, floor_count = cpu_ns(loads_floor(payloads_of(body, ndjson)), [], args.repeat)
        label = f"{recording.provider}/{Path(recording.path).stem[-20:]} {len(body) // 1024}kB"
        for delivery, chunks in pieces.items():
            for name, contender in contenders.items():
                total_ns, count = cpu_ns(contender, chunks, args.repeat)
                print(row(label, delivery, name, total_ns / count / 1000, total_ns / floor_ns))
                label = ""
        print(row("", "-", "loads floor", floor_ns / floor_count / 1000, 1.0))


if __name__ == "__main__":
    main()
