"""Data Designer's model-client layer, served by modelwire: what its code imports, with its names.

Switching is one import (``from modelwire.compat.data_designer import OpenAICompatibleClient``) or, for a
whole run, :func:`install`, which makes Data Designer's own ``create_model_registry`` build modelwire
adapters (its ``ModelRegistry``, ``ModelFacade``, ``ModelRequestExecutor``, request admission and scheduler
stay in charge). What this layer does:

- adapters take Data Designer's constructor keywords (``provider_name``, ``endpoint``, ``api_key``,
  ``timeout_s``, ``max_parallel_requests``, ``concurrency_mode``, ``transport``, ``sync_client`` /
  ``async_client``) and its request dataclasses; ``retry_config`` is accepted and ignored: modelwire
  adapters never retry (Data Designer's executor and scheduler do; its own adapters also retry 502/503/504
  inside the transport when given one and no request admission);
- the key is the ``api_key`` given, never an environment variable (Data Designer resolves keys itself),
  and ``provider_name`` is only a label (``openai``, ``nvidia`` or ``anthropic`` on any endpoint);
- errors are raised as Data Designer's ``ProviderError`` with its kinds (``DATA_DESIGNER_KIND`` maps
  modelwire's own: ``overloaded`` -> ``internal_server`` so 503/529 stay retryable, and the rest);
- images generated as URLs are fetched into ``b64_data`` (Data Designer's facade reads only that);
- ``map_http_error_to_provider_error(response, provider_name, model_name)`` classifies with modelwire's
  rules (structured error codes and Retry-After on every status, not body substrings on 429 only).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any, ClassVar, Final, Self, TypeVar

from modelwire.compat._dd_errors import DATA_DESIGNER_KIND, data_designer_kind, to_data_designer_error
from modelwire.compat._dd_parsing import (
    afetch_image_urls,
    aparse_chat_completion_response,
    aparse_image_response,
    extract_usage,
    fetch_image_urls,
    parse_anthropic_response,
    parse_chat_completion_response,
    parse_embedding_response,
    parse_image_response,
)
from modelwire.errors import classify_response
from modelwire.exceptions import ProviderError
from modelwire.providers import AnthropicClient as _AnthropicAdapter
from modelwire.providers import ModelClient
from modelwire.providers import OpenAICompatibleClient as _OpenAIAdapter
from modelwire.types import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ImageGenerationRequest,
    ImageGenerationResponse,
)

__all__ = [
    "DATA_DESIGNER_KIND",
    "AnthropicClient",
    "OpenAICompatibleClient",
    "aparse_chat_completion_response",
    "aparse_image_response",
    "create_model_client",
    "data_designer_kind",
    "extract_usage",
    "install",
    "map_http_error_to_provider_error",
    "parse_anthropic_response",
    "parse_chat_completion_response",
    "parse_embedding_response",
    "parse_image_response",
    "to_data_designer_error",
]

_R = TypeVar("_R")
_FACTORY_MODULE: Final = "data_designer.engine.models.clients.factory"


def _convert(cls: type[_R], request: Any) -> _R:
    """A Data Designer request dataclass as modelwire's (same field names; modelwire's are a superset)."""
    if isinstance(request, cls):
        return request
    names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {field.name: getattr(request, field.name) for field in dataclasses.fields(request)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
    return cls(**values)


class _Adapter:
    """One Data Designer ``ModelClient`` over a modelwire adapter (``_inner``)."""

    _supports: ClassVar[tuple[bool, bool, bool]] = (True, True, True)

    def __init__(self, inner: ModelClient, provider_name: str) -> None:
        self._inner = inner
        self.provider_name = provider_name

    def supports_chat_completion(self) -> bool:
        return self._supports[0]

    def supports_embeddings(self) -> bool:
        return self._supports[1]

    def supports_image_generation(self) -> bool:
        return self._supports[2]

    def _run(self, call: Callable[[], _R]) -> _R:
        try:
            return call()
        except ProviderError as exc:
            raise to_data_designer_error(exc, provider_name=self.provider_name) from exc

    async def _arun(self, call: Callable[[], Any]) -> Any:
        try:
            return await call()
        except ProviderError as exc:
            raise to_data_designer_error(exc, provider_name=self.provider_name) from exc

    def completion(self, request: Any) -> ChatCompletionResponse:
        chat = _convert(ChatCompletionRequest, request)
        return self._run(lambda: self._inner.completion(chat))

    async def acompletion(self, request: Any) -> ChatCompletionResponse:
        chat = _convert(ChatCompletionRequest, request)
        response: ChatCompletionResponse = await self._arun(lambda: self._inner.acompletion(chat))
        return response

    def embeddings(self, request: Any) -> EmbeddingResponse:
        embed = _convert(EmbeddingRequest, request)
        return self._run(lambda: self._inner.embeddings(embed))

    async def aembeddings(self, request: Any) -> EmbeddingResponse:
        embed = _convert(EmbeddingRequest, request)
        response: EmbeddingResponse = await self._arun(lambda: self._inner.aembeddings(embed))
        return response

    def generate_image(self, request: Any) -> ImageGenerationResponse:
        image = _convert(ImageGenerationRequest, request)

        def call() -> ImageGenerationResponse:
            response: ImageGenerationResponse = self._inner.generate_image(image)
            fetch_image_urls(response.images)
            return response

        return self._run(call)

    async def agenerate_image(self, request: Any) -> ImageGenerationResponse:
        image = _convert(ImageGenerationRequest, request)

        async def call() -> ImageGenerationResponse:
            response: ImageGenerationResponse = await self._inner.agenerate_image(image)
            await afetch_image_urls(response.images)
            return response

        result: ImageGenerationResponse = await self._arun(call)
        return result

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.provider_name!r} over {self._inner!r}>"


def _options(
    endpoint: str,
    api_key: str | None,
    max_parallel_requests: int,
    timeout_s: float,
    transport: Any,
    sync_client: Any,
    async_client: Any,
) -> dict[str, Any]:
    return {
        "base_url": endpoint,
        "api_key": api_key,
        "timeout": timeout_s,
        "max_concurrency": max_parallel_requests,
        "transport": transport,
        "async_transport": transport,
        "http_client": sync_client,
        "async_http_client": async_client,
        # The key is the one given, never an environment variable (Data Designer resolves keys itself).
        "api_key_from_env": False,
    }


class OpenAICompatibleClient(_Adapter):
    """Data Designer's ``OpenAICompatibleClient`` constructor over modelwire's adapter."""

    def __init__(
        self,
        *,
        provider_name: str,
        endpoint: str,
        api_key: str | None = None,
        retry_config: Any = None,
        max_parallel_requests: int = 32,
        timeout_s: float = 60.0,
        concurrency_mode: Any = "sync",
        transport: Any = None,
        sync_client: Any = None,
        async_client: Any = None,
    ) -> None:
        options = _options(
            endpoint, api_key, max_parallel_requests, timeout_s, transport, sync_client, async_client
        )
        super().__init__(_OpenAIAdapter(provider=provider_name, **options), provider_name)


class AnthropicClient(_Adapter):
    """Data Designer's ``AnthropicClient`` constructor over modelwire's adapter (chat only)."""

    _supports = (True, False, False)

    def __init__(
        self,
        *,
        provider_name: str,
        endpoint: str,
        api_key: str | None = None,
        retry_config: Any = None,
        max_parallel_requests: int = 32,
        timeout_s: float = 60.0,
        concurrency_mode: Any = "sync",
        transport: Any = None,
        sync_client: Any = None,
        async_client: Any = None,
    ) -> None:
        options = _options(
            endpoint, api_key, max_parallel_requests, timeout_s, transport, sync_client, async_client
        )
        # api_key_env="" : the key given or none (Data Designer never reads ANTHROPIC_API_KEY itself).
        inner = _AnthropicAdapter(provider=provider_name, **options)
        super().__init__(inner, provider_name)


def map_http_error_to_provider_error(
    response: Any, provider_name: str, model_name: str | None = None
) -> Exception:
    """Data Designer's ``ProviderError`` for an error response (anything with ``status_code``,
    ``headers`` and ``content``/``text``), classified by modelwire's rules."""
    body = getattr(response, "content", None)
    if not isinstance(body, bytes):
        text = getattr(response, "text", "")
        body = text.encode() if isinstance(text, str) else b""
    headers = getattr(response, "headers", None) or {}
    error = classify_response(response.status_code, headers, body, provider=provider_name, model=model_name)
    return to_data_designer_error(error, provider_name=provider_name)


