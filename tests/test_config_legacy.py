"""The legacy LiteLLM Router dict: LMI's examples and ordering rules, and what LMI dropped silently."""

from __future__ import annotations

from typing import Any

import pytest

from modelwire import ModelwireWarning
from modelwire.config import LLMConfig


def entry(name: str, model: str, **params: Any) -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": model, **params}}


THREE = [entry("A", "gpt-4o-mini"), entry("B", "claude-3-5-sonnet"), entry("C", "gemini-1.5-pro")]

ORDERS: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "no fallbacks: list order",
        {"model_list": THREE},
        ["gpt-4o-mini", "claude-3-5-sonnet", "gemini-1.5-pro"],
    ),
    (
        "primary's fallbacks first",
        {"model_list": THREE, "fallbacks": [{"A": ["C", "B"]}]},
        ["gpt-4o-mini", "gemini-1.5-pro", "claude-3-5-sonnet"],
    ),
    (
        "unreferenced appended",
        {"model_list": THREE, "fallbacks": [{"A": ["C"]}]},
        ["gpt-4o-mini", "gemini-1.5-pro", "claude-3-5-sonnet"],
    ),
    (
        "a fallback naming the primary is not repeated",
        {"model_list": THREE, "fallbacks": [{"A": ["A", "C", "C"]}]},
        ["gpt-4o-mini", "gemini-1.5-pro", "claude-3-5-sonnet"],
    ),
    (
        "wildcard fallbacks when the primary has none",
        {"model_list": THREE, "fallbacks": [{"*": ["C"]}]},
        ["gpt-4o-mini", "gemini-1.5-pro", "claude-3-5-sonnet"],
    ),
    (
        "the primary's own entry beats the wildcard",
        {"model_list": THREE, "fallbacks": [{"*": ["C"]}, {"A": ["B"]}]},
        ["gpt-4o-mini", "claude-3-5-sonnet", "gemini-1.5-pro"],
    ),
    (
        "a single dict of fallbacks",
        {"model_list": THREE, "fallbacks": {"A": ["C"]}},
        ["gpt-4o-mini", "gemini-1.5-pro", "claude-3-5-sonnet"],
    ),
    (
        "fallbacks given in router_kwargs",
        {"model_list": THREE, "router_kwargs": {"fallbacks": [{"A": ["C"]}]}},
        ["gpt-4o-mini", "gemini-1.5-pro", "claude-3-5-sonnet"],
    ),
]


@pytest.mark.parametrize(("label", "legacy", "expected"), ORDERS, ids=[row[0] for row in ORDERS])
def test_chain_order_follows_lmi(label: str, legacy: dict[str, Any], expected: list[str]) -> None:
    assert [m.name for m in LLMConfig.from_legacy_dict(legacy).models] == expected


def test_lmi_single_model_example() -> None:
    legacy = {"model_list": [entry("gpt-4o-mini", "gpt-4o-mini", temperature=0.5, max_tokens=200)]}
    config = LLMConfig.from_legacy_dict(legacy)
    assert len(config.models) == 1
    assert config.primary.extra_params == {"temperature": 0.5, "max_tokens": 200}


def test_router_kwargs_are_per_model_defaults_and_litellm_params_beat_them() -> None:
    legacy = {
        "model_list": [entry("A", "gpt-m1", timeout=3.0, max_retries=1), entry("B", "gpt-m2")],
        "router_kwargs": {"timeout": 12.5, "num_retries": 7, "default_max_parallel_requests": 8},
    }
    a, b = LLMConfig.from_legacy_dict(legacy).models
    assert (a.timeout, a.max_retries, a.max_concurrency) == (3.0, 1, 8)
    assert (b.timeout, b.max_retries, b.max_concurrency) == (12.5, 7, 8)


def test_num_retries_inside_litellm_params_is_honoured() -> None:
    # LMI dropped it silently (and LiteLLM would have retried inside every attempt).
    legacy = {"model_list": [entry("A", "gpt-m", num_retries=5)], "router_kwargs": {"num_retries": 1}}
    spec = LLMConfig.from_legacy_dict(legacy).primary
    assert spec.max_retries == 5
    assert "num_retries" not in spec.extra_params


