"""``OpenAICompatibleClient``: chat completions, embeddings and image generation against any server that
speaks OpenAI's API (OpenAI, vLLM, NIM, Ollama, OpenRouter, Groq, Together, DeepSeek, ...), and ``OPENAI``,
the dialect it speaks (Azure speaks it too, on its own paths). With ``responses_api=True`` chat goes to
the Responses API instead (``providers/responses.py``).

Sync and async methods live on one object; each mode opens its pool on first use. A request is sent as
built from its fields (``TransportKwargs`` rules: unset fields are left out, ``extra_body`` wins), with
``model`` and ``messages``/``input``/``prompt`` placed first. Assistant history loses the modelwire-only
``thinking_blocks`` key. For OpenAI and Azure, embeddings are asked for as base64 when the caller did not
choose a format (as the official SDK does: a quarter of the bytes, same float32 values).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Self

from modelwire._constants import DEFAULT_MAX_RESPONSE_BYTES
from modelwire.exceptions import UnsupportedParamsError
from modelwire.parsing import parse_chat_completion, parse_embeddings, parse_image_generation
from modelwire.providers._base import HttpAdapter, spec_options
from modelwire.providers.catalog import api_base_for, env_value, lookup_provider
from modelwire.providers.dialect import Body, Context, Dialect, Operation, StreamRoute
from modelwire.providers.keys import at_home, key_env_for, resolve_api_key
from modelwire.providers.responses import responses_dialect
from modelwire.request.openai import openai_messages
from modelwire.transport import TimeoutSpec
from modelwire.types import ChatCompletionRequest, EmbeddingRequest, ImageGenerationRequest

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["OPENAI", "OpenAICompatibleClient"]

_BASE64_EMBEDDINGS: Final = frozenset({"openai", "azure"})
_STREAM_FIELDS: Final = {"stream": True, "stream_options": {"include_usage": True}}


def _chat(request: ChatCompletionRequest, ctx: Context) -> Body:
    fields: dict[str, Any] = {
        "model": request.model,
        "messages": openai_messages(request.messages, provider=ctx.provider, model=request.model),
    }
    if ctx.stream:
        fields.update(_STREAM_FIELDS)
    return Body(fields)


def _embeddings(request: EmbeddingRequest, ctx: Context) -> Body:
    fields: dict[str, Any] = {"model": request.model, "input": request.inputs}
    if request.encoding_format is None and ctx.provider in _BASE64_EMBEDDINGS:
        fields["encoding_format"] = "base64"
    return Body(fields)


def _image(request: ImageGenerationRequest, ctx: Context) -> Body:
    """``/images/generations`` with ``prompt``; or, when ``messages`` is set, the chat route with those
    messages (an empty list becomes one user message holding ``prompt``)."""
    if request.messages is None:
        return Body({"model": request.model, "prompt": request.prompt})
    if request.response_format is not None:
        raise UnsupportedParamsError(
            "response_format (url/b64_json) applies to /images/generations only; on the chat route "
            "images come back as data URIs: leave it unset",
            params=("response_format",),
            provider=ctx.provider,
            model=request.model,
        )
    messages = request.messages or [{"role": "user", "content": request.prompt}]
    fields = {
        "model": request.model,
        "messages": openai_messages(messages, provider=ctx.provider, model=request.model),
    }
    return Body(fields, route="chat")


OPENAI: Final = Dialect(
    api="the OpenAI API",
    chat=Operation("/chat/completions", _chat, parse_chat_completion),
    stream=StreamRoute("/chat/completions", "openai"),
    embeddings=Operation("/embeddings", _embeddings, parse_embeddings),
    images=Operation("/images/generations", _image, parse_image_generation),
    headers={"content-type": "application/json"},
)


class OpenAICompatibleClient(HttpAdapter):
    """An adapter for any OpenAI-compatible server.

    ``provider`` names a catalog entry (``openai``, ``groq``, ``ollama``, ...; see
    ``modelwire.providers.catalog``) that gives the default ``base_url`` and the environment variables the
    key is read from; any other name (or ``None`` with a ``base_url``) is a custom server whose key, if any,
    comes only from ``api_key`` or ``api_key_env``. Keys follow hosts (see ``modelwire.providers.keys``):
    an environment key goes only to its provider's own host, a key is required only there, and
    ``api_key_from_env=False`` turns environment lookup off. It is sent as ``Authorization: Bearer``. A
    catalog name of another API (``anthropic``, ``azure``) with a ``base_url`` is only a label.

    ``timeout``: seconds, ``None``, a mapping of connect/read/write/pool, or an httpx ``Timeout``.
    ``max_concurrency`` bounds requests in flight and sizes the pool, also around a user's client or
    transport. ``http_client``/``async_http_client``: your own ``httpx``/``httpx2`` clients (left open
    on close); ``transport``/``async_transport``: your own transports. ``default_params`` fill request
    fields left ``None`` (others go into the body); ``extra_body`` is merged under each request's.
    ``responses_api=True`` sends chat (and streamed chat) to the server's ``/responses`` (the OpenAI
    Responses API, which OpenAI, Azure and several OpenAI-compatible servers serve).
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
        api_key_from_env: bool = True,
        responses_api: bool = False,
    ) -> None:
        info = lookup_provider(provider)
        name = info.name if info is not None else (provider or "openai_compatible")
        if info is not None and info.adapter != "openai":
            if base_url is None:
                adapter = "AzureOpenAIClient" if info.adapter == "azure" else "AnthropicClient"
                raise ValueError(
                    f"provider {name!r} has its own API: use {adapter} (or client_from_spec), or pass "
                    "base_url= of an OpenAI-compatible endpoint"
                )
            info = None  # a label on an OpenAI-compatible endpoint: none of that provider's keys or rules
        from_env = False
        if base_url is None and info is not None:
            base_url = api_base_for(info, env_value(info.base_url_env)[0])
            from_env = base_url is not None
            base_url = base_url or info.base_url
        if not base_url:
            raise ValueError(
                f"provider {name!r} has no default address: pass base_url= (e.g. http://localhost:8000/v1)"
            )
        env = key_env_for(
            info,
            base_url,
            api_key_env=api_key_env,
            api_key_from_env=api_key_from_env,
            base_url_from_env=from_env,
        )
        required = info is not None and info.key_required and at_home(info, base_url)
        key = resolve_api_key(api_key, provider=name, env=env, required=required)
        super().__init__(
            dialect=responses_dialect(OPENAI) if responses_api else OPENAI,
            provider_name=name,
            base_url=base_url,
            headers={**({"authorization": f"Bearer {key}"} if key else {}), **(headers or {})},
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

    @classmethod
    def from_spec(cls, spec: ModelSpec, **overrides: Any) -> Self:
        """An adapter for ``spec`` (``provider`` from its name's prefix, ``api_base``, key, timeouts,
        ``max_concurrency``, ``extra_headers``/``extra_body``, ``extra_params`` as request defaults, with
        ``drop_params`` taken out of them, ``responses_api``); keyword ``overrides`` win."""
        provider = spec.provider_name if lookup_provider(spec.provider_name) else spec.provider
        options = {"provider": provider, "responses_api": spec.responses_api, **spec_options(spec)}
        return cls(**{**options, **overrides})
