"""Cost: recorded corpus usages priced against genai-prices' own ``calc_price``, user prices, unknown models,
and the client's ledger over real sockets (docs/cost.md)."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

import orjson
import pytest

from corpus_files import load
from modelwire import (
    AllModelsExhaustedError,
    AsyncClient,
    Client,
    Cost,
    LLMConfig,
    ModelPrice,
    ModelSpec,
    ResponseValidationError,
    Usage,
)
from modelwire.facade import pricing
from modelwire.facade.pricing import price_of, usage_for_genai_prices, user_cost
from modelwire.parsing import (
    parse_anthropic_message,
    parse_bedrock_converse,
    parse_chat_completion,
    parse_gemini_content,
)
from modelwire.testing import LocalProviderServer

genai_prices = pytest.importorskip("genai_prices")

# Our usage keys (genai-prices' names): the counts the oracle's own extractor must agree with.
OUR_KEYS = frozenset(usage_for_genai_prices(Usage(*range(1, 9), **dict.fromkeys(Usage.__slots__[8:], 1))))

# (corpus file, our parser, spec name, genai-prices provider id, its extractor flavour, model ref or None)
CASES = [
    # OpenAI: cached prompt tokens, audio in and out, reasoning
    ("openai/chat_completions/openinference__test_token_counts__i0.json", parse_chat_completion,
     "openai/gpt-4o-mini", "openai", "chat", None),
    # OpenAI: a prompt-cache write (gpt-5.6)
    ("openai/chat_completions/pydantic-ai__test_openai_chat_prompt_cache_e2e__i0.json", parse_chat_completion,
     "openai/gpt-5.6-sol", "openai", "chat", None),
    # OpenAI reasoning model
    ("openai/chat_completions/openllmetry__test_chat_reasoning__i1.json", parse_chat_completion,
     "openai/gpt-5-nano", "openai", "chat", None),
    # Anthropic: cache reads plus a 5-minute / 1-hour cache write split
    ("anthropic/messages/ldp__TestCachedTokenCosts.test_anthropic_incremental_cache_with_conversation__i3.json",
     parse_anthropic_message, "anthropic/claude-sonnet-4-5", "anthropic", "default", None),
    ("anthropic/messages/openinference__TestToolCallsInChatResponse.test_anthropic__i0.json",
     parse_anthropic_message, "anthropic/claude-3-5-haiku-20241022", "anthropic", "default", None),
    # Gemini: thoughts; audio and video prompt tokens, part of them read from the cache
    ("gemini/generate_content/openinference__test_google_adk_instrumentor_reasoning_content__i0.json",
     parse_gemini_content, "gemini/gemini-2.5-flash", "google", "default", None),
    ("gemini/generate_content/pydantic-ai__test_google_model_mobile_youtube_video_url_input__i0.json",
     parse_gemini_content, "gemini/gemini-2.5-flash", "google", "default", None),
    ("gemini/generate_content/pydantic-ai__test_multimodal_tool_return_matrix_direct-url-document-google_2_5___i2.json",
     parse_gemini_content, "gemini/gemini-2.5-flash", "google", "default", None),
    # Bedrock Converse: cache reads and writes (the body names no model: the request's model id prices it)
    ("bedrock/converse/pydantic-ai__test_bedrock_cache_messages_with_image_as_last_content__i1.json",
     parse_bedrock_converse, "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws", "default",
     "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
]  # fmt: skip


def _oracle(case: tuple[Any, ...]) -> tuple[Any, Any]:
    """genai-prices' own reading of the recorded body (restricted to the counts modelwire keeps) and its
    ``calc_price`` of it."""
    path, _, _, provider, flavour, ref = case
    recorded = load(path)
    extracted = genai_prices.extract_usage(
        orjson.loads(recorded.body), provider_id=provider, api_flavor=flavour
    )
    kept = {key: value for key, value in vars(extracted.usage).items() if key in OUR_KEYS}
    usage = genai_prices.Usage(**kept)
    model = ref or orjson.loads(recorded.body).get("model") or orjson.loads(recorded.body)["modelVersion"]
    return kept, genai_prices.calc_price(usage, model, provider_id=provider)


@pytest.mark.parametrize("case", CASES, ids=[case[0].rsplit("/", 1)[1][:60] for case in CASES])
def test_corpus_usage_is_priced_as_genai_prices_prices_it(case: tuple[Any, ...]) -> None:
    path, parse, name, _, _, ref = case
    response = parse(load(path).body)
    kept, calc = _oracle(case)
    # The usage modelwire parsed holds exactly the counts genai-prices' own extractor reads from the body.
    assert usage_for_genai_prices(response.usage) == kept
    spec = ModelSpec(name=name, api_key="k")
    cost = price_of(spec, ref or spec.route.model_id, response)
    assert cost is not None
    assert cost.total == float(calc.total_price)
    assert cost.output == float(calc.output_price)
    assert cost.input + cost.cache_read + cost.cache_write == pytest.approx(
        float(calc.input_price), rel=1e-12
    )
    assert (cost.currency, cost.source, cost.version) == ("USD", "genai-prices", genai_prices.__version__)
    # The cache parts at the model's own cache prices.
    prices = calc.model_price
    if response.usage.cache_read_tokens and prices.cache_read_mtok is not None and not isinstance(
        prices.cache_read_mtok, genai_prices.types.TieredPrices
    ) and not any(key.startswith("cache_") and key.endswith("_read_tokens") and key != "cache_read_tokens"
                  for key in kept):  # fmt: skip
        expected = response.usage.cache_read_tokens * prices.cache_read_mtok / Decimal(1_000_000)
        assert cost.cache_read == pytest.approx(float(expected), rel=1e-12)


def test_the_anthropic_cache_write_split_is_priced_by_ttl() -> None:
    usage = Usage(
        1_000_000 + 2_000_000 + 3_000_000, 0, cache_write_tokens=3_000_000, cache_read_tokens=2_000_000,
        cache_write_5m_tokens=1_000_000, cache_write_1h_tokens=2_000_000,
    )  # fmt: skip
    response = parse_anthropic_message(load(CASES[3][0]).body)
    response.usage = usage
    response.model = "claude-haiku-4-5"  # flat prices (Sonnet's depend on the prompt's length)
    cost = price_of(ModelSpec(name="anthropic/claude-haiku-4-5", api_key="k"), "claude-haiku-4-5", response)
    calc = genai_prices.calc_price(genai_prices.Usage(**usage_for_genai_prices(usage)), response.model,
                                   provider_id="anthropic")  # fmt: skip
    assert cost is not None
    prices = calc.model_price
    assert cost.cache_write == pytest.approx(float(prices.cache_write_mtok + 2 * prices.cache_write_1h_mtok))
    assert cost.cache_read == pytest.approx(float(2 * prices.cache_read_mtok))
    assert cost.input == pytest.approx(float(prices.input_mtok))
    assert cost.total == float(calc.total_price)


def _chat(model: str | None, usage: Usage | None) -> Any:
    response = parse_chat_completion(b'{"choices": []}')
    response.model = model
    response.usage = usage
    return response


def test_a_model_without_a_known_price_costs_none() -> None:
    usage = Usage(100, 10)
    unknown = ModelSpec(name="openai/mw-private-model-7b", api_key="k")
    assert price_of(unknown, "mw-private-model-7b", _chat("mw-private-model-7b", usage)) is None
    # A self-hosted OpenAI-compatible server is never priced by a model name that looks familiar.
    hosted = ModelSpec(name="gpt-4o-mini", api_base="http://127.0.0.1:9/v1", provider="my-vllm")
    assert price_of(hosted, "gpt-4o-mini", _chat("gpt-4o-mini", usage)) is None
    # No usage, no price.
    known = ModelSpec(name="openai/gpt-4o-mini", api_key="k")
    assert price_of(known, "gpt-4o-mini", _chat("gpt-4o-mini", None)) is None


def test_without_genai_prices_cost_is_none_and_says_why_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sys

    monkeypatch.setattr(pricing, "_genai", None)
    monkeypatch.setitem(sys.modules, "genai_prices", None)  # import genai_prices raises ImportError
    spec = ModelSpec(name="openai/gpt-4o-mini", api_key="k")
    with caplog.at_level(logging.DEBUG, logger="modelwire.cost"):
        assert price_of(spec, "gpt-4o-mini", _chat("gpt-4o-mini", Usage(10, 1))) is None
        assert price_of(spec, "gpt-4o-mini", _chat("gpt-4o-mini", Usage(10, 1))) is None
    said = [r.getMessage() for r in caplog.records if "genai-prices is not installed" in r.getMessage()]
    assert len(said) == 1
    # A user price needs no price data.
    priced = ModelSpec(name="openai/gpt-4o-mini", api_key="k", price={"input": 1, "output": 2})
    assert price_of(priced, "gpt-4o-mini", _chat("gpt-4o-mini", Usage(10, 1))) is not None


def test_a_user_price_prices_every_part() -> None:
    price = ModelPrice(input=3, output=15, cache_read=0.3, cache_write=3.75, cache_write_1h=6)
    usage = Usage(
        1_000_000 + 2_000_000 + 3_000_000,
        4_000_000,
        cache_read_tokens=2_000_000,
        cache_write_tokens=3_000_000,
        cache_write_1h_tokens=1_000_000,
    )
    cost = user_cost(price, usage)
    assert cost == Cost(3 + 60 + 0.6 + 2 * 3.75 + 6, 3, 60, 0.6, 7.5 + 6, source="user")
    # Cache prices left out are charged at the input price: none is invented.
    plain = user_cost(ModelPrice(input=1, output=2), usage)
    assert (plain.input, plain.cache_read, plain.cache_write, plain.output) == (1, 2, 3, 8)
    # The user's price wins over genai-prices' for a model it knows.
    spec = ModelSpec(name="openai/gpt-4o-mini", api_key="k", price=price)
    assert price_of(spec, "gpt-4o-mini", _chat("gpt-4o-mini", usage)) == cost


@pytest.mark.parametrize(
    "bad",
    [
        {"input": -1, "output": 1},
        {"input": 1},
        {"input": 1, "output": float("inf")},
        {"input": 1, "output": 1, "x": 1},
    ],
)
def test_a_user_price_is_validated(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="price"):
        ModelSpec(name="openai/gpt-4o-mini", api_key="k", price=bad)


def test_costs_add_up_and_keep_their_source() -> None:
    a = Cost(1.0, 0.5, 0.5, source="genai-prices", version="1")
    b = Cost(2.0, 1.0, 1.0, source="genai-prices", version="1")
    assert a + b == Cost(3.0, 1.5, 1.5, source="genai-prices", version="1")
    mixed = a + Cost(1.0, source="user")
    assert (mixed.total, mixed.source, mixed.version) == (2.0, "mixed", None)


def test_the_ledger_sums_cost_per_model_over_real_calls(local_server: LocalProviderServer) -> None:
    user_priced = {"input": 1_000_000, "output": 2_000_000}  # one dollar a token in, two out: easy sums
    chain = [
        {"name": "openai/gpt-4o-mini", "api_base": local_server.openai_base_url, "api_key": "sk-cost"},
        {"name": "openai/mw-private", "api_base": local_server.openai_base_url, "api_key": "sk-cost",
         "price": user_priced},
        {"name": "openai/mw-unknown", "api_base": local_server.openai_base_url, "api_key": "sk-cost"},
    ]  # fmt: skip
    expected: dict[str, Cost] = {}
    with Client(chain[0]) as known, Client(chain[1]) as private, Client(chain[2]) as unknown:
        shared = known.with_options()  # a copy shares the ledger
        responses = [
            known.complete("hello there"),
            shared.complete("count to three"),
            known.embed(["a", "b"]),
        ]
        for response in responses:
            assert response.cost is not None
            calc = genai_prices.calc_price(
                genai_prices.Usage(**usage_for_genai_prices(response.usage)),
                "gpt-4o-mini",
                provider_id="openai",
            )
            assert response.cost.total == float(calc.total_price)
        mine = [private.complete("hi"), private.complete("hello again")]
        for response in mine:
            assert response.usage is not None
            assert response.cost is not None
            assert response.cost.total == response.usage.input_tokens + 2 * response.usage.output_tokens
        assert unknown.complete("hi").cost is None
        expected_known = sum((r.cost for r in responses[1:]), responses[0].cost)
        expected = {"openai/gpt-4o-mini": expected_known}
        assert known.cost == expected
        assert known.total_cost == expected_known
        assert private.total_cost == mine[0].cost + mine[1].cost
        assert unknown.cost == {}
        assert unknown.total_cost is None
        assert unknown.unpriced == {"openai/mw-unknown": 1}
        assert known.unpriced == {}
        known.reset_usage()
        assert known.cost == {}
        assert known.total_cost is None


def test_a_rejected_answer_keeps_its_cost_in_the_attempt_records(local_server: LocalProviderServer) -> None:
    def never(response: Any) -> None:
        raise ValueError("never good")

    models = [
        {
            "name": f"openai/{m}",
            "api_base": local_server.openai_base_url,
            "api_key": "sk-cost",
            "max_retries": 0,
        }
        for m in ("gpt-4o-mini", "mw-unknown")
    ]
    config = LLMConfig(models=models, response_validator=never)
    with Client(config, limiters=False) as client, pytest.raises(AllModelsExhaustedError) as info:
        client.complete("hi")
    first, second = info.value.attempts
    assert isinstance(first.exception, ResponseValidationError)
    assert first.cost is not None
    assert first.cost == first.exception.response.cost
    assert first.cost.total > 0
    assert second.cost is None  # a model without a price
    # The rejected answers were paid for: the ledger counts them too.
    assert client.cost == {"openai/gpt-4o-mini": first.cost}
    assert client.unpriced == {"openai/mw-unknown": 1}


def test_a_stream_and_an_async_call_are_priced(local_server: LocalProviderServer) -> None:
    spec = {"name": "anthropic/claude-haiku-4-5", "api_base": local_server.anthropic_base_url, "api_key": "k"}
    with Client(spec) as client, client.stream("stream me") as stream:
        for _ in stream:
            pass
        final = stream.final_response()
    assert final.cost is not None
    assert final.usage is not None
    calc = genai_prices.calc_price(
        genai_prices.Usage(**usage_for_genai_prices(final.usage)), "claude-haiku-4-5", provider_id="anthropic"
    )
    assert final.cost.total == float(calc.total_price)
    assert client.total_cost == final.cost

    async def run() -> tuple[Any, Any]:
        async with AsyncClient(spec) as aclient:
            response = await aclient.complete("hi")
            return response, aclient.total_cost

    response, total = asyncio.run(run())
    assert response.cost is not None
    assert total == response.cost


def test_pricing_can_be_turned_off(local_server: LocalProviderServer) -> None:
    spec = {"name": "openai/gpt-4o-mini", "api_base": local_server.openai_base_url, "api_key": "sk-cost"}
    with Client(spec, pricing=False) as client:
        assert client.complete("hi").cost is None
        assert client.cost == {}
        assert client.unpriced == {"openai/gpt-4o-mini": 1}
        assert client.with_options(pricing=True).complete("hi").cost is not None
    with pytest.raises(TypeError, match="pricing must be True or False"):
        Client(spec, pricing="no")
