"""Pricing many usages never seen before reuses genai-prices' resolved model and stays exactly its price."""

from __future__ import annotations

import random
import threading
from decimal import Decimal
from typing import Any

import pytest

from modelwire import ModelSpec, Usage
from modelwire.facade import price_models
from modelwire.facade.pricing import price_of, usage_for_genai_prices
from modelwire.parsing import parse_chat_completion

genai_prices = pytest.importorskip("genai_prices")

# (spec name, the model the response names, genai-prices provider id)
MODELS = [
    ("openai/gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai"),
    ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic"),
    ("gemini/gemini-2.5-flash", "gemini-2.5-flash", "google"),
    ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
     "aws"),
    ("deepseek/deepseek-chat", "deepseek-chat", "deepseek"),  # prices that change by the time of day
]  # fmt: skip


def _response(model: str, usage: Usage) -> Any:
    response = parse_chat_completion(b'{"choices": []}')
    response.model = model
    response.usage = usage
    return response


def _usage(rng: random.Random) -> Usage:
    prompt = rng.randint(0, 400_000)  # across the 200k tier of the tiered models
    usage = Usage(prompt, rng.randint(0, 8000))
    if rng.random() < 0.5:
        usage.cache_read_tokens = rng.randint(0, prompt)
    if rng.random() < 0.5:
        usage.cache_write_tokens = written = rng.randint(0, prompt // 2)
        if rng.random() < 0.5:
            usage.cache_write_1h_tokens = rng.randint(0, written)
            usage.cache_write_5m_tokens = written - usage.cache_write_1h_tokens
    if rng.random() < 0.3:
        usage.reasoning_tokens = rng.randint(0, usage.output_tokens + 100)  # sometimes more than the output
    if rng.random() < 0.2:
        usage.input_audio_tokens = rng.randint(0, prompt)
    return usage


def _calc(usage: Usage, model: str, provider: str) -> Any:
    try:
        return genai_prices.calc_price(genai_prices.Usage(**usage_for_genai_prices(usage)), model,
                                       provider_id=provider)  # fmt: skip
    except ValueError:
        return None  # a usage genai-prices rejects


@pytest.mark.parametrize(("name", "model", "provider"), MODELS, ids=[m[2] for m in MODELS])
def test_many_new_usages_are_priced_exactly_as_calc_price(name: str, model: str, provider: str) -> None:
    spec = ModelSpec(name=name, api_key="k")
    rng = random.Random(name)
    rejected = 0
    for _ in range(150):
        usage = _usage(rng)
        cost = price_of(spec, spec.route.model_id, _response(model, usage))
        calc = _calc(usage, model, provider)
        if calc is None:
            assert cost is None
            rejected += 1
            continue
        assert cost is not None
        assert (cost.total, cost.output) == (float(calc.total_price), float(calc.output_price))
        parts = cost.input + cost.cache_read + cost.cache_write
        assert parts == pytest.approx(float(calc.input_price), rel=1e-12)
        prices = calc.model_price
        tiered = isinstance(prices.cache_read_mtok, genai_prices.types.TieredPrices)
        if prices.cache_read_mtok is not None and not tiered and not usage.input_audio_tokens:
            expected = (usage.cache_read_tokens or 0) * prices.cache_read_mtok / Decimal(1_000_000)
            assert cost.cache_read == pytest.approx(float(expected), rel=1e-12)
        if not usage.cache_write_tokens:
            assert cost.cache_write == 0
    assert rejected < 150  # the case priced something


def test_the_model_lookup_cache_is_bounded_and_least_recently_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(price_models, "MODELS_CACHED", 4)
    refs = [
        "gpt-4o-mini",
        "gpt-4o",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "mw-unknown-1",
        "mw-unknown-2",
    ]
    first = price_models.priced_model(genai_prices, "openai", refs[0])
    assert first is not None
    for ref in refs[1:]:
        price_models.priced_model(genai_prices, "openai", ref)
        assert price_models.priced_model(genai_prices, "openai", refs[0]) is first  # used last: kept
        assert price_models.cached_models() <= 4
    assert price_models.priced_model(genai_prices, "openai", "mw-unknown-3") is None
    assert price_models.priced_model(genai_prices, "openai", refs[1]) is not None
    assert price_models.cached_models() == 4
    price_models.priced_model(genai_prices, "openai", refs[2])  # evicted long ago: resolved again
    assert price_models.cached_models() == 4


def test_new_price_data_is_resolved_again_and_named_in_the_version() -> None:
    from genai_prices import data_snapshot

    spec = ModelSpec(name="openai/gpt-4o-mini", api_key="k")
    before = price_models.priced_model(genai_prices, "openai", "gpt-4o-mini")
    providers = data_snapshot.get_snapshot().providers
    updated = data_snapshot.DataSnapshot(providers=providers, from_auto_update=True)
    data_snapshot.set_custom_snapshot(updated)
    try:
        after = price_models.priced_model(genai_prices, "openai", "gpt-4o-mini")
        assert after is not None
        assert after is not before
        cost = price_of(spec, "gpt-4o-mini", _response("gpt-4o-mini", Usage(123_457, 89)))
        assert cost is not None
        assert cost.version == f"{genai_prices.__version__} (prices updated {updated.timestamp.isoformat()})"
    finally:
        data_snapshot.set_custom_snapshot(None)


def test_threads_pricing_new_usages_get_calc_price() -> None:
    spec = ModelSpec(name="anthropic/claude-sonnet-4-5", api_key="k")
    wrong: list[tuple[Usage, Any]] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(40):
            usage = _usage(rng)
            cost = price_of(spec, "claude-sonnet-4-5", _response("claude-sonnet-4-5", usage))
            calc = _calc(usage, "claude-sonnet-4-5", "anthropic")
            if (cost and cost.total) != (calc and float(calc.total_price)):
                wrong.append((usage, cost))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
