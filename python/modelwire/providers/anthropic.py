"""``AnthropicClient``: chat over Anthropic's Messages API (``POST /v1/messages``), sync and async.

Requests are canonical (OpenAI-shaped) and translated by :mod:`modelwire.request.anthropic`; responses are
parsed by :mod:`modelwire.parsing.anthropic` into the same ``ChatCompletionResponse`` every adapter returns,
thinking blocks (with their signatures) included, so ``response.message.to_message()`` can go straight
back into the next request's history. Parameters Anthropic cannot take raise ``UnsupportedParamsError``,
or, with ``drop_params=True``, are dropped with a ``ModelwireWarning`` naming them. The API has no
embeddings or image generation: those raise ``UnsupportedCapabilityError``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, NoReturn, Self

from modelwire._constants import ANTHROPIC_API_VERSION, DEFAULT_MAX_RESPONSE_BYTES
from modelwire.exceptions import ModelwireWarning, UnsupportedCapabilityError
from modelwire.parsing.anthropic import parse_anthropic_message
from modelwire.providers._base import HttpAdapter, PreparedRequest, resolve_api_key, spec_options
from modelwire.providers.catalog import PROVIDERS, env_value
from modelwire.providers.streaming import AsyncChatStream, ChatStream
from modelwire.request import TransportKwargs
from modelwire.request.anthropic import anthropic_body_fields
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

__all__ = ["AnthropicClient"]

_INFO: Final = PROVIDERS["anthropic"]
# Every optional field is translated by anthropic_body_fields; none may go into the body untranslated.
_TRANSLATED: Final = ChatCompletionRequest.BODY_FIELDS


class AnthropicClient(HttpAdapter):
    """Anthropic's Messages API. The key comes from ``api_key`` or ``ANTHROPIC_API_KEY`` (required at
    Anthropic's own address), sent as ``x-api-key`` with ``anthropic-version: <api_version>``; beta
    features take an ``anthropic-beta`` header through ``headers`` or a request's ``extra_headers``.
    ``base_url`` defaults to ``ANTHROPIC_BASE_URL`` or ``https://api.anthropic.com`` (with or without a
    trailing ``/v1``). ``provider`` only relabels responses and errors (Anthropic-compatible gateways).
    Other options are those of :class:`~modelwire.providers.OpenAICompatibleClient`."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: Any = None,
        api_key_env: str | None = None,
        api_version: str | None = None,
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
        provider: str | None = None,
    ) -> None:
        name = provider or _INFO.name
        base = base_url or env_value(_INFO.base_url_env)[0] or _INFO.base_url or ""
        at_home = base.rstrip("/").removesuffix("/v1") == (_INFO.base_url or "")
        env = (api_key_env,) if api_key_env else _INFO.key_env
        key = resolve_api_key(api_key, provider=name, env=env, required=at_home)
        auth = {"x-api-key": key} if key else {}
        super().__init__(
            provider_name=name,
            base_url=base,
            headers={
                **auth,
                "anthropic-version": api_version or ANTHROPIC_API_VERSION,
                "content-type": "application/json",
                **(headers or {}),
            },
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
        self._messages_path = "/messages" if self.base_url.endswith("/v1") else "/v1/messages"

    @classmethod
    def from_spec(cls, spec: ModelSpec, **overrides: Any) -> Self:
        """An adapter for ``spec``: ``api_base``, key, ``api_version`` (as ``anthropic-version``), timeouts,
        ``max_concurrency``, ``extra_headers``/``extra_body``, ``extra_params`` as request defaults (their
        ``drop_params`` sets the adapter's); keyword ``overrides`` win."""
        options = {"api_version": spec.api_version, "provider": spec.provider_name, **spec_options(spec)}
        return cls(**{**options, **overrides})

    def supports_embeddings(self) -> bool:
        return False

    def supports_image_generation(self) -> bool:
        return False

    # --- chat ------------------------------------------------------------------------------------------

    def _prepare_chat(self, request: ChatCompletionRequest, *, stream: bool = False) -> PreparedRequest:
        request = self._with_defaults(request)
        fields, dropped = anthropic_body_fields(
            request, provider=self.provider_name, drop_params=self.drop_params, stream=stream
        )
        if dropped:
            warnings.warn(
                f"dropped what the Anthropic Messages API cannot take ({request.model}): "
                + ", ".join(dropped),
                ModelwireWarning,
                stacklevel=3,
            )
        kwargs = TransportKwargs.from_request(request, fields=fields, exclude=_TRANSLATED)
        return PreparedRequest(
            self._messages_path, kwargs.body, kwargs.headers, kwargs.timeout, request.model
        )

    def completion(self, request: ChatCompletionRequest) -> ChatCompletionResponse:
        return self._call(self._prepare_chat(request), parse_anthropic_message)

    async def acompletion(self, request: ChatCompletionRequest) -> ChatCompletionResponse:
        return await self._acall(self._prepare_chat(request), parse_anthropic_message)

    def stream(self, request: ChatCompletionRequest) -> ChatStream:
        """A streamed Messages call: a context manager and iterator of typed events whose
        ``final_response()`` returns the folded ``ChatCompletionResponse`` (thinking blocks and their
        signatures included). See :mod:`modelwire.providers.streaming`."""
        prepared = self._prepare_chat(request, stream=True)
        return ChatStream(self, prepared, "anthropic", parse_anthropic_message)

    def astream(self, request: ChatCompletionRequest) -> AsyncChatStream:
        """The async twin of :meth:`stream`."""
        prepared = self._prepare_chat(request, stream=True)
        return AsyncChatStream(self, prepared, "anthropic", parse_anthropic_message)

    # --- what the Messages API does not offer ----------------------------------------------------------

    def _unsupported(self, operation: str, model: str) -> NoReturn:
        raise UnsupportedCapabilityError(
            f"the Anthropic Messages API has no {operation}", provider=self.provider_name, model=model
        )

    def embeddings(self, request: EmbeddingRequest) -> EmbeddingResponse:
        self._unsupported("embeddings endpoint", request.model)

    async def aembeddings(self, request: EmbeddingRequest) -> EmbeddingResponse:
        self._unsupported("embeddings endpoint", request.model)

    def generate_image(self, request: ImageGenerationRequest) -> ImageGenerationResponse:
        self._unsupported("image generation", request.model)

    async def agenerate_image(self, request: ImageGenerationRequest) -> ImageGenerationResponse:
        self._unsupported("image generation", request.model)
