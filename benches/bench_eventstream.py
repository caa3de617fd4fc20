"""CPU per event of Bedrock ConverseStream bodies (AWS event streams): decoding and folding in Rust and
in the twin, against botocore's own event-stream decoder and the floor, in one run.

Run: ``.venv/bin/python benches/bench_eventstream.py [--rounds N]``. For the corpus's three longest
ConverseStream recordings and one synthetic 400-event stream (text deltas, a tool call, reasoning), each
contender consumes the whole stream delivered in one piece and delivered message by message (one chunk
per event-stream message, as the server flushes them). Contenders run in interleaved, shuffled rounds;
each figure is the median over rounds of CPU time (``time.process_time_ns``) per event, and ``x floor``
the median of the per-round ratios to the floor (ratios cancel the swings of a shared machine).

Contenders:
  rust fold       _core.BedrockStreamFolder: feed every chunk, finish, response() (checksums verified,
                  typed events and the final ChatCompletionResponse)
  rust decode     _core.EventStreamDecoder alone: messages (headers dict, payload bytes)
  twin fold       the pure-Python BedrockStreamFolder
  twin decode     the pure-Python EventStreamDecoder
  botocore        botocore.eventstream.EventStreamBuffer: decoding alone (what boto3 streams run on)
  botocore+loads  the same plus orjson.loads of each payload (the least a botocore-based client does)
  loads floor     orjson.loads of each event's JSON payload alone, pre-extracted: the floor
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

import orjson
from botocore.eventstream import EventStreamBuffer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_files import load
from eventstream_support import event
from modelwire.parsing.pure import eventstream as pure_decoder
from modelwire.parsing.pure import stream_bedrock
from stream_timing import Contender, loads_floor, measure

try:
    from modelwire import _core as rust
except ImportError:
    rust = None  # type: ignore[assignment]

RECORDED = [
    "bedrock/converse_stream/pydantic-ai__test_bedrock_model_thinking_part_stream__i0.json",
    "bedrock/converse_stream/openinference__TestConverseStream.test_invoke_tool_response_message__i0.json",
    "bedrock/converse_stream/openllmetry__test_nova_converse_stream__i0.json",
]


def synthetic() -> bytes:
    """A long answer: reasoning, 360 text deltas, a tool call in 30 fragments, stop and metadata."""
    ev = lambda name, payload: event(name, orjson.dumps(payload))  # noqa: E731
    parts = [ev("messageStart", {"role": "assistant", "p": "abcd"})]
    parts += [
        ev(
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": f"step {i}. "}}},
        )
        for i in range(8)
    ]
    parts.append(
        ev(
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "x" * 300}}},
        )
    )
    parts.append(ev("contentBlockStop", {"contentBlockIndex": 0}))
    parts += [
        ev("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"text": f" token{i}"}, "p": "abcdefgh"})
        for i in range(360)
    ]
    parts.append(
        ev(
            "contentBlockStart",
            {"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "t", "name": "f"}}},
        )
    )
    parts += [
        ev(
            "contentBlockDelta",
            {"contentBlockIndex": 2, "delta": {"toolUse": {"input": '{"k":1' if i == 0 else ',"a":2'}}},
        )
        for i in range(29)
    ]
    parts.append(ev("contentBlockDelta", {"contentBlockIndex": 2, "delta": {"toolUse": {"input": "}"}}}))
    parts.append(ev("contentBlockStop", {"contentBlockIndex": 2}))
    parts.append(ev("messageStop", {"stopReason": "tool_use"}))
    parts.append(ev("metadata", {"usage": {"inputTokens": 10, "outputTokens": 400, "totalTokens": 410}}))
    return b"".join(parts)


def split_messages(body: bytes) -> list[bytes]:
    """The body cut after each event-stream message (its total length is its first 4 bytes)."""
    pieces, at = [], 0
    while at < len(body):
        total = int.from_bytes(body[at : at + 4], "big")
        pieces.append(body[at : at + total])
        at += total
    return pieces


def folder(cls: Any) -> Contender:
    def run(chunks: list[bytes]) -> object:
        f = cls()
        for chunk in chunks:
            f.feed(chunk)
        f.finish()
        return f.response()

    return run


def decoder(cls: Any) -> Contender:
    def run(chunks: list[bytes]) -> object:
        d = cls()
        out = []
        for chunk in chunks:
            out += d.feed(chunk)
        d.finish()
        return out

    return run


def botocore_decode(loads: bool) -> Contender:
    parse = orjson.loads

    def run(chunks: list[bytes]) -> object:
        buffer = EventStreamBuffer()
        out = []
        for chunk in chunks:
            buffer.add_data(chunk)
            out.extend(parse(message.payload) if loads else message for message in buffer)
        return out

    return run


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if rust is None:
        print("the Rust extension is not built: twin and baselines only")
    header = (
        f"{'stream':<30} {'delivery':<11} {'contender':<15} {'us/event':>9} {'x floor':>8} "
        f"{'botocore / this':>15}"
    )
    print(header)
    print("-" * len(header))
    streams = [(Path(path).stem[-26:], load(path).body) for path in RECORDED]
    streams.append(("synthetic", synthetic()))
    for label, body in streams:
        messages = pure_decoder.EventStreamDecoder().feed(body)
        payloads = [m.payload for m in messages]
        count = len(payloads)
        contenders: dict[str, Contender] = {}
        if rust is not None:
            contenders["rust fold"] = folder(rust.BedrockStreamFolder)
            contenders["rust decode"] = decoder(rust.EventStreamDecoder)
        contenders["twin fold"] = folder(stream_bedrock.BedrockStreamFolder)
        contenders["twin decode"] = decoder(pure_decoder.EventStreamDecoder)
        contenders["botocore"] = botocore_decode(loads=False)
        contenders["botocore+loads"] = botocore_decode(loads=True)
        contenders["loads floor"] = loads_floor(payloads)
        for delivery, chunks in (("one piece", [body]), ("per message", split_messages(body))):
            samples = measure(contenders, chunks, args.rounds)
            floor, boto = samples["loads floor"], samples["botocore"]
            for name, times in samples.items():
                per_event = statistics.median(times) / count / 1000
                ratio = statistics.median(t / f for t, f in zip(times, floor, strict=True))
                versus = statistics.median(b / t for t, b in zip(times, boto, strict=True))
                stream = f"{label} {count}ev"
                print(
                    f"{stream:<30} {delivery:<11} {name:<15} {per_event:>9.2f} {ratio:>8.2f} {versus:>15.1f}"
                )
            print()


if __name__ == "__main__":
    main()
