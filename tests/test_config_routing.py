"""Model names route when the config is built, as LiteLLM routes them; a name nothing serves fails there."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modelwire.config import LLMConfig, ModelSpec
from modelwire.config.catalog import NOT_SUPPORTED_YET
from modelwire.providers import OpenAICompatibleClient, client_from_spec

# Every model name in LMI's and ldp's tests and README (CommonLLMNames, test_config.py, test_llms.py's
# parameters, the cassettes' ids, the README's examples): (name, provider, model id sent).
LMI_NAMES = [
    ("gpt-5-2025-08-07", "openai", "gpt-5-2025-08-07"),
    ("gpt-5-mini-2025-08-07", "openai", "gpt-5-mini-2025-08-07"),
    ("gpt-5-mini", "openai", "gpt-5-mini"),
    ("gpt-5.2", "openai", "gpt-5.2"),
    ("openai/gpt-6-luna", "openai", "gpt-6-luna"),
    ("gpt-4.1-2025-04-14", "openai", "gpt-4.1-2025-04-14"),
    ("gpt-4.1-mini", "openai", "gpt-4.1-mini"),
    ("gpt-4o-2024-11-20", "openai", "gpt-4o-2024-11-20"),
    ("gpt-4o", "openai", "gpt-4o"),
    ("gpt-4", "openai", "gpt-4"),
    ("gpt-4o-mini", "openai", "gpt-4o-mini"),
    ("gpt-4o-mini-2024-07-18", "openai", "gpt-4o-mini-2024-07-18"),
    ("gpt-3.5-turbo-0125", "openai", "gpt-3.5-turbo-0125"),
    ("text-embedding-3-small", "openai", "text-embedding-3-small"),
    ("claude-haiku-4-5-20251001", "anthropic", "claude-haiku-4-5-20251001"),
    ("claude-3-7-sonnet-20250219", "anthropic", "claude-3-7-sonnet-20250219"),
    ("claude-sonnet-4-5-20250929", "anthropic", "claude-sonnet-4-5-20250929"),
    ("claude-sonnet-4-6", "anthropic", "claude-sonnet-4-6"),
    ("claude-opus-4-5-20251101", "anthropic", "claude-opus-4-5-20251101"),
    ("claude-opus-4-6", "anthropic", "claude-opus-4-6"),
    ("claude-3-5-haiku-20241022", "anthropic", "claude-3-5-haiku-20241022"),
    ("claude-3-5-sonnet-20241022", "anthropic", "claude-3-5-sonnet-20241022"),
    ("gemini-1.5-pro", "gemini", "gemini-1.5-pro"),
    ("gemini/gemini-1.5-pro", "gemini", "gemini-1.5-pro"),
    ("deepseek-reasoner", "deepseek", "deepseek-reasoner"),
    ("deepseek/deepseek-reasoner", "deepseek", "deepseek-reasoner"),
    ("openrouter/deepseek/deepseek-r1", "openrouter", "deepseek/deepseek-r1"),
]

# The families the issue names, and LiteLLM's provider prefixes.
FAMILIES = [
    ("o1", "openai", "o1"),
    ("o1-mini", "openai", "o1-mini"),
    ("o3-mini-2025-01-31", "openai", "o3-mini-2025-01-31"),
    ("o4-mini", "openai", "o4-mini"),
    ("chatgpt-4o-latest", "openai", "chatgpt-4o-latest"),
    ("dall-e-3", "openai", "dall-e-3"),
    ("gpt-image-1", "openai", "gpt-image-1"),
    ("mistral-large-latest", "mistral", "mistral-large-latest"),
    ("grok-3", "xai", "grok-3"),
    ("hosted_vllm/meta-llama/Llama-3.1-8B", "vllm", "meta-llama/Llama-3.1-8B"),
    ("ollama_chat/llama3.1", "ollama", "llama3.1"),
    ("ollama/llama3.1", "ollama", "llama3.1"),
    ("together_ai/meta-llama/Llama-3-70b", "together", "meta-llama/Llama-3-70b"),
    ("groq/llama-3.3-70b-versatile", "groq", "llama-3.3-70b-versatile"),
    ("fireworks_ai/accounts/fireworks/models/x", "fireworks", "accounts/fireworks/models/x"),
    ("nvidia_nim/meta/llama3", "nvidia", "meta/llama3"),
    ("azure/gpt-4o-prod", "azure", "gpt-4o-prod"),
]


@pytest.mark.parametrize(("name", "provider", "model_id"), LMI_NAMES + FAMILIES, ids=lambda v: str(v))
def test_names_route_like_litellm(name: str, provider: str, model_id: str) -> None:
    spec = ModelSpec(name=name)
    assert (spec.provider_name, spec.model_id) == (provider, model_id)


@pytest.mark.parametrize("prefix", sorted(NOT_SUPPORTED_YET))
def test_prefixes_without_an_adapter_fail_at_build_saying_what_to_use(prefix: str) -> None:
    with pytest.raises(ValidationError, match=f"model '{prefix}/some-model': not supported yet: ") as info:
        LLMConfig.model_validate(f"{prefix}/some-model")
    assert NOT_SUPPORTED_YET[prefix] in str(info.value)


@pytest.mark.parametrize("name", ["x", "my-model", "meta-llama/Llama-3.1-8B", "unknownprovider/m"])
def test_a_name_nothing_serves_fails_at_build_naming_it_and_the_accepted_forms(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        LLMConfig.model_validate({"models": [name]})
    text = str(info.value)
    assert f"model {name!r}" in text
    assert "'provider/model'" in text
    assert "gpt-*" in text
    assert "api_base=" in text


def test_any_name_with_an_api_base_is_a_custom_server_sent_the_whole_name() -> None:
    spec = ModelSpec(name="meta-llama/Llama-3.1-8B", api_base="http://127.0.0.1:9/v1")
    assert (spec.provider_name, spec.model_id) == (None, "meta-llama/Llama-3.1-8B")


def test_a_legacy_entry_that_cannot_be_routed_names_its_path() -> None:
    legacy = {"model_list": [{"model_name": "A", "litellm_params": {"model": "nobody-serves-this"}}]}
    with pytest.raises(ValidationError, match=r"model_list\[0\]\.litellm_params\.model: model 'nobody"):
        LLMConfig.model_validate(legacy)


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:11434", "http://127.0.0.1:11434/", "http://127.0.0.1:11434/v1"]
)
def test_ollama_bases_work_with_or_without_v1(base: str) -> None:
    spec = ModelSpec(name="ollama_chat/llama3.1", api_base=base)
    client = client_from_spec(spec)
    assert isinstance(client, OpenAICompatibleClient)
    assert client.base_url == "http://127.0.0.1:11434/v1"


def test_an_ollama_base_from_the_environment_works_without_v1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_BASE", "http://127.0.0.1:11434")
    assert client_from_spec(ModelSpec(name="ollama/llama3.1")).base_url == "http://127.0.0.1:11434/v1"


def test_bare_names_reach_the_adapter_of_their_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    from modelwire.providers import AnthropicClient

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-not-real-0000")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key-not-real-0000")
    assert isinstance(client_from_spec(ModelSpec(name="claude-haiku-4-5-20251001")), AnthropicClient)
    openai = client_from_spec(ModelSpec(name="gpt-4o-mini-2024-07-18"))
    assert (type(openai), openai.base_url) == (OpenAICompatibleClient, "https://api.openai.com/v1")


class _Snapshot:
    """genai-prices' snapshot interface as routing uses it: find_provider(model_ref, None, None).id."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    def find_provider(self, name: str, provider_id: None, api_url: None) -> object:
        if name not in self.table:
            raise LookupError(name)
        return type("Provider", (), {"id": self.table[name]})()


def test_genai_prices_routes_what_the_families_miss_to_catalog_providers_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys
    import types

    snapshot = _Snapshot({"cerebras-llama-x": "cerebras", "command-r": "cohere", "kimi-k3": "moonshotai"})
    module = types.ModuleType("genai_prices.data_snapshot")
    module.get_snapshot = lambda: snapshot  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "genai_prices", types.ModuleType("genai_prices"))
    monkeypatch.setitem(sys.modules, "genai_prices.data_snapshot", module)
    assert ModelSpec(name="cerebras-llama-x").provider_name == "cerebras"
    assert ModelSpec(name="kimi-k3").provider_name == "moonshot"  # the built-in family table first
    with pytest.raises(ValidationError, match="no known provider serves"):
        ModelSpec(name="command-r")  # Cohere: no adapter here, so not routed there
    with pytest.raises(ValidationError, match="no known provider serves"):
        ModelSpec(name="not-in-any-table")
