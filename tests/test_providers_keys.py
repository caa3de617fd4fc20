"""Keys follow hosts, not names (issue 18, item 2): an environment key goes only to its provider's own host,
or where the caller named the variable; environment lookup can be turned off; a label colliding with a
catalog provider of another API does not stop an OpenAI-compatible endpoint. The server records the
Authorization header each request brought."""

from __future__ import annotations

import pytest

from modelwire import AuthenticationError
from modelwire.config import ModelSpec
from modelwire.providers import (
    AnthropicClient,
    AzureOpenAIClient,
    OpenAICompatibleClient,
    client_from_spec,
    lookup_provider,
)
from modelwire.providers.keys import ENV_SWITCH, key_env_for
from modelwire.testing import LocalProviderServer
from modelwire.types import ChatCompletionRequest

CHAT = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "x"}])
OPENAI_SECRET = "sk-env-openai-0123456789abcdef"
NVIDIA_SECRET = "nvapi-env-0123456789abcdef"
ANTHROPIC_SECRET = "sk-ant-env-0123456789abcdef"


@pytest.fixture
def env_keys(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_SECRET)
    monkeypatch.setenv("NVIDIA_API_KEY", NVIDIA_SECRET)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_SECRET)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-env-0123456789abcdef")
    for name in ("OPENAI_BASE_URL", "NVIDIA_NIM_API_BASE", "ANTHROPIC_BASE_URL", ENV_SWITCH):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _sent_authorization(server: LocalProviderServer, client: OpenAICompatibleClient) -> str | None:
    server.configure(require_auth=False)
    with client:
        client.completion(CHAT)
    return server.last_request.header("authorization")


@pytest.mark.parametrize("provider", ["openai", "nvidia", "nim"])
def test_a_labelled_user_address_gets_no_environment_key(
    local_server: LocalProviderServer, env_keys: pytest.MonkeyPatch, provider: str
) -> None:
    client = OpenAICompatibleClient(provider=provider, base_url=local_server.openai_base_url)
    assert _sent_authorization(local_server, client) is None


def test_a_named_variable_is_read_for_any_address(
    local_server: LocalProviderServer, env_keys: pytest.MonkeyPatch
) -> None:
    client = OpenAICompatibleClient(
        provider="nvidia", base_url=local_server.openai_base_url, api_key_env="NVIDIA_API_KEY"
    )
    assert _sent_authorization(local_server, client) == f"Bearer {NVIDIA_SECRET}"


def test_the_providers_own_base_url_variable_brings_its_key(
    local_server: LocalProviderServer, env_keys: pytest.MonkeyPatch
) -> None:
    env_keys.setenv("OPENAI_BASE_URL", local_server.openai_base_url)
    client = OpenAICompatibleClient(provider="openai")
    assert _sent_authorization(local_server, client) == f"Bearer {OPENAI_SECRET}"


def test_environment_lookup_can_be_turned_off(
    local_server: LocalProviderServer, env_keys: pytest.MonkeyPatch
) -> None:
    env_keys.setenv("OPENAI_BASE_URL", local_server.openai_base_url)
    client = OpenAICompatibleClient(provider="openai", api_key_from_env=False)
    assert _sent_authorization(local_server, client) is None
    env_keys.setenv(ENV_SWITCH, "0")
    client = OpenAICompatibleClient(provider="openai", api_key_env="OPENAI_API_KEY")
    assert _sent_authorization(local_server, client) is None
    # An explicit key is not environment lookup.
    client = OpenAICompatibleClient(provider="openai", api_key="sk-explicit-0123456789")
    assert _sent_authorization(local_server, client) == "Bearer sk-explicit-0123456789"


def test_a_spec_pointed_at_a_user_address_sends_no_environment_key(
    local_server: LocalProviderServer, env_keys: pytest.MonkeyPatch
) -> None:
    spec = ModelSpec(name="openai/gpt-4.1-mini", api_base=local_server.openai_base_url)
    client = client_from_spec(spec)
    assert isinstance(client, OpenAICompatibleClient)
    assert _sent_authorization(local_server, client) is None


