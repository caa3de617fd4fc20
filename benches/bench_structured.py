"""A structured answer, from bytes to the validated instance: modelwire (Rust, twin) against the openai
SDK's ``chat.completions.parse()`` path, in one run.

Run: ``.venv/bin/python benches/bench_structured.py [--rounds N]`` (build the extension in release first).

The body is an OpenAI chat completion whose content is a ``Person`` (nested model, enum, optional and
list fields) as JSON. Rows:

- **rust / twin parse**: the bytes into a canonical response, nothing else (the floor of the next rows);
- **rust / twin structured**: the same, then what a structured call adds per answer (the
  ``final_result``-free native path: ``Structured.parse`` validates the content into ``Person``);
- **openai SDK parse**: what its ``parse()`` does per answer: ``json.loads``, ``construct_type`` into a
  ``ChatCompletion``, then ``parse_chat_completion`` (validating the content into ``Person``);
- **orjson.loads**: the bytes to plain objects.

Contenders run in interleaved, shuffled rounds; the ratio column is the median of per-round ratios to the
openai SDK row (read it, not the microseconds, on a shared machine). Schema building is not timed: both
sides build a type's schema once (modelwire caches it per type).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from openai import omit
from openai._models import construct_type
from openai.lib._parsing._completions import parse_chat_completion as sdk_parse
from openai.types.chat import ChatCompletion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from modelwire.config import ModelSpec
from modelwire.facade.structured import structured_call
from modelwire.parsing import pure
from modelwire.policy.chain import AttemptContext
from structured_support import Person

try:
    from modelwire import _core as rust
except ImportError:
    rust = None


ANSWER = {
    "name": "Ada Lovelace", "age": 36, "colour": "blue", "address": {"city": "London", "zip": None},
    "nickname": "Enchantress of Numbers", "tags": ["mathematics", "analytical engine", "poetry"],
}  # fmt: skip
BODY = orjson.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4.1-mini-2025-04-14",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": json.dumps(ANSWER), "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 80, "completion_tokens": 40, "total_tokens": 120},
    }
)


def _structured(parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    fields: dict[str, Any] = {"response_format": Person}
    structured = structured_call(fields, 1)
    assert structured is not None
    ctx = AttemptContext(
        ModelSpec(name="openai/gpt-4.1-mini"),
        model_index=0,
        attempt=1,
        number=1,
        deadline=None,
        clock=time.monotonic,
    )

    def run(body: bytes) -> Any:
        response = parse(body)
        structured.parse(response, ctx)
        return response.parsed

    return run


def _sdk(body: bytes) -> Any:
    completion = construct_type(type_=ChatCompletion, value=json.loads(body))
    parsed = sdk_parse(response_format=Person, input_tools=omit, chat_completion=completion)
    return parsed.choices[0].message.parsed


def contenders() -> dict[str, Callable[[bytes], Any]]:
    rows: dict[str, Callable[[bytes], Any]] = {}
    if rust is not None:
        rows["rust parse"] = rust.parse_chat_completion
        rows["rust structured"] = _structured(rust.parse_chat_completion)
    rows["twin parse"] = pure.parse_chat_completion
    rows["twin structured"] = _structured(pure.parse_chat_completion)
    rows["openai SDK parse"] = _sdk
    rows["orjson.loads"] = orjson.loads
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--budget", type=float, default=0.01, help="seconds per contender per round")
    args = parser.parse_args()
    rows = contenders()
    expected = Person.model_validate(ANSWER)
    for name, fn in rows.items():
        if "structured" in name or "SDK" in name:
            assert fn(BODY) == expected, name
    calls = max(1, int(args.budget / max(_once(fn) for fn in rows.values())))
    samples: dict[str, list[float]] = {name: [] for name in rows}
    ratios: dict[str, list[float]] = {name: [] for name in rows}
    order = list(rows)
    shuffler = random.Random(0)
    for _ in range(args.rounds):
        shuffler.shuffle(order)
        this_round = {}
        for name in order:
            fn = rows[name]
            start = time.process_time_ns()
            for _ in range(calls):
                fn(BODY)
            this_round[name] = (time.process_time_ns() - start) / calls / 1e9
        for name, seconds in this_round.items():
            samples[name].append(seconds)
            ratios[name].append(seconds / this_round["openai SDK parse"])
    print(f"{len(BODY)} B body, {args.rounds} rounds x {calls} calls")
    print(f"{'contender':<20} {'median':>10} {'x openai SDK':>13}")
    for name in rows:
        median = statistics.median(samples[name]) * 1e6
        print(f"{name:<20} {median:>8.2f}us {statistics.median(ratios[name]):>12.2f}x")


def _once(fn: Callable[[bytes], Any]) -> float:
    start = time.perf_counter()
    fn(BODY)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
