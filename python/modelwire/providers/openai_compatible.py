"""``OpenAICompatibleClient``: chat completions, embeddings and image generation against any server that
speaks OpenAI's API (OpenAI, vLLM, NIM, Ollama, OpenRouter, Groq, Together, DeepSeek, ...).

Sync and async methods live on one object; each mode opens its pool on first use. A request is sent as
built from its fields (``TransportKwargs`` rules: unset fields are left out, ``extra_body`` wins), with
``model`` and ``messages``/``input``/``prompt`` placed first. Assistant history loses the modelwire-only
``thinking_blocks`` key. For OpenAI and Azure, embeddings are asked for as base64 when the caller did not
choose a format (as the official SDK does: a quarter of the bytes, same float32 values).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Self

from modelwire._constants import DEFAULT_MAX_RESPONSE_BYTES
from modelwire.exceptions import ModelwireWarning, UnsupportedParamsError
from modelwire.parsing import parse_chat_completion, parse_embeddings, parse_image_generation
from modelwire.providers._base import HttpAdapter, PreparedRequest, resolve_api_key, spec_options
from modelwire.providers.catalog import env_value, lookup_provider
from modelwire.providers.streaming import AsyncChatStream, ChatStream
from modelwire.request import TransportKwargs
from modelwire.request.openai import openai_messages
from modelwire.transport import TimeoutSpec
from modelwire.types import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ImageGenerationRequest,
    ImageGenerationResponse,
)

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["OpenAICompatibleClient"]

_BASE64_EMBEDDINGS: Final = frozenset({"openai", "azure"})


def warn_if_responses_api(spec: ModelSpec) -> None:
    """Say that a spec asking for the Responses API is served by Chat Completions (not silently)."""
    if spec.responses_api:
        warnings.warn(
            f"{spec.name}: responses_api=True is not supported yet; Chat Completions is used instead",
            ModelwireWarning,
            stacklevel=3,
        )


class OpenAICompatibleClient(HttpAdapter):
    """An adapter for any OpenAI-compatible server.

    ``provider`` names a catalog entry (``openai``, ``groq``, ``ollama``, ...; see
    ``modelwire.providers.catalog``) that gives the default ``base_url`` and the environment variables the
    key is read from; any other name (or ``None`` with a ``base_url``) is a custom server whose key, if any,
    comes only from ``api_key`` or ``api_key_env``. A key is required only by a known provider at its own
    address; it is sent as ``Authorization: Bearer``.

    ``timeout``: seconds, ``None``, a mapping of connect/read/write/pool, or an httpx ``Timeout``.
    ``max_concurrency`` bounds requests in flight and sizes the pool, also around a user's client or
    transport. ``http_client``/``async_http_client``: your own ``httpx``/``httpx2`` clients (left open
    on close); ``transport``/``async_transport``: your own transports. ``default_params`` fill request
    fields left ``None`` (others go into the body); ``extra_body`` is merged under each request's.
    """

    def __init__(
        self,
        *,
        provider: str | None = "openai",
        base_url: str | None = None,
        api_key: Any = None,
        api_key_env: str | None = None,
        timeout: TimeoutSpec = ...,
        max_concurrency: int | None = None,
        headers: Mapping[str, str] | None = None,
        http_client: Any | None = None,
        async_http_client: Any | None = None,
        transport: Any | None = None,
        async_transport: Any | None = None,
        default_params: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        drop_params: bool = False,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        trust_env: bool = True,
    ) -> None:
        info = lookup_provider(provider)
        name = info.name if info is not None else (provider or "openai_compatible")
        if info is not None and info.adapter != "openai" and type(self) is OpenAICompatibleClient:
            adapter = "AzureOpenAIClient" if info.adapter == "azure" else "AnthropicClient"
            raise ValueError(f"provider {name!r} has its own API: use {adapter} (or client_from_spec)")
        if base_url is None and info is not None:
            base_url = env_value(info.base_url_env)[0] or info.base_url
        if not base_url:
            raise ValueError(
                f"provider {name!r} has no default address: pass base_url= (e.g. http://localhost:8000/v1)"
            )
        at_home = info is not None and base_url.rstrip("/") == (info.base_url or "").rstrip("/")
        env = (api_key_env,) if api_key_env else (info.key_env if info is not None else ())
        key = resolve_api_key(
            api_key, provider=name, env=env, required=at_home and info is not None and info.key_required
        )
        super().__init__(
            provider_name=name,
            base_url=base_url,
            headers={**self._auth_headers(key), "content-type": "application/json", **(headers or {})},
            timeout=timeout,
            max_concurrency=max_concurrency,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            async_transport=async_transport,
            default_params=default_params,
            extra_body=extra_body,
            drop_params=drop_params,
            max_response_bytes=max_response_bytes,
            trust_env=trust_env,
        )

    @staticmethod
    def _auth_headers(key: str | None) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"} if key else {}

    @classmethod
    def from_spec(cls, spec: ModelSpec, **overrides: Any) -> Self:
        """An adapter for ``spec`` (``provider`` from its name's prefix, ``api_base``, key, timeouts,
        ``max_concurrency``, ``extra_headers``/``extra_body``, ``extra_params`` as request defaults, with
        ``drop_params`` taken out of them); keyword ``overrides`` win."""
        warn_if_responses_api(spec)
        provider = spec.provider_name if lookup_provider(spec.provider_name) else spec.provider
        return cls(**{"provider": provider, **spec_options(spec), **overrides})

    # --- paths (Azure overrides this) --------------------------------------------------------------------

    def _path(self, operation: str, model: str) -> str:
        return f"/{operation}"

    def _prepared(self, request: Any, operation: str, fields: dict[str, Any]) -> PreparedRequest:
        kwargs = TransportKwargs.from_request(request, fields=fields)
        return PreparedRequest(
            self._path(operation, request.model), kwargs.body, kwargs.headers, kwargs.timeout, request.model
        )

    # --- chat ------------------------------------------------------------------------------------------

    def _prepare_chat(self, request: ChatCompletionRequest, *, stream: bool = False) -> PreparedRequest:
        request = self._with_defaults(request)
        fields: dict[str, Any] = {
            "model": request.model,
            "messages": openai_messages(request.messages, provider=self.provider_name, model=request.model),
        }
        if stream:
            fields["stream"] = True
            fields["stream_options"] = {"include_usage": True}
        return self._prepared(request, "chat/completions", fields)

    def completion(self, request: ChatCompletionRequest) -> ChatCompletionResponse:
        return self._call(self._prepare_chat(request), parse_chat_completion)

    async def acompletion(self, request: ChatCompletionRequest) -> ChatCompletionResponse:
        return await self._acall(self._prepare_chat(request), parse_chat_completion)

    def stream(self, request: ChatCompletionRequest) -> ChatStream:
        """A streamed chat completion (usage included): a context manager and iterator of typed events
        whose ``final_response()`` returns the folded ``ChatCompletionResponse``. Nothing is sent before
        it is opened or iterated; see :mod:`modelwire.providers.streaming` for failures and closing."""
        return ChatStream(self, self._prepare_chat(request, stream=True), "openai", parse_chat_completion)

    def astream(self, request: ChatCompletionRequest) -> AsyncChatStream:
        """The async twin of :meth:`stream` (``async with`` / ``async for`` / ``await final_response()``)."""
        prepared = self._prepare_chat(request, stream=True)
        return AsyncChatStream(self, prepared, "openai", parse_chat_completion)

    # --- embeddings ------------------------------------------------------------------------------------

    def _prepare_embeddings(self, request: EmbeddingRequest) -> PreparedRequest:
        request = self._with_defaults(request)
        fields: dict[str, Any] = {"model": request.model, "input": request.inputs}
        if request.encoding_format is None and self.provider_name in _BASE64_EMBEDDINGS:
            fields["encoding_format"] = "base64"
        return self._prepared(request, "embeddings", fields)

    def embeddings(self, request: EmbeddingRequest) -> EmbeddingResponse:
        return self._call(self._prepare_embeddings(request), parse_embeddings)

    async def aembeddings(self, request: EmbeddingRequest) -> EmbeddingResponse:
        return await self._acall(self._prepare_embeddings(request), parse_embeddings)

    # --- images ----------------------------------------------------------------------------------------

    def _prepare_image(self, request: ImageGenerationRequest) -> PreparedRequest:
        """``/images/generations`` with ``prompt``; or, when ``messages`` is set, the chat route with those
        messages (an empty list becomes one user message holding ``prompt``)."""
        request = self._with_defaults(request)
        if request.messages is None:
            fields = {"model": request.model, "prompt": request.prompt}
            return self._prepared(request, "images/generations", fields)
        if request.response_format is not None:
            raise UnsupportedParamsError(
                "response_format (url/b64_json) applies to /images/generations only; on the chat route "
                "images come back as data URIs: leave it unset",
                params=("response_format",),
                provider=self.provider_name,
                model=request.model,
            )
        messages = request.messages or [{"role": "user", "content": request.prompt}]
        chat_fields: dict[str, Any] = {
            "model": request.model,
            "messages": openai_messages(messages, provider=self.provider_name, model=request.model),
        }
        return self._prepared(request, "chat/completions", chat_fields)

    def generate_image(self, request: ImageGenerationRequest) -> ImageGenerationResponse:
        return self._call(self._prepare_image(request), parse_image_generation)

    async def agenerate_image(self, request: ImageGenerationRequest) -> ImageGenerationResponse:
        return await self._acall(self._prepare_image(request), parse_image_generation)
