"""Config: every shape LLMConfig accepts, every one it rejects (and why), and keys that never print."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from modelwire._redact import MASK, redact
from modelwire.config import DEFAULT_DEADLINE, LLMConfig, LLMConfigField, ModelSpec, SharedLimits

KEY = "sk-test-0123456789abcdefXYZ"  # a made-up key in OpenAI's shape
ODD_KEY = "k9!unusual-format-key-77"  # no provider shape: only registration masks it


def names(config: LLMConfig) -> list[str]:
    return [m.name for m in config.models]


# -- accepted shapes --------------------------------------------------------------------------------------

ACCEPTED: list[tuple[str, Any, list[str]]] = [
    ("bare string", "openai/gpt-4o-mini", ["openai/gpt-4o-mini"]),
    ("list of strings", ["openai/a", "anthropic/b"], ["openai/a", "anthropic/b"]),
    ("spec instance", ModelSpec(name="groq/y"), ["groq/y"]),
    ("models dict", {"models": [{"name": "gpt-4o-mini"}]}, ["gpt-4o-mini"]),
    ("models of strings", {"models": ["groq/b", {"name": "groq/d"}]}, ["groq/b", "groq/d"]),
    ("name + flat", {"name": "gpt-4o-mini", "temperature": 0.1, "timeout": 30.0}, ["gpt-4o-mini"]),
    (
        "legacy, primary only",
        {"model_list": [{"model_name": "m", "litellm_params": {"model": "gpt-4o-mini", "temperature": 0.5}}]},
        ["gpt-4o-mini"],
    ),
]


@pytest.mark.parametrize(("label", "value", "expected"), ACCEPTED, ids=[row[0] for row in ACCEPTED])
def test_accepted_shapes(label: str, value: Any, expected: list[str]) -> None:
    assert names(LLMConfig.model_validate(value)) == expected
    assert names(LLMConfig.coerce(value)) == expected


def test_an_instance_passes_through_unchanged() -> None:
    config = LLMConfig(models=[ModelSpec(name="gpt-x")])
    assert LLMConfig.model_validate(config) is config
    assert LLMConfig.coerce(config) is config


def test_name_plus_flat_splits_fields_from_request_parameters() -> None:
    source = {"name": "gpt-4o-mini", "temperature": 0.1, "timeout": 30.0, "rpm": 60, "deadline": 12.0}
    config = LLMConfig.model_validate(source)
    spec = config.primary
    assert spec.timeout == 30.0
    assert spec.requests_per_minute == 60
    assert spec.extra_params == {"temperature": 0.1}
    assert config.deadline == 12.0
    assert source == {"name": "gpt-4o-mini", "temperature": 0.1, "timeout": 30.0, "rpm": 60, "deadline": 12.0}


def test_from_name_injects_no_hidden_defaults() -> None:
    # LMI added temperature=1.0 (and Gemini safety settings); what is sent here is what was configured.
    assert ModelSpec.from_name("gemini/gemini-2.0-flash").extra_params == {}
    spec = ModelSpec.from_name("gpt-4o-mini", timeout=5.0, max_retries=7, temperature=0.0)
    assert (spec.timeout, spec.max_retries, spec.extra_params) == (5.0, 7, {"temperature": 0.0})


def test_defaults_come_from_the_constants() -> None:
    from modelwire import _constants

    spec = ModelSpec(name="gpt-x")
    assert spec.timeout == _constants.DEFAULT_TIMEOUT
    assert spec.connect_timeout == _constants.DEFAULT_CONNECT_TIMEOUT
    assert spec.max_retries == _constants.DEFAULT_MAX_RETRIES
    assert spec.attempts == _constants.DEFAULT_MAX_RETRIES + 1
    config = LLMConfig.model_validate("gpt-x")
    assert config.max_retry_after == _constants.MAX_RETRY_AFTER
    assert (config.initial_retry_delay, config.max_retry_delay) == (
        _constants.INITIAL_RETRY_DELAY,
        _constants.MAX_RETRY_DELAY,
    )
    assert config.deadline == DEFAULT_DEADLINE


@pytest.mark.parametrize(
    ("name", "provider", "expected_provider", "expected_model"),
    [
        ("openai/gpt-4o", None, "openai", "gpt-4o"),
        ("gpt-4o", None, "openai", "gpt-4o"),  # routed by family, as LiteLLM does
        ("gpt-4o", "openai", "openai", "gpt-4o"),
        ("openrouter/anthropic/claude-3.5", None, "openrouter", "anthropic/claude-3.5"),
        ("meta-llama/Llama-3-8B", "vllm", "vllm", "meta-llama/Llama-3-8B"),
    ],
)
def test_provider_and_model_id(
    name: str, provider: str | None, expected_provider: str | None, expected_model: str
) -> None:
    spec = ModelSpec(name=name, provider=provider)
    assert (spec.provider_name, spec.model_id) == (expected_provider, expected_model)


def test_retry_counts_in_request_parameters_set_max_retries() -> None:
    assert ModelSpec(name="gpt-x", extra_params={"num_retries": 5, "t": 1}).max_retries == 5
    spec = ModelSpec(name="gpt-x", extra_params={"max_retries": 0})
    assert (spec.max_retries, spec.extra_params) == (0, {})


def test_a_pydantic_field_typed_llmconfig_accepts_every_shape() -> None:
    class Holder(BaseModel):
        plain: LLMConfig
        compat: LLMConfigField

    holder = Holder.model_validate({"plain": "groq/b", "compat": {"name": "groq/d", "temperature": 0.2}})
    assert names(holder.plain) == ["groq/b"]
    assert holder.compat.primary.extra_params == {"temperature": 0.2}


# -- rejected shapes ---------------------------------------------------------------------------------------

REJECTED: list[tuple[str, Any, str]] = [
    ("empty chain", {"models": []}, "models\n  the chain needs at least one model"),
    ("empty list", [], "the chain needs at least one model"),
    (
        "negative retries",
        {"models": [{"name": "gpt-x", "max_retries": -1}]},
        "models.0.max_retries\n  must be >= 0",
    ),
    ("negative flat", {"name": "gpt-x", "num_retries": -3}, "must be >= 0"),
    (
        "zero timeout",
        {"models": [{"name": "gpt-x", "timeout": 0}]},
        "models.0.timeout\n  must be > 0 seconds",
    ),
    ("zero rpm", {"models": [{"name": "gpt-x", "rpm": 0}]}, "models.0.rpm\n  must be >= 1"),
    (
        "unknown field",
        {"models": [{"name": "gpt-x", "temprature": 1}]},
        "temprature\n  Extra inputs are not permitted",
    ),
    ("empty name", {"models": [{"name": " "}]}, "models.0.name"),
    ("no shape", {"temperature": 1}, "cannot tell the shape of this dict (keys: temperature)"),
    ("wrong type", 42, "cannot build an LLMConfig from int"),
    ("bad deadline", {"models": ["gpt-x"], "deadline": 0}, "deadline\n  must be > 0 seconds"),
    (
        "delays inverted",
        {"models": ["gpt-x"], "initial_retry_delay": 5, "max_retry_delay": 1},
        "max_retry_delay (1.0)",
    ),
    (
        "key in params",
        {"models": [{"name": "gpt-x", "extra_params": {"api_key": KEY}}]},
        "extra_params.api_key must",
    ),
    (
        "retries twice",
        {"models": [{"name": "gpt-x", "max_retries": 2, "extra_params": {"num_retries": 4}}]},
        "max_retries=2 conflicts",
    ),
    (
        "redis scheme",
        {"models": ["gpt-x"], "shared_limits": {"url": "http://h"}},
        "shared_limits.url\n  must start",
    ),
    ("legacy empty", {"model_list": []}, "model_list: must be a non-empty list"),
    (
        "legacy no name",
        {"model_list": [{"litellm_params": {"model": "gpt-m"}}]},
        "model_list[0].model_name: missing",
    ),
    (
        "legacy no model",
        {"model_list": [{"model_name": "a", "litellm_params": {}}]},
        "litellm_params.model: missing",
    ),
    (
        "legacy unknown fallback",
        {
            "model_list": [{"model_name": "A", "litellm_params": {"model": "gpt-m"}}],
            "fallbacks": [{"A": ["B"]}],
        },
        "fallbacks[0]['A']: names 'B' absent from model_list (known: 'A')",
    ),
    (
        "legacy unknown fallback key",
        {
            "model_list": [{"model_name": "A", "litellm_params": {"model": "gpt-m"}}],
            "fallbacks": [{"Z": ["A"]}],
        },
        "names 'Z' absent from model_list",
    ),
    (
        "legacy fallbacks not a list",
        {
            "model_list": [{"model_name": "A", "litellm_params": {"model": "gpt-m"}}],
            "fallbacks": [{"A": "A"}],
        },
        "fallbacks[0]['A']: must be a list of model names",
    ),
    (
        "legacy negative num_retries in litellm_params",
        {"model_list": [{"model_name": "A", "litellm_params": {"model": "gpt-m", "num_retries": -1}}]},
        "model_list[0].litellm_params.num_retries: must be >= 0",
    ),
    (
        "legacy negative router num_retries",
        {
            "model_list": [{"model_name": "A", "litellm_params": {"model": "gpt-m"}}],
            "router_kwargs": {"num_retries": -1},
        },
        "model_list[0] (max_retries): must be >= 0",
    ),
    (
        "legacy retries disagree",
        {
            "model_list": [
                {"model_name": "A", "litellm_params": {"model": "gpt-m", "num_retries": 1, "max_retries": 2}}
            ]
        },
        "max_retries and num_retries disagree",
    ),
    (
        "legacy fallbacks twice",
        {
            "model_list": [{"model_name": "A", "litellm_params": {"model": "gpt-m"}}],
            "fallbacks": [],
            "router_kwargs": {"fallbacks": []},
        },
        "router_kwargs.fallbacks: fallbacks are given twice",
    ),
]


@pytest.mark.parametrize(("label", "value", "message"), REJECTED, ids=[row[0] for row in REJECTED])
def test_rejected_shapes_name_the_field_and_why(label: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        LLMConfig.model_validate(value)
    assert message in str(info.value)
    assert KEY not in str(info.value)


def test_validation_errors_never_show_the_input() -> None:
    legacy = {
        "model_list": [
            {"model_name": "A", "litellm_params": {"model": "gpt-m", "timeout": -1, "api_key": KEY}}
        ]
    }
    with pytest.raises(ValidationError) as info:
        LLMConfig.model_validate(legacy)
    assert "model_list[0].litellm_params.timeout: must be > 0" in str(info.value)
    assert KEY not in str(info.value)


# -- copies ------------------------------------------------------------------------------------------------


def test_with_extra_params_returns_a_changed_copy() -> None:
    config = LLMConfig.model_validate({"models": [{"name": "gpt-a", "extra_params": {"t": 1}}, "gpt-b"]})
    changed = config.with_extra_params(stop=["\n"], t=2)
    assert [m.extra_params for m in changed.models] == [{"t": 2, "stop": ["\n"]}, {"stop": ["\n"], "t": 2}]
    assert [m.extra_params for m in config.models] == [{"t": 1}, {}]
    retried = config.with_extra_params(num_retries=9)
    assert [m.max_retries for m in retried.models] == [9, 9]
    assert all("num_retries" not in m.extra_params for m in retried.models)


def test_configs_are_immutable() -> None:
    spec = ModelSpec(name="gpt-x")
    with pytest.raises(ValidationError):
        spec.max_retries = 5  # type: ignore[misc]


# -- keys ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [KEY, ODD_KEY])
def test_a_key_is_usable_and_never_printed(key: str) -> None:
    config = LLMConfig.model_validate({"name": "openai/gpt-4o", "api_key": key})
    spec = config.primary
    assert isinstance(spec.api_key, SecretStr)
    assert spec.api_key.get_secret_value() == key
    for text in (
        repr(spec),
        str(spec),
        repr(config),
        str(config),
        spec.model_dump_json(),
        config.model_dump_json(),
    ):
        assert key not in text
    # Registered: error text that echoes the key is masked, even a key of no known shape.
    assert redact(f"provider said: bad key {key}") == f"provider said: bad key {MASK}"
    assert spec.key_fingerprint is not None
    assert len(spec.key_fingerprint) == 12
    assert spec.key_fingerprint not in key


def test_a_json_round_trip_keeps_the_key_usable_without_writing_it() -> None:
    config = LLMConfig.model_validate({"models": [{"name": "gpt-a", "api_key": KEY}, "gpt-b"]})
    text = config.model_dump_json()
    assert KEY not in text
    ref = json.loads(text)["models"][0]["api_key"]
    assert ref.startswith("modelwire-secret:sha256:")
    again = LLMConfig.model_validate_json(text)
    assert again.primary.api_key is not None
    assert again.primary.api_key.get_secret_value() == KEY
    assert again == config
    # A python-mode dump keeps the SecretStr object, so dump -> validate works too.
    assert LLMConfig.model_validate(config.model_dump()) == config


def test_the_value_is_written_only_on_explicit_request() -> None:
    spec = ModelSpec(name="gpt-a", api_key=KEY)
    assert json.loads(spec.model_dump_json(context={"reveal_secrets": True}))["api_key"] == KEY


def test_credential_headers_are_secrets_too() -> None:
    spec = ModelSpec(name="gpt-a", extra_headers={"Authorization": f"Bearer {ODD_KEY}", "X-Trace": "t1"})
    text = spec.model_dump_json()
    assert ODD_KEY not in text
    assert ODD_KEY not in repr(spec)
    assert json.loads(text)["extra_headers"]["X-Trace"] == "t1"
    assert ModelSpec.model_validate_json(text).extra_headers["Authorization"] == f"Bearer {ODD_KEY}"


def test_legacy_api_key_lifts_to_a_secret() -> None:
    legacy = {"model_list": [{"model_name": "A", "litellm_params": {"model": "gpt-4o-mini", "api_key": KEY}}]}
    spec = LLMConfig.from_legacy_dict(legacy).primary
    assert spec.api_key is not None
    assert spec.api_key.get_secret_value() == KEY
    assert "api_key" not in spec.extra_params


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, check=False
    )


def test_another_process_cannot_resolve_a_reference_and_says_so() -> None:
    text = ModelSpec(name="gpt-a", api_key=KEY).model_dump_json()
    code = (
        "import sys\nfrom pydantic import ValidationError\nfrom modelwire.config import ModelSpec\n"
        "try:\n    ModelSpec.model_validate_json(sys.argv[1])\nexcept ValidationError as e:\n    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, text], capture_output=True, text=True, check=True)
    assert "stands for a secret held by another process" in result.stdout
    assert "api_key" in result.stdout
    assert KEY not in result.stdout


def test_api_key_env_travels_between_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWIRE_TEST_KEY", ODD_KEY)
    spec = ModelSpec(name="gpt-a", api_key_env="MODELWIRE_TEST_KEY")
    assert spec.api_key is not None
    assert spec.api_key.get_secret_value() == ODD_KEY
    text = spec.model_dump_json()
    assert ODD_KEY not in text
    assert json.loads(text)["api_key"] is None
    code = "import sys\nfrom modelwire.config import ModelSpec\n"
    code += "print(ModelSpec.model_validate_json(sys.argv[1]).api_key.get_secret_value() == sys.argv[2])"
    result = subprocess.run(
        [sys.executable, "-c", code, text, ODD_KEY], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"
    copy = json.loads(spec.with_extra_params(t=1).model_dump_json())
    assert (copy["api_key"], copy["api_key_env"], copy["extra_params"]) == (
        None,
        "MODELWIRE_TEST_KEY",
        {"t": 1},
    )


def test_api_key_env_that_is_not_set_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELWIRE_TEST_UNSET", raising=False)
    with pytest.raises(ValidationError, match="environment variable MODELWIRE_TEST_UNSET is not set"):
        ModelSpec(name="gpt-a", api_key_env="MODELWIRE_TEST_UNSET")


def test_a_redis_password_is_a_secret() -> None:
    password = "hunter2-redis-pass"
    limits = SharedLimits(url=f"redis://:{password}@localhost:6379/0")
    config = LLMConfig(models=[ModelSpec(name="gpt-a")], shared_limits=limits)
    assert password not in repr(config)
    assert password not in config.model_dump_json()
    assert LLMConfig.model_validate_json(config.model_dump_json()).shared_limits == limits


def test_import_modelwire_does_not_load_config_or_pydantic() -> None:
    code = "import sys, modelwire\n"
    code += "print(sorted(m for m in ('pydantic', 'modelwire.config') if m in sys.modules))"
    assert _run(code).stdout.strip() == "[]"


def test_no_warning_for_clean_configs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LLMConfig.model_validate({"name": "gpt-a", "temperature": 0})
        LLMConfig.model_validate({"model_list": [{"model_name": "A", "litellm_params": {"model": "gpt-m"}}]})