def test_litellm_params_that_name_fields_set_them() -> None:
    params = {
        "api_base": "http://127.0.0.1:9/v1",
        "api_version": "2024-10-21",
        "custom_llm_provider": "azure",
        "rpm": 600,
        "tpm": 90_000,
        "max_parallel_requests": 16,
        "extra_headers": {"X-Team": "a"},
        "extra_body": {"guided_json": {}},
        "temperature": 0.2,
    }
    spec = LLMConfig.from_legacy_dict({"model_list": [entry("A", "gpt-4o", **params)]}).primary
    assert (spec.api_base, spec.api_version, spec.provider_name) == (
        "http://127.0.0.1:9/v1",
        "2024-10-21",
        "azure",
    )
    assert (spec.requests_per_minute, spec.tokens_per_minute, spec.max_concurrency) == (600, 90_000, 16)
    assert (spec.extra_headers, spec.extra_body, spec.extra_params) == (
        {"X-Team": "a"},
        {"guided_json": {}},
        {"temperature": 0.2},
    )


def test_deployment_level_rpm_and_tpm() -> None:
    legacy = {"model_list": [{**entry("A", "gpt-m"), "rpm": 30, "tpm": 1000, "model_info": {"id": "x"}}]}
    spec = LLMConfig.from_legacy_dict(legacy).primary
    assert (spec.requests_per_minute, spec.tokens_per_minute) == (30, 1000)


def test_llmconfig_fields_at_the_top_level_of_a_legacy_dict() -> None:
    config = LLMConfig.model_validate({"model_list": THREE, "deadline": 5.0, "max_retry_after": 2.0})
    assert (config.deadline, config.max_retry_after) == (5.0, 2.0)


def test_a_router_redis_shares_the_limits() -> None:
    legacy = {
        "model_list": THREE,
        "router_kwargs": {"redis_host": "10.0.0.5", "redis_port": 6380, "redis_password": "p@ss word"},
    }
    limits = LLMConfig.from_legacy_dict(legacy).shared_limits
    assert limits is not None
    assert limits.url is not None
    assert limits.url.get_secret_value() == "redis://:p%40ss%20word@10.0.0.5:6380"
    assert limits.on_unavailable == "open"


WARNED: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "router kwargs with no meaning here",
        {
            "model_list": THREE,
            "router_kwargs": {"routing_strategy": "simple-shuffle", "allowed_fails": 3, "timeout": 1},
        },
        ["router_kwargs 'allowed_fails', 'routing_strategy'"],
    ),
    (
        "unknown top-level keys",
        {"model_list": THREE, "cache_responses": True},
        ["legacy config keys 'cache_responses'"],
    ),
    (
        "fallbacks of a model other than the primary",
        {"model_list": THREE, "fallbacks": [{"A": ["B"]}, {"B": ["C"]}]},
        ["the fallbacks of 'B'"],
    ),
    (
        "duplicate deployments",
        {"model_list": [entry("A", "gpt-m1"), entry("A", "gpt-m2")]},
        ["2 deployments named 'A'"],
    ),
    (
        "LiteLLM-only litellm_params",
        {"model_list": [entry("A", "gpt-m", stream_timeout=5, mock_response="hi")]},
        ["model_list[0].litellm_params 'mock_response', 'stream_timeout'"],
    ),
    (
        "unknown entry keys",
        {"model_list": [{**entry("A", "gpt-m"), "weight": 2}]},
        ["model_list[0] keys 'weight'"],
    ),
]


@pytest.mark.parametrize(("label", "legacy", "expected"), WARNED, ids=[row[0] for row in WARNED])
def test_keys_with_no_meaning_are_named_in_a_warning(
    label: str, legacy: dict[str, Any], expected: list[str]
) -> None:
    with pytest.warns(ModelwireWarning, match="modelwire ignores|does not load-balance") as record:
        LLMConfig.from_legacy_dict(legacy)
    messages = [str(w.message) for w in record]
    for fragment in expected:
        assert any(fragment in m for m in messages), messages
    assert all(w.filename == __file__ for w in record)


def test_duplicate_deployments_become_consecutive_chain_entries() -> None:
    legacy = {"model_list": [entry("A", "gpt-m1"), entry("B", "gpt-m3"), entry("A", "gpt-m2")]}
    with pytest.warns(ModelwireWarning, match="does not load-balance"):
        config = LLMConfig.from_legacy_dict(legacy)
    assert [m.name for m in config.models] == ["gpt-m1", "gpt-m2", "gpt-m3"]


def test_router_kwargs_do_not_leak_into_request_parameters() -> None:
    legacy = {"model_list": THREE, "router_kwargs": {"timeout": 4, "num_retries": 2}}
    assert all(m.extra_params == {} for m in LLMConfig.from_legacy_dict(legacy).models)


def test_from_legacy_dict_needs_a_model_list() -> None:
    with pytest.raises(ValueError, match="needs a 'model_list'"):
        LLMConfig.from_legacy_dict({"models": ["gpt-a"]})
