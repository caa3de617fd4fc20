"""LMI's own keys keep LMI's meaning: limit strings become limits, callables live on the chain, nested
extra_params are merged; none of them is ever a request parameter."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from modelwire import (
    AllModelsExhaustedError,
    AssistantMessage,
    Client,
    ModelwireWarning,
    ResponseValidationError,
)
from modelwire.config import LLMConfig, ModelSpec
from modelwire.config.lmi_keys import per_minute
from modelwire.testing import LocalProviderServer

KEY = "sk-lmi-keys-test"
FAST = {"initial_retry_delay": 0.001, "max_retry_delay": 0.002, "limiters": False}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100/minute", 100),
        ("20 per 3 second", 400),
        ("5 per second", 300),
        ("1000/hour", 16),  # 16.67 a minute, rounded down: never more than LMI allowed
        ("60/minutes", 60),
        ("90000 per day", 62),
        (30, 30),
    ],
)
def test_lmi_limit_strings_become_per_minute_limits(text: Any, expected: int) -> None:
    assert per_minute(text, "rate_limit") == expected


@pytest.mark.parametrize(
    ("text", "why"), [("1000/day", "at least 1"), ("fast", "not an LMI limit"), (None, "not")]
)
def test_limits_modelwire_cannot_honour_raise_by_name(text: Any, why: str) -> None:
    with pytest.raises(ValidationError, match=f"request_limit=.*{why}"):
        ModelSpec(name="gpt-4o", request_limit=text)


def test_per_model_limit_keys_set_the_limits_and_never_reach_the_request() -> None:
    spec = ModelSpec.from_name(
        "gpt-4o", rate_limit="20 per 3 second", request_limit="100/minute", temperature=0
    )
    assert (spec.tokens_per_minute, spec.requests_per_minute) == (400, 100)
    assert spec.extra_params == {"temperature": 0}
    nested = ModelSpec(name="gpt-4o", extra_params={"request_limit": "5/minute", "top_p": 1})
    assert (nested.requests_per_minute, nested.extra_params) == (5, {"top_p": 1})
    with pytest.raises(ValidationError, match="conflicts with requests_per_minute=7"):
        ModelSpec(name="gpt-4o", request_limit="5/minute", rpm=7)


def test_lmi_config_dict_limits_apply_to_the_model_they_name() -> None:
    config = LLMConfig.model_validate(
        {"name": "gpt-4", "rate_limit": {"gpt-4": "100/minute"}, "request_limit": {"gpt-4": "5/minute"}}
    )
    assert (config.primary.tokens_per_minute, config.primary.requests_per_minute) == (100, 5)
    assert config.primary.extra_params == {}
    legacy = {
        "name": "primary",
        "model_list": [
            {"model_name": "primary", "litellm_params": {"model": "gpt-4o-mini"}},
            {"model_name": "backup", "litellm_params": {"model": "claude-haiku-4-5-20251001"}},
        ],
        "rate_limit": {"primary": "1000/minute", "claude-haiku-4-5-20251001": "50 per 1 second"},
    }
    config = LLMConfig.model_validate(legacy)
    assert [m.tokens_per_minute for m in config.models] == [1000, 3000]
    assert (
        LLMConfig.model_validate(
            {"name": "text-embedding-3-small", "rate_limit": "100/minute"}
        ).primary.tokens_per_minute
        == 100
    )
    with pytest.warns(ModelwireWarning, match="ignores request_limit for 'gpt-5'"):
        LLMConfig.model_validate({"name": "gpt-4", "request_limit": {"gpt-5": "5/minute"}})


def test_a_nested_extra_params_is_merged_not_sent_as_a_field() -> None:
    config = LLMConfig.model_validate(
        {"name": "gpt-4o", "top_p": 1, "extra_params": {"temperature": 0, "top_p": 0.5}}
    )
    assert config.primary.extra_params == {"top_p": 0.5, "temperature": 0}
    spec = ModelSpec.from_name("gpt-4o", extra_params={"temperature": 0})
    assert spec.extra_params == {"temperature": 0}


def test_chain_callables_live_on_the_chain_and_are_refused_as_request_parameters() -> None:
    def parser(text: str, tools: Any) -> AssistantMessage:
        return AssistantMessage(content=text.upper())

    config = LLMConfig.model_validate({"name": "gpt-4o", "tool_parser": parser, "response_validator": print})
    assert (config.tool_parser, config.response_validator) == (parser, print)
    assert "tool_parser" not in config.model_dump()
    assert config.primary.extra_params == {}
    with pytest.raises(ValidationError, match=r"extra_params.tool_parser is set on the LLMConfig"):
        ModelSpec(name="gpt-4o", extra_params={"tool_parser": parser})
    legacy = {
        "model_list": [{"model_name": "A", "litellm_params": {"model": "gpt-4o", "tool_parser": parser}}]
    }
    with pytest.raises(ValidationError, match="tool_parser"):
        LLMConfig.model_validate(legacy)


def _chain(server: LocalProviderServer, **config: Any) -> LLMConfig:
    models = [
        {"name": f"openai/{m}", "api_base": server.openai_base_url, "api_key": KEY, "max_retries": 1}
        for m in ("model-a", "model-b")
    ]
    return LLMConfig(models=models, initial_retry_delay=0.001, max_retry_delay=0.002, **config)


def test_a_rejecting_validator_retries_the_model_then_moves_on_recorded_in_the_attempts(
    local_server: LocalProviderServer,
) -> None:
    seen: list[str | None] = []

    def only_b(response: Any) -> None:
        seen.append(response.model)
        if response.model == "model-a":
            raise ValueError("not from a")

    with Client(_chain(local_server, response_validator=only_b), limiters=False) as client:
        assert client.complete("hi").model == "model-b"
    assert [r.model for r in local_server.requests] == ["model-a", "model-a", "model-b"]
    assert seen == ["model-a", "model-a", "model-b"]

    def never(response: Any) -> None:
        raise ValueError("never good")

    local_server.clear()
    client = Client(_chain(local_server, response_validator=never), limiters=False)
    with client, pytest.raises(AllModelsExhaustedError) as info:
        client.complete("hi")
    assert len(info.value.attempts) == 4
    assert all(isinstance(r.exception, ResponseValidationError) for r in info.value.attempts)
    assert isinstance(info.value.last_exc.__cause__, ValueError)  # type: ignore[union-attr]
    assert "rejected the answer of openai/model-b: ValueError: never good" in str(info.value.last_exc)


def test_an_async_validator_runs_in_the_async_client_and_is_refused_by_the_sync_one(
    local_server: LocalProviderServer,
) -> None:
    import asyncio

    from modelwire import AsyncClient

    async def check(response: Any) -> None:
        if "hi" not in (response.message.content or ""):
            raise ValueError("no greeting")

    async def main() -> str | None:
        async with AsyncClient(_chain(local_server, response_validator=check), limiters=False) as client:
            return (await client.complete("hi")).message.content

    assert asyncio.run(main()) == "echo: hi"
    sync = Client(_chain(local_server, response_validator=check), limiters=False)
    with sync, pytest.raises(TypeError, match="use AsyncClient"):
        sync.complete("hi")


def test_a_tool_parser_rewrites_every_choice(local_server: LocalProviderServer) -> None:
    calls: list[Any] = []

    def parser(text: str, tools: Any) -> AssistantMessage:
        calls.append((text, tools))
        return AssistantMessage(content=text.upper())

    with Client(_chain(local_server, tool_parser=parser), limiters=False) as client:
        assert client.complete("hi").message.content == "ECHO: HI"
    assert calls == [("echo: hi", None)]
    wrong = Client(_chain(local_server, tool_parser=lambda choice, tools: choice), limiters=False)
    with wrong, pytest.raises(TypeError, match=r"must return a modelwire\.AssistantMessage"):
        wrong.complete("hi")