def create_model_client(
    model_config: Any,
    secret_resolver: Any,
    model_provider_registry: Any,
    *,
    retry_config: Any = None,
    client_concurrency_mode: Any = "sync",
    request_admission: Any = None,
    request_event_sink: Any = None,
) -> Any:
    """Data Designer's ``create_model_client``, building modelwire adapters (wrapped in its
    ``ModelRequestExecutor`` when request admission is on, as its own factory does)."""
    provider = model_provider_registry.get_provider(model_config.provider)
    api_key = secret_resolver.resolve(provider.api_key) if provider.api_key else None
    params = model_config.inference_parameters
    timeout_s = float(params.timeout if params.timeout is not None else 60)
    adapters: dict[str, type[_Adapter]] = {"openai": OpenAICompatibleClient, "anthropic": AnthropicClient}
    adapter = adapters.get(provider.provider_type)
    if adapter is None:
        raise ValueError(
            f"provider type {provider.provider_type!r} of provider {provider.name!r} is not supported; use "
            "'openai' (any OpenAI-compatible server) or 'anthropic'"
        )
    client: Any = adapter(  # type: ignore[call-arg]
        provider_name=provider.name,
        endpoint=provider.endpoint,
        api_key=api_key or None,
        max_parallel_requests=params.max_parallel_requests,
        timeout_s=timeout_s,
    )
    if request_admission is not None:
        executor = importlib.import_module("data_designer.engine.models.clients.model_request_executor")
        client = executor.ModelRequestExecutor(
            inner=client,
            request_admission=request_admission,
            provider_name=provider.name,
            model_id=model_config.model,
            event_sink=request_event_sink,
            retry_config=retry_config,
        )
    return client


def install() -> Callable[[], None]:
    """Make Data Designer's ``create_model_registry`` build modelwire adapters; returns the undo."""
    factory = importlib.import_module(_FACTORY_MODULE)
    original = factory.create_model_client
    setattr(factory, "create_model_client", create_model_client)  # noqa: B010  (a module, typed as such)

    def restore() -> None:
        setattr(factory, "create_model_client", original)  # noqa: B010

    return restore
