"""Side-by-side parsing benchmark: the Rust parser, the pure-Python twin and the baselines, in one run.

    python benches/report.py            (or: make bench)

Every implementation of a case is timed in interleaved rounds (so machine noise hits all of them
alike) and the median per-call time is reported. Ratios are what to read on a shared machine.
Chat and Anthropic rows include reading every tool call's ``.arguments``; embedding rows end with the
float32 buffer (Rust, twin) or with the lists of floats (``orjson.loads``, ``json.loads``, the SDK).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_parse_cases import Case, cases
from modelwire.parsing import pure

try:
    from modelwire import _core as rust
except ImportError:  # running from source without the extension
    rust = None


def _chat(parse: Callable[[bytes], object]) -> Callable[[bytes], object]:
    def run(body: bytes) -> object:
        result = parse(body)
        for choice in result.choices:  # type: ignore[attr-defined]
            for call in choice.message.tool_calls:
                call.arguments  # noqa: B018 - reading it is the point
        return result

    return run


def _contenders(case: Case, sdks: bool = True) -> dict[str, Callable[[bytes], object]]:
    contenders: dict[str, Callable[[bytes], object]] = {}
    if case.kind == "chat":
        if rust is not None:
            contenders["rust"] = _chat(rust.parse_chat_completion)
        contenders["twin"] = _chat(pure.parse_chat_completion)
    elif case.kind == "anthropic":
        if rust is not None:
            contenders["rust"] = _chat(rust.parse_anthropic_message)
        contenders["twin"] = _chat(pure.parse_anthropic_message)
    else:
        if rust is not None:
            contenders["rust"] = rust.parse_embeddings
        contenders["twin"] = pure.parse_embeddings
    contenders["orjson.loads"] = orjson.loads
    contenders["json.loads"] = json.loads
    if not sdks:
        return contenders
    try:
        if case.kind == "chat":
            from openai.types.chat import ChatCompletion

            ChatCompletion.model_validate_json(case.body)
            contenders["openai SDK"] = ChatCompletion.model_validate_json
        elif case.kind == "anthropic":
            from anthropic.types import Message

            Message.model_validate_json(case.body)
            contenders["anthropic SDK"] = Message.model_validate_json
        elif b'"embedding":[' in case.body[:200]:
            from openai.types import CreateEmbeddingResponse

            contenders["openai SDK"] = CreateEmbeddingResponse.model_validate_json
    except Exception:  # the SDK is optional and may not accept every body
        pass
    return contenders


def _time(case: Case, rounds: int, budget: float) -> tuple[dict[str, float], dict[str, float]]:
    """Median time per call of each contender, and the median of its per-round ratio to orjson.loads.

    Each round runs every contender once, in a shuffled order, for about ``budget`` seconds each; a
    ratio taken within one round cancels the load changes of a shared machine.
    """
    contenders = _contenders(case)
    slowest = max(_once(fn, case.body) for fn in contenders.values())
    calls = max(1, int(budget / max(slowest, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    ratios: dict[str, list[float]] = {name: [] for name in contenders}
    order = list(contenders)
    shuffler = random.Random(0)
    for _ in range(rounds):
        shuffler.shuffle(order)
        this_round = {}
        for name in order:
            fn, body = contenders[name], case.body
            start = time.perf_counter()
            for _ in range(calls):
                fn(body)
            this_round[name] = (time.perf_counter() - start) / calls
        for name, seconds in this_round.items():
            samples[name].append(seconds)
            ratios[name].append(seconds / this_round["orjson.loads"])
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return medians, {name: statistics.median(values) for name, values in ratios.items()}


def _once(fn: Callable[[bytes], object], body: bytes) -> float:
    start = time.perf_counter()
    fn(body)
    return time.perf_counter() - start


def _fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.2f} us"


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--rounds", type=int, default=31, help="interleaved rounds per case (median taken)")
    parser.add_argument("--budget", type=float, default=0.01, help="seconds per contender per round")
    args = parser.parse_args()
    backend = "present" if rust is not None else "MISSING (rust column empty)"
    print(f"python {platform.python_version()} on {platform.machine()}, extension {backend}")
    print(f"medians of {args.rounds} shuffled rounds; ratios are medians of per-round ratios\n")
    columns = ["rust", "twin", "orjson.loads", "json.loads", "openai SDK", "anthropic SDK"]
    header = f"| case | bytes | {' | '.join(columns)} | rust / orjson | twin / orjson | orjson lists / rust |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    lists: float | None = None  # orjson.loads of the float embeddings: the lists every row is held against
    for case in cases():
        timing, ratios = _time(case, args.rounds, args.budget)
        if case.name == "embeddings: float":
            lists = timing["orjson.loads"]
        cells = [_fmt(timing[c]) if c in timing else "-" for c in columns]
        ratio = f"{ratios['rust']:.2f}" if "rust" in ratios else "-"
        twin = f"{ratios['twin']:.2f}"
        speedup = (
            f"{lists / timing['rust']:.1f}x"
            if case.kind == "embeddings" and lists and "rust" in timing
            else ""
        )
        row = f"| {case.name} | {len(case.body):,} | {' | '.join(cells)} | {ratio} | {twin} | {speedup} |"
        print(row, flush=True)
    print(
        "\nchat and anthropic target: rust / orjson <= 1.5. embeddings target: orjson lists / rust >= 5x"
        " (orjson.loads of the float form, the only one that yields lists)."
    )


if __name__ == "__main__":
    main()
