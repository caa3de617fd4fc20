"""Every config example of LMI's tests/test_config.py and README, through ``lmi`` and through modelwire:
the same chain, the same per-model parameters (less the defaults LMI injects) and the same outcome,
except the differences listed in DIFFERENCES, each asserted as it stands."""

from __future__ import annotations

from typing import Any

import pytest

lmi_config = pytest.importorskip("lmi.config", reason="the LMI interop group runs under make interop-lmi")

from modelwire.config import LLMConfig, ModelSpec  # noqa: E402

# Parameters LMI adds on its own (ignored in the comparison): Gemini's safety settings (from_name and
# LiteLLMModel), and LiteLLMModel's n=1 / max_tokens=4096 when a config names only the model.
INJECTED = {"safety_settings", "n", "max_tokens"}


def lmi_build(how: str, value: Any) -> Any:
    if how == "spec":
        return lmi_config.LLMConfig(models=[lmi_config.ModelSpec(**value)])
    if how == "from_name":
        name, kwargs = value
        return lmi_config.LLMConfig(models=[lmi_config.ModelSpec.from_name(name, **kwargs)])
    if how == "legacy":
        return lmi_config.LLMConfig.from_legacy_dict(value)
    if how == "litellm_model":
        from lmi import LiteLLMModel

        name, config = value
        return LiteLLMModel(name=name, config=config).llm_config
    return (
        lmi_config.LLMConfig.coerce(value)
        if hasattr(lmi_config.LLMConfig, "coerce")
        else lmi_config.LLMConfig.model_validate(value)
    )


def modelwire_build(how: str, value: Any) -> LLMConfig:
    if how == "spec":
        return LLMConfig(models=[ModelSpec(**value)])
    if how == "from_name":
        name, kwargs = value
        return LLMConfig(models=[ModelSpec.from_name(name, **kwargs)])
    if how == "legacy":
        return LLMConfig.from_legacy_dict(value)
    if how == "litellm_model":
        name, config = value
        return LLMConfig.model_validate({"name": name, **config} if "model_list" not in config else config)
    return LLMConfig.coerce(value)


def entry(name: str, model: str, **params: Any) -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": model, **params}}


ABC = [entry("A", "gpt-4o-mini"), entry("B", "claude-3-5-sonnet-20241022"), entry("C", "gemini-1.5-pro")]
KEY = "sk-xyz-interop"

