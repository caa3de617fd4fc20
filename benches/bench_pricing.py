"""CPU of pricing one response whose usage was never seen before, beside reading its body.

.venv/bin/python benches/bench_pricing.py [--rounds 15]

Per case (a recorded OpenAI chat completion with cached prompt tokens, a recorded Anthropic message with
cache reads and 5-minute writes), the median time per call of:

- **orjson.loads**: the body to plain Python objects;
- **parse**: modelwire's parser (Rust core, or the twin under MODELWIRE_PURE_PYTHON=1) into the canonical
  response;
- **price_of**: ``modelwire.facade.pricing.price_of`` of that response, every call with counts never priced
  before (the input count moves by one each call, so the result cache never answers);
- **before**: what ``price_of`` did before the model was resolved once (commit fad39cd): ``calc_price``,
  then each cache part as ``calc_price`` of a ``ModelPrice`` built with every other price zero;
- **calc_price**: ``genai_prices.calc_price`` alone of the same usage (the total only, no cache parts).

Rounds are shuffled and each contender runs ~10 ms a round; ratios are taken inside a round (this machine
is shared and its speed moves by 2x from minute to minute), then their median is printed. Read the ratios.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import genai_prices
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from corpus_files import load  # noqa: E402
from modelwire import ModelSpec  # noqa: E402
from modelwire.facade.pricing import price_of, usage_for_genai_prices  # noqa: E402
from modelwire.parsing import parse_anthropic_message, parse_chat_completion  # noqa: E402

CASES = {
    "openai gpt-4o-mini (cache read)": (
        "openai/chat_completions/openinference__test_token_counts__i0.json",
        parse_chat_completion,
        "openai/gpt-4o-mini",
        "openai",
    ),
    "anthropic sonnet-4-5 (cache read + write)": (
        "anthropic/messages/ldp__TestCachedTokenCosts.test_anthropic_incremental_cache_with_conversation__i3.json",
        parse_anthropic_message,
        "anthropic/claude-sonnet-4-5",
        "anthropic",
    ),
}
BUDGET = 0.01  # seconds per contender per round


def _contenders(
    path: str, parse: Callable[[bytes], object], name: str, provider: str
) -> dict[str, Callable[[], object]]:
    body = load(path).body
    spec = ModelSpec(name=name, api_key="k")
    response: object = parse(body)
    usage = response.usage  # type: ignore[attr-defined]
    model = response.model  # type: ignore[attr-defined]
    counter = itertools.count(1)
    base_input = usage.input_tokens

    def priced() -> object:
        usage.input_tokens = base_input + next(counter)  # a usage never priced before
        return price_of(spec, spec.route.model_id, response)

    def calc() -> object:
        counts = usage_for_genai_prices(usage)
        counts["input_tokens"] = base_input + next(counter)
        return genai_prices.calc_price(genai_prices.Usage(**counts), model, provider_id=provider)

    def before() -> object:
        counts = usage_for_genai_prices(usage)
        counts["input_tokens"] = base_input + next(counter)
        result = genai_prices.calc_price(genai_prices.Usage(**counts), model, provider_id=provider)
        for kind, count in (("_read", "cache_read_tokens"), ("_write", "cache_write_tokens")):
            if counts.get(count):
                _old_part(result.model_price, counts, kind)
        return result

    assert priced() is not None
    return {"orjson.loads": lambda: orjson.loads(body), "parse": lambda: parse(body), "price_of": priced,
            "before": before, "calc_price": calc}  # fmt: skip


def _old_part(model_price: object, counts: dict[str, int], kind: str) -> Decimal:
    prices = {
        key: value if key.startswith("cache_") and kind in key else Decimal(0)
        for key, value in vars(model_price).items()
        if value is not None and not key.startswith("_")
    }
    usage = genai_prices.Usage(**counts)
    return Decimal(genai_prices.types.ModelPrice(**prices).calc_price(usage)["total_price"])


def _per_call(fn: Callable[[], object]) -> float:
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < BUDGET:
        for _ in range(10):
            fn()
        calls += 10
    return elapsed / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    for case, args in CASES.items():
        contenders = _contenders(*args)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        ratios: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(rounds):
            order = list(contenders)
            random.shuffle(order)
            round_times = {name: _per_call(contenders[name]) for name in order}
            for name, seconds in round_times.items():
                times[name].append(seconds)
                ratios[name].append(seconds / round_times["orjson.loads"])
        print(f"\n{case}  ({rounds} rounds)")
        print(f"  {'contender':<14} {'per call':>10} {'x orjson':>9} {'x parse':>8} {'x before':>9}")
        parse_median = statistics.median(times["parse"])
        for name in contenders:
            median = statistics.median(times[name])
            before = statistics.median(a / b for a, b in zip(times[name], times["before"], strict=True))
            print(f"  {name:<14} {median * 1e6:>8.1f}us {statistics.median(ratios[name]):>8.1f}x "
                  f"{median / parse_median:>7.1f}x {before:>8.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
