"""AzureOpenAIClient against the local server's Azure routes: deployment URLs with api-version, the portal's
full target URI, the versionless /openai/v1 API, the api-key header or an Entra ID token."""

from __future__ import annotations

import asyncio

import pytest

from modelwire import AuthenticationError
from modelwire.config import ModelSpec
from modelwire.providers import AzureOpenAIClient, client_from_spec, model_id_for
from modelwire.testing import LocalProviderServer
from modelwire.types import ChatCompletionRequest, EmbeddingRequest, ImageGenerationRequest

KEY = "azure-test-key-0123456789abcdef"
VERSION = "2024-10-21"
CHAT = ChatCompletionRequest(model="gpt-4o-prod", messages=[{"role": "user", "content": "hi"}])


@pytest.fixture(autouse=True)
def _no_azure_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AZURE_OPENAI_ENDPOINT", "AZURE_API_BASE", "AZURE_OPENAI_API_KEY", "AZURE_API_KEY",
        "AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION", "AZURE_API_VERSION", "AZURE_OPENAI_AD_TOKEN",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_a_resource_endpoint_routes_by_deployment_with_the_api_version(
    local_server: LocalProviderServer,
) -> None:
    with AzureOpenAIClient(base_url=local_server.azure_endpoint, api_key=KEY, api_version=VERSION) as client:
        response = client.completion(CHAT)
        vectors = client.embeddings(EmbeddingRequest(model="embed-prod", inputs=["a"]))
    chat, embed = local_server.requests
    assert (chat.path, chat.query) == (
        "/openai/deployments/gpt-4o-prod/chat/completions",
        {"api-version": VERSION},
    )
    assert chat.headers["api-key"] == KEY
    assert "authorization" not in chat.headers
    assert chat.json == {"model": "gpt-4o-prod", "messages": CHAT.messages}
    assert response.message.content == "echo: hi"
    assert response.provider == "azure"
    assert (embed.path, embed.query) == (
        "/openai/deployments/embed-prod/embeddings",
        {"api-version": VERSION},
    )
    assert embed.json == {"model": "embed-prod", "input": ["a"], "encoding_format": "base64"}
    assert vectors.shape == (1, 32)


def test_a_fixed_deployment_and_unusual_names(local_server: LocalProviderServer) -> None:
    client = AzureOpenAIClient(
        base_url=local_server.azure_endpoint, api_key=KEY, api_version=VERSION, deployment="my deployment/1"
    )
    with client:
        client.completion(CHAT)
    assert local_server.last_request.path == "/openai/deployments/my%20deployment%2F1/chat/completions"


def test_the_portals_target_uri_is_understood(local_server: LocalProviderServer) -> None:
    deployment = f"{local_server.azure_endpoint}/openai/deployments/prod-4o"
    target = f"{deployment}/chat/completions?api-version=2025-01-01-preview"
    with AzureOpenAIClient(base_url=target, api_key=KEY) as client:
        client.completion(CHAT)
        client.generate_image(ImageGenerationRequest(model="ignored", prompt="a cube"))
    chat, image = local_server.requests
    assert (chat.path, chat.query) == (
        "/openai/deployments/prod-4o/chat/completions",
        {"api-version": "2025-01-01-preview"},
    )
    assert image.path == "/openai/deployments/prod-4o/images/generations"


def test_the_v1_api_needs_no_version(local_server: LocalProviderServer) -> None:
    async def run() -> str | None:
        async with AzureOpenAIClient(
            base_url=local_server.azure_endpoint + "/openai/v1/", api_key=KEY
        ) as client:
            return (await client.acompletion(CHAT)).message.content

    assert asyncio.run(run()) == "echo: hi"
    sent = local_server.last_request
    assert (sent.path, sent.query, sent.json["model"]) == ("/openai/v1/chat/completions", {}, "gpt-4o-prod")
    explicit = AzureOpenAIClient(
        base_url=local_server.azure_endpoint + "/openai/v1", api_key=KEY, api_version="preview"
    )
    with explicit:
        explicit.completion(CHAT)
    assert local_server.last_request.query == {"api-version": "preview"}


def test_settings_from_the_environment(
    local_server: LocalProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", local_server.azure_endpoint)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_VERSION", VERSION)
    with AzureOpenAIClient() as client:
        client.completion(CHAT)
    assert local_server.last_request.query == {"api-version": VERSION}
    assert local_server.last_request.headers["api-key"] == KEY


def test_what_is_missing_is_named() -> None:
    with pytest.raises(ValueError, match="AZURE_OPENAI_ENDPOINT"):
        AzureOpenAIClient(api_key=KEY, api_version=VERSION)
    with pytest.raises(ValueError, match="AZURE_OPENAI_API_VERSION"):
        AzureOpenAIClient(base_url="https://res.openai.azure.com", api_key=KEY)
    with pytest.raises(AuthenticationError, match="AZURE_OPENAI_API_KEY or AZURE_API_KEY"):
        AzureOpenAIClient(base_url="https://res.openai.azure.com", api_version=VERSION)


def test_an_entra_id_token_is_sent_as_bearer(local_server: LocalProviderServer) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJjb2duaXRpdmUifQ.c2lnbmF0dXJlMDEyMzQ1"
    client = AzureOpenAIClient(
        base_url=local_server.azure_endpoint, api_version=VERSION, azure_ad_token=token
    )
    with client:
        client.completion(CHAT)
    assert local_server.last_request.headers["authorization"] == f"Bearer {token}"
    assert "api-key" not in local_server.last_request.headers


def test_from_spec(local_server: LocalProviderServer) -> None:
    spec = ModelSpec(
        name="azure/gpt-4o-prod", api_base=local_server.azure_endpoint, api_key=KEY, api_version=VERSION
    )
    client = client_from_spec(spec)
    assert isinstance(client, AzureOpenAIClient)
    with client:
        client.completion(ChatCompletionRequest(model=model_id_for(spec), messages=CHAT.messages))
    assert local_server.last_request.path == "/openai/deployments/gpt-4o-prod/chat/completions"


def test_a_responses_api_spec_chats_through_the_responses_api() -> None:
    spec = ModelSpec(
        name="azure/o3", api_base="https://res.openai.azure.com", api_key=KEY, api_version=VERSION,
        responses_api=True,
    )  # fmt: skip
    with client_from_spec(spec) as client:
        assert client.dialect.chat.path == f"/openai/responses?api-version={VERSION}"
