"""CPU per event of streamed chat completions: the Rust folder, the pure twin, the openai SDK, the floor.

Run: ``.venv/bin/python benches/bench_stream.py [--rounds N]``. For the corpus's largest OpenAI-compatible
streams (and two Anthropic ones), each contender consumes the whole stream delivered in one piece and
delivered event by event (one chunk per event, as a server flushes them). Contenders run in interleaved,
shuffled rounds; each figure is the median over rounds of CPU time (``time.process_time_ns``) per event,
and ``x floor`` the median of the per-round ratios to the floor (ratios cancel the load swings of a
shared machine: read them, not the microseconds).

Contenders:
  rust            _core.OpenAIStreamFolder / AnthropicStreamFolder: feed every chunk, finish, response()
                  (typed events and the final ChatCompletionResponse, folded from the bytes in Rust)
  twin            the same with the pure-Python folders (modelwire.parsing.pure.stream_*)
  rust stream     the whole client path: OpenAICompatibleClient.stream() over an httpx MockTransport,
                  iterating every event, then final_response()
  openai-sdk      openai.OpenAI().chat.completions.create(stream=True) over the same MockTransport,
                  iterating every ChatCompletionChunk (no accumulation: the SDK's cheapest stream)
  sdk+state       the same plus the SDK's own accumulation (ChatCompletionStreamState.handle_chunk,
                  events and a final completion, as ``client.chat.completions.stream()`` does)
  loads floor     orjson.loads of each event's JSON payload alone, pre-extracted: the floor
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_files import load
from modelwire.parsing.pure import stream_anthropic, stream_openai
from modelwire.parsing.pure.sse import SseDecoder
from stream_timing import Contender, loads_floor, measure

try:
    from modelwire import _core as rust
except ImportError:
    rust = None  # type: ignore[assignment]

STREAMS = [
    ("openai", "groq/chat_completions_stream_payloads/vercel-ai__groq-reasoning.chunks.json"),
    ("openai", "huggingface/chat_completions_stream/pydantic-ai__test_hf_model_thinking_part_iter__i0.json"),
    ("openai", "deepseek/chat_completions_stream_payloads/vercel-ai__deepseek-text.chunks.json"),
    ("openai", "openai/chat_completions_stream_payloads/vercel-ai__openai-text.chunks.json"),
    ("anthropic", "anthropic/messages_stream_payloads/vercel-ai__anthropic-compaction.1.chunks.json"),
    ("anthropic", "anthropic/messages_stream/pydantic-ai__test_pause_turn_web_search_streaming_vcr__i0.json"),
]


def body_of(format: str, path: str) -> bytes:
    recording = load(path)
    if not recording.kind.endswith("_payloads"):
        return recording.body
    lines = [line for line in recording.body.split(b"\n") if line.strip()]
    if format == "openai":
        return b"".join(b"data: " + line + b"\n\n" for line in lines) + b"data: [DONE]\n\n"
    return b"".join(
        b"event: " + orjson.loads(line)["type"].encode() + b"\ndata: " + line + b"\n\n" for line in lines
    )


def split_events(body: bytes) -> list[bytes]:
    """The body cut after each blank line: one chunk per event."""
    pieces, start = [], 0
    normal = body.replace(b"\r\n", b"\n")
    while (end := normal.find(b"\n\n", start)) >= 0:
        pieces.append(normal[start : end + 2])
        start = end + 2
    return [*pieces, normal[start:]] if start < len(normal) else pieces


def folder(cls: Any) -> Contender:
    def run(chunks: list[bytes]) -> object:
        f = cls()
        for chunk in chunks:
            f.feed(chunk)
        f.finish()
        return f.response()

    return run


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)


def _transport(chunks: list[bytes]) -> httpx.MockTransport:
    headers = {"content-type": "text/event-stream"}
    return httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, stream=_Chunks(chunks)))


def modelwire_stream(chunks: list[bytes]) -> object:
    from modelwire.providers import OpenAICompatibleClient
    from modelwire.types import ChatCompletionRequest

    request = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}])
    with (
        OpenAICompatibleClient(
            base_url="http://bench/v1", api_key="sk-bench", transport=_transport(chunks)
        ) as c,
        c.stream(request) as stream,
    ):
        for _ in stream:
            pass
        return stream.final_response()


def openai_sdk(accumulate: bool) -> Contender:
    import openai
    from openai.lib.streaming.chat import ChatCompletionStreamState

    def run(chunks: list[bytes]) -> object:
        http = httpx.Client(transport=_transport(chunks))
        client = openai.OpenAI(
            api_key="sk-bench", base_url="http://bench/v1", http_client=http, max_retries=0
        )
        state: Any = ChatCompletionStreamState() if accumulate else None
        stream = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        for chunk in stream:
            if state is not None:
                state.handle_chunk(chunk)
        http.close()
        return state.current_completion_snapshot if state is not None else None

    return run


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if rust is None:
        print("the Rust extension is not built: twin and baselines only")
    header = (
        f"{'stream':<34} {'delivery':<9} {'contender':<12} {'us/event':>9} {'x floor':>8} {'sdk / this':>10}"
    )
    print(header)
    print("-" * len(header))
    checks: list[str] = []
    for format, path in STREAMS:
        body = body_of(format, path)
        decoder = SseDecoder()
        datas = [e.data for e in decoder.feed(body) + decoder.finish()]
        payloads = [d.encode() for d in datas if d.startswith("{")]
        count = len(payloads)
        twin_cls = (
            stream_openai.OpenAIStreamFolder if format == "openai" else stream_anthropic.AnthropicStreamFolder
        )
        contenders: dict[str, Contender] = {}
        if rust is not None:
            contenders["rust"] = folder(
                rust.OpenAIStreamFolder if format == "openai" else rust.AnthropicStreamFolder
            )
        contenders["twin"] = folder(twin_cls)
        if format == "openai":
            contenders["rust stream"] = modelwire_stream
            contenders["openai-sdk"] = openai_sdk(accumulate=False)
            contenders["sdk+state"] = openai_sdk(accumulate=True)
        contenders["loads floor"] = loads_floor(payloads)
        label = f"{Path(path).stem[-24:]} {count}ev"
        for delivery, chunks in (("one piece", [body]), ("per event", split_events(body))):
            samples = measure(contenders, chunks, args.rounds)
            floor = samples["loads floor"]
            sdk = samples.get("openai-sdk")
            for name, times in samples.items():
                us = statistics.median(times) / count / 1000
                ratio = statistics.median(t / f for t, f in zip(times, floor, strict=True))
                vs_sdk = (
                    ""
                    if sdk is None
                    else f"{statistics.median(s / t for s, t in zip(sdk, times, strict=True)):.1f}"
                )
                print(f"{label:<34} {delivery:<9} {name:<12} {us:>9.2f} {ratio:>8.2f} {vs_sdk:>10}")
                label = ""
                if name == "rust" and delivery == "one piece":
                    checks.append(
                        f"{Path(path).stem[-24:]}: rust {ratio:.2f}x floor"
                        + (f", {vs_sdk}x faster than openai-sdk" if vs_sdk else "")
                    )
        print()
    print("one-piece targets (rust <= 1.5x floor; >= 50x faster than the openai SDK):")
    for line in checks:
        print("  " + line)


if __name__ == "__main__":
    main()