EXAMPLES: list[tuple[str, str, Any]] = [
    # tests/test_config.py
    ("minimal spec", "spec", {"name": "gpt-4o-mini"}),
    (
        "spec with base, key, timeout, params",
        "spec",
        {
            "name": "gpt-4o-mini",
            "api_base": "https://example.com",
            "api_key": KEY,
            "timeout": 10.0,
            "extra_params": {"temperature": 0.3},
        },
    ),
    ("unknown field", "spec", {"name": "gpt-4o-mini", "unknown_field": 1}),
    ("from_name openai", "from_name", ("gpt-4o-mini", {})),
    ("from_name gemini", "from_name", ("gemini-1.5-pro", {})),
    ("from_name anthropic logprobs", "from_name", ("claude-3-5-sonnet-20241022", {"logprobs": True})),
    ("from_name anthropic top_logprobs", "from_name", ("claude-3-5-sonnet-20241022", {"top_logprobs": 5})),
    ("from_name openai logprobs", "from_name", ("gpt-4o-mini", {"logprobs": True, "top_logprobs": 5})),
    ("from_name gemini/ logprobs", "from_name", ("gemini/gemini-1.5-pro", {"logprobs": True})),
    ("from_name override", "from_name", ("gpt-4o-mini", {"temperature": 0.0})),
    ("from_name fields", "from_name", ("gpt-4o-mini", {"timeout": 5.0, "max_retries": 7})),
    ("legacy empty", "legacy", {}),
    (
        "legacy single",
        "legacy",
        {"model_list": [entry("gpt-4o-mini", "gpt-4o-mini", temperature=0.5, max_tokens=200)]},
    ),
    (
        "legacy unknown fallback",
        "legacy",
        {"model_list": [entry("A", "gpt-4o-mini")], "fallbacks": [{"A": ["B"]}]},
    ),
    ("legacy fallback order", "legacy", {"model_list": ABC, "fallbacks": [{"A": ["B", "C"]}]}),
    ("legacy unreferenced appended", "legacy", {"model_list": ABC, "fallbacks": [{"A": ["B"]}]}),
    (
        "legacy router defaults",
        "legacy",
        {"model_list": [entry("A", "gpt-4o-mini")], "router_kwargs": {"timeout": 12.5, "num_retries": 7}},
    ),
    (
        "legacy per-model overrides",
        "legacy",
        {
            "model_list": [entry("A", "gpt-4o-mini", timeout=3.0, max_retries=1)],
            "router_kwargs": {"timeout": 12.5, "num_retries": 7},
        },
    ),
    ("legacy api_key", "legacy", {"model_list": [entry("A", "gpt-4o-mini", api_key=KEY)]}),
    ("coerce typed dict", "coerce", {"models": [{"name": "gpt-4o-mini"}]}),
    ("coerce legacy", "coerce", {"model_list": [entry("primary", "gpt-4o-mini", temperature=0.5)]}),
    ("coerce name + flat", "coerce", {"name": "gpt-4o-mini", "temperature": 0.1, "timeout": 30.0}),
    ("coerce empty", "coerce", {}),
    ("coerce bare names x", "coerce", {"models": [{"name": "x"}]}),
    ("coerce bare names y", "coerce", {"models": [{"name": "y"}]}),
    # LiteLLMModel configs of test_config.py / test_llms.py and the README
    ("litellm name only", "litellm_model", ("gpt-4o-mini-2024-07-18", {})),
    (
        "litellm overrides",
        "litellm_model",
        ("gpt-4o-mini-2024-07-18", {"temperature": 0.5, "max_tokens": 100}),
    ),
    (
        "readme model_list",
        "litellm_model",
        (
            "gpt-4o",
            {
                "model_list": [
                    entry(
                        "gpt-4o",
                        "gpt-4o",
                        api_key=KEY,
                        frequency_penalty=1.5,
                        top_p=0.9,
                        max_tokens=512,
                        temperature=0.1,
                        n=5,
                    )
                ]
            },
        ),
    ),
    ("readme flat", "litellm_model", ("gpt-4o", {"temperature": 0.1, "max_tokens": 512, "n": 5})),
    (
        "readme limits",
        "litellm_model",
        ("gpt-4", {"rate_limit": {"gpt-4": "100/minute"}, "request_limit": {"gpt-4": "5/minute"}}),
    ),
    (
        "legacy fallbacks of test_llms",
        "litellm_model",
        (
            "gpt-4o-mini-2024-07-18",
            {
                "name": "gpt-4o-mini-2024-07-18",
                "fallbacks": [{"gpt-4o-mini-2024-07-18": ["claude-haiku-4-5-20251001"]}],
                "model_list": [
                    entry("gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18", api_key=KEY),
                    entry("claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001", max_tokens=56),
                ],
            },
        ),
    ),
]

# label -> (what modelwire does instead, why the difference stays).
DIFFERENCES = {
    "coerce bare names x": ("rejected", "a bare name no provider serves fails when the config is built"),
    "coerce bare names y": ("rejected", "a bare name no provider serves fails when the config is built"),
}


def outcome(build: Any) -> tuple[str, Any]:
    try:
        return "accepted", build()
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        return "rejected", exc


def params(spec: Any) -> dict[str, Any]:
    return {
        k: v
        for k, v in spec.extra_params.items()
        if k not in INJECTED and k not in ("num_retries", "max_retries")
    }


def secret(spec: Any) -> str | None:
    return None if spec.api_key is None else spec.api_key.get_secret_value()


@pytest.mark.parametrize(("label", "how", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_every_lmi_config_example_builds_the_same_chain(label: str, how: str, value: Any) -> None:
    lmi_result, lmi_built = outcome(lambda: lmi_build(how, value))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # modelwire names ignored keys in warnings; compared here: the chain
        ours, built = outcome(lambda: modelwire_build(how, value))
    if label in DIFFERENCES:
        assert (lmi_result, ours) == ("accepted", DIFFERENCES[label][0])
        return
    assert ours == lmi_result, f"{label}: lmi {lmi_result}, modelwire {ours}: {built}"
    if ours == "rejected":
        return
    assert [m.name for m in built.models] == [m.name for m in lmi_built.models]
    for mine, theirs in zip(built.models, lmi_built.models, strict=True):
        assert params(mine) == params(theirs), label
        assert (mine.timeout, mine.max_retries, mine.api_base) == (
            theirs.timeout,
            theirs.max_retries,
            theirs.api_base,
        )
        assert secret(mine) == secret(theirs)
    if label == "readme limits":
        from limits import parse

        assert built.primary.tokens_per_minute == parse("100/minute").amount
        assert built.primary.requests_per_minute == parse("5/minute").amount


def test_every_difference_is_an_example() -> None:
    assert set(DIFFERENCES) <= {e[0] for e in EXAMPLES}