@pytest.mark.parametrize("label", ["anthropic", "azure", "azure_openai"])
def test_a_label_of_another_api_names_an_openai_compatible_endpoint(
    local_server: LocalProviderServer, env_keys: pytest.MonkeyPatch, label: str
) -> None:
    client = OpenAICompatibleClient(provider=label, base_url=local_server.openai_base_url)
    assert client.provider_name == lookup_provider(label).name  # type: ignore[union-attr]  # aliases too
    assert _sent_authorization(local_server, client) is None
    keyed = OpenAICompatibleClient(
        provider=label, base_url=local_server.openai_base_url, api_key="sk-k-0123456"
    )
    assert _sent_authorization(local_server, keyed) == "Bearer sk-k-0123456"


def test_anthropic_and_azure_at_a_user_address_read_no_environment_key(
    local_server: LocalProviderServer, env_keys: pytest.MonkeyPatch
) -> None:
    local_server.configure(require_auth=False)
    with AnthropicClient(base_url=local_server.anthropic_base_url) as anthropic:
        anthropic.completion(CHAT)
    assert local_server.last_request.header("x-api-key") is None
    with pytest.raises(AuthenticationError, match="api_key_env=") as caught:
        AzureOpenAIClient(base_url=local_server.azure_endpoint, api_version="2024-10-21")
    assert "azure-env" not in str(caught.value)
    named = AzureOpenAIClient(
        base_url=local_server.azure_endpoint, api_version="2024-10-21", api_key_env="AZURE_OPENAI_API_KEY"
    )
    with named:
        named.completion(CHAT)
    assert local_server.last_request.header("api-key") == "azure-env-0123456789abcdef"


@pytest.mark.parametrize(
    ("provider", "base_url", "expected"),
    [
        ("openai", "https://api.openai.com/v1", ("OPENAI_API_KEY",)),
        ("openai", "https://API.openai.com:443/v1/", ("OPENAI_API_KEY",)),
        ("openai", "https://api.openai.com.evil.example/v1", ()),
        ("openai", "http://api.openai.com/v1", ()),  # another scheme is another origin
        ("openai", "https://api.openai.com:8443/v1", ()),
        ("anthropic", "https://api.anthropic.com/v1", ("ANTHROPIC_API_KEY",)),
        ("nvidia", "https://integrate.api.nvidia.com/v1", ("NVIDIA_API_KEY", "NVIDIA_NIM_API_KEY")),
        ("nvidia", "http://localhost:8000/v1", ()),
        ("vllm", "http://localhost:8000/v1", ()),  # no address of its own: only a named variable
    ],
)
def test_which_variables_an_address_may_read(
    env_keys: pytest.MonkeyPatch, provider: str, base_url: str, expected: tuple[str, ...]
) -> None:
    info = lookup_provider(provider)
    assert key_env_for(info, base_url, api_key_env=None) == expected
    assert key_env_for(info, base_url, api_key_env="MINE") == ("MINE",)
    assert key_env_for(info, base_url, api_key_env="MINE", api_key_from_env=False) == ()


def test_azure_hosts_are_azures_own() -> None:
    info = lookup_provider("azure")
    hosts = (".openai.azure.com",)
    assert key_env_for(info, "https://res.openai.azure.com", api_key_env=None, host_suffixes=hosts)
    assert not key_env_for(
        info, "https://res.openai.azure.com.example", api_key_env=None, host_suffixes=hosts
    )


def test_a_required_key_is_still_required_at_home(env_keys: pytest.MonkeyPatch) -> None:
    env_keys.delenv("OPENAI_API_KEY")
    with pytest.raises(AuthenticationError, match="OPENAI_API_KEY"):
        OpenAICompatibleClient(provider="openai")
    OpenAICompatibleClient(provider="openai", base_url="http://localhost:1/v1").close()  # not at home
