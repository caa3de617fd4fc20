"""modelwire.compat.data_designer without Data Designer installed: its adapters take Data Designer's
constructor keywords and request dataclasses, fetch URL images, and classify errors (the interop group in
tests/interop_dd runs Data Designer's own registry on them)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from modelwire import (
    AuthenticationError,
    ContextWindowExceededError,
    ErrorKind,
    OverloadedError,
    ProviderError,
    RateLimitError,
)
from modelwire.compat import data_designer as compat
from modelwire.compat._dd_parsing import fetch_image_urls
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.types import ImagePayload


@dataclass
class DDChatRequest:  # Data Designer's ChatCompletionRequest fields, as its facade builds them
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    n: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    response_format: dict[str, Any] | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    timeout: float | None = None
    extra_body: dict[str, Any] | None = None
    extra_headers: dict[str, str] | None = None


@dataclass
class DDImageRequest:
    model: str
    prompt: str
    messages: list[dict[str, Any]] | None = None
    timeout: float | None = None
    extra_body: dict[str, Any] | None = None
    extra_headers: dict[str, str] | None = None


@dataclass
class DDOddRequest:
    model: str
    messages: list[dict[str, Any]]
    unheard_of: int = 1


def _openai(server: LocalProviderServer, **options: Any) -> compat.OpenAICompatibleClient:
    return compat.OpenAICompatibleClient(
        provider_name="nvidia",
        endpoint=server.openai_base_url,
        api_key="sk-dd-test-key",
        timeout_s=10.0,
        max_parallel_requests=4,
        **options,
    )


def test_data_designer_keywords_and_requests(local_server: LocalProviderServer) -> None:
    with _openai(local_server, retry_config=object()) as client:
        response = client.completion(DDChatRequest(model="m", messages=[{"role": "user", "content": "hi"}]))
    assert (client.provider_name, response.message.content) == ("nvidia", "echo: hi")
    assert local_server.last_request.headers["authorization"] == "Bearer sk-dd-test-key"
    assert (client.supports_embeddings(), client.supports_image_generation()) == (True, True)


def test_a_label_that_names_a_catalog_provider_reads_no_environment_key(
    local_server: LocalProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NVIDIA_API_KEY", "nvapi-from-the-environment")
    client = compat.OpenAICompatibleClient(provider_name="nvidia", endpoint=local_server.openai_base_url)
    with client, pytest.raises(AuthenticationError):  # the server wants a key; none was given
        client.completion(DDChatRequest(model="m", messages=[{"role": "user", "content": "hi"}]))
    assert "authorization" not in local_server.last_request.headers


def test_a_request_field_modelwire_lacks_is_named() -> None:
    client = compat.OpenAICompatibleClient(provider_name="x", endpoint="http://127.0.0.1:9/v1")
    with pytest.raises(TypeError, match="unheard_of"):
        client.completion(DDOddRequest(model="m", messages=[]))


def test_images_answered_as_urls_are_fetched(local_server: LocalProviderServer) -> None:
    request = DDImageRequest(model="dall-e-2", prompt="a cat")
    with _openai(local_server) as client:
        response = client.generate_image(request)

    async def fetch() -> Any:
        async with _openai(local_server) as client:
            return await client.agenerate_image(request)

    fetched = asyncio.run(fetch())
    image = response.images[0]
    assert str(image.url).endswith(".png")
    raw = base64.b64decode(image.b64_data or "")
    assert (raw[:4], image.mime_type) == (b"\x89PNG", "image/png")
    assert fetched.images == response.images


def test_an_image_over_the_cap_is_an_error_not_a_truncation(local_server: LocalProviderServer) -> None:
    with _openai(local_server) as client:
        url = client.generate_image(DDImageRequest(model="dall-e-2", prompt="a cat")).images[0].url
    image = ImagePayload(url=url)
    with pytest.raises(ProviderError, match="larger than 10 bytes"):
        fetch_image_urls([image], max_bytes=10)
    assert image.b64_data is None


@pytest.mark.parametrize(
    ("fault", "error", "kind", "dd_kind"),
    [
        (faults.rate_limited(retry_after=7), RateLimitError, ErrorKind.RATE_LIMIT, "rate_limit"),
        (faults.preset("overloaded"), OverloadedError, ErrorKind.OVERLOADED, "internal_server"),
        (faults.preset("context_window"), ContextWindowExceededError, ErrorKind.CONTEXT_WINDOW_EXCEEDED,
         "context_window_exceeded"),
        (faults.preset("auth"), AuthenticationError, ErrorKind.AUTHENTICATION, "authentication"),
        (faults.respond(200, b"<html>busy</html>"), ProviderError, ErrorKind.INVALID_RESPONSE, "api_error"),
    ],
)  # fmt: skip
def test_errors_keep_their_kind_and_map_to_a_data_designer_kind(
    local_server: LocalProviderServer, fault: Any, error: type[ProviderError], kind: ErrorKind, dd_kind: str
) -> None:
    local_server.enqueue(Route.CHAT, fault)
    with _openai(local_server) as client, pytest.raises(error) as caught:
        client.completion(DDChatRequest(model="m", messages=[{"role": "user", "content": "hi"}]))
    # Data Designer is not installed here: modelwire's error is raised, with its attribute names.
    assert caught.value.kind == kind
    assert compat.data_designer_kind(caught.value.kind) == dd_kind
    assert caught.value.provider_name == "nvidia"
    if kind is ErrorKind.RATE_LIMIT:
        assert caught.value.retry_after == 7


def test_every_modelwire_only_kind_has_a_data_designer_kind() -> None:
    shared = list(ErrorKind)[:15]
    assert {compat.data_designer_kind(kind) for kind in shared} == {kind.value for kind in shared}
    assert set(compat.DATA_DESIGNER_KIND) == set(ErrorKind) - set(shared)
    assert set(compat.DATA_DESIGNER_KIND.values()) <= {kind.value for kind in shared}


def test_map_http_error_to_provider_error_reads_retry_after_and_codes() -> None:
    body = orjson.dumps(
        {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}
    )
    response = httpx.Response(429, headers={"retry-after": "3"}, content=body)
    error = compat.map_http_error_to_provider_error(response, "openai", "gpt-4o")
    assert isinstance(error, RateLimitError)
    assert (error.retry_after, error.model, error.status_code) == (3.0, "gpt-4o", 429)


def test_parsing_helpers_take_a_dict_or_the_body() -> None:
    body = {"choices": [{"message": {"content": "x", "images": [{"b64_json": "iVBORw0KGgo"}]}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": "2"}}  # fmt: skip
    from_dict = compat.parse_chat_completion_response(body)
    assert from_dict == compat.parse_chat_completion_response(orjson.dumps(body))
    assert from_dict.message.images == [ImagePayload(b64_data="iVBORw0KGgo", mime_type="image/png")]
    assert compat.extract_usage({"input_tokens": 2, "output_tokens": 3}).total_tokens == 5  # type: ignore[union-attr]
    embeddings = compat.parse_embedding_response({"data": [{"embedding": [0.5, 1.0]}]})
    assert embeddings.vectors == [[0.5, 1.0]]
    anthropic = compat.parse_anthropic_response({"content": [{"type": "text", "text": "hey"}]})
    assert anthropic.message.content == "hey"


def test_provider_names_are_labels_and_keys_never_come_from_the_environment(
    local_server: LocalProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-the-environment")
    request = DDChatRequest(model="claude-haiku-4-5", messages=[{"role": "user", "content": "hi"}])
    # Data Designer users name providers freely: "anthropic" on an OpenAI-compatible endpoint is a label.
    with compat.OpenAICompatibleClient(
        provider_name="anthropic", endpoint=local_server.openai_base_url, api_key="sk-x"
    ) as client:
        assert client.completion(request).provider == "anthropic"
    claude = compat.AnthropicClient(provider_name="claude", endpoint=local_server.anthropic_base_url)
    with claude, pytest.raises(AuthenticationError):
        claude.completion(request)
    assert "x-api-key" not in local_server.last_request.headers
    assert (claude.supports_embeddings(), claude.supports_image_generation()) == (False, False)
