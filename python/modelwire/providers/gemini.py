"""``GeminiClient`` (the Gemini API, an API key) and ``VertexClient`` (Vertex AI, OAuth bearer tokens):
Google's native ``generateContent`` API, sync and async, streamed (``alt=sse``) and not, and embeddings.

Both speak one wire format, so they share the translation (:mod:`modelwire.request.gemini`), the parsers
(:mod:`modelwire.parsing.gemini`) and the stream folder (format ``"gemini"``); they differ in where requests
go and how they are authenticated. Thought signatures come back in ``message.thinking_blocks`` and go out
again from ``message.to_message()`` histories, so tool loops with Gemini 3 work. Parameters Gemini cannot
take raise ``UnsupportedParamsError``, or, with ``drop_params=True``, are dropped with a warning. There is
no image-generation operation (image models answer through chat, their images in ``message.images``).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Self

from modelwire._constants import DEFAULT_MAX_RESPONSE_BYTES
from modelwire.parsing.gemini import parse_gemini_content, parse_gemini_embeddings
from modelwire.providers._base import HttpAdapter, spec_options
from modelwire.providers.catalog import PROVIDERS
from modelwire.providers.dialect import Body, Context, Dialect, Operation, OutgoingRequest, StreamRoute
from modelwire.providers.google_auth import (
    GEMINI_API_BASE,
    GoogleCredentials,
    VertexAuth,
    vertex_base_url,
    vertex_location,
    vertex_project,
)
from modelwire.providers.keys import home_address_and_key
from modelwire.request.gemini import gemini_body_fields, gemini_embedding_body
from modelwire.transport import TimeoutSpec
from modelwire.types import ChatCompletionRequest, EmbeddingRequest

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["GEMINI", "VERTEX", "GeminiClient", "VertexClient"]

_GEMINI: Final = PROVIDERS["gemini"]
_VERTEX: Final = PROVIDERS["vertex_ai"]
# Every optional field is translated by gemini_body_fields; none may go into the body untranslated.
_TRANSLATED: Final = ChatCompletionRequest.BODY_FIELDS
# Vertex settings LiteLLM users put among the model's parameters: read by VertexClient, never sent.
VERTEX_SETTINGS: Final = ("vertex_project", "vertex_location", "vertex_credentials")


def _chat(request: ChatCompletionRequest, ctx: Context) -> Body:
    fields, dropped = gemini_body_fields(request, provider=ctx.provider, drop_params=ctx.drop_params)
    return Body(fields, exclude=_TRANSLATED, dropped=dropped, merged_extra_body=True)


def _embed(request: EmbeddingRequest, ctx: Context) -> Body:
    body = gemini_embedding_body(request.model, request.inputs, dimensions=request.dimensions)
    return Body(body, exclude=EmbeddingRequest.BODY_FIELDS)


def _predict(request: EmbeddingRequest, ctx: Context) -> Body:
    body = gemini_embedding_body(
        request.model, request.inputs, dimensions=request.dimensions, vertex_predict=True
    )
    return Body(body, exclude=EmbeddingRequest.BODY_FIELDS)


GEMINI: Final = Dialect(
    api="the Gemini API",
    chat=Operation("/models/{model}:generateContent", _chat, parse_gemini_content),
    stream=StreamRoute("/models/{model}:streamGenerateContent?alt=sse", "gemini"),
    embeddings=Operation("/models/{model}:batchEmbedContents", _embed, parse_gemini_embeddings),
    headers={"content-type": "application/json"},
)
# Paths under https://{location}-aiplatform.googleapis.com/v1/projects/{p}/locations/{l}/publishers/google/models
VERTEX: Final = Dialect(
    api="Vertex AI",
    chat=Operation("/{model}:generateContent", _chat, parse_gemini_content),
    stream=StreamRoute("/{model}:streamGenerateContent?alt=sse", "gemini"),
    embeddings=Operation("/{model}:predict", _predict, parse_gemini_embeddings),
    headers={"content-type": "application/json"},
)


class GeminiClient(HttpAdapter):
    """The Gemini API (``generativelanguage.googleapis.com``). The key comes from ``api_key`` or
    ``GEMINI_API_KEY`` / ``GOOGLE_API_KEY`` (read, and required, only at Google's own host), sent as
    ``x-goog-api-key``. ``base_url`` defaults to ``GEMINI_API_BASE`` or
    ``https://generativelanguage.googleapis.com/v1beta``. Other options are those of
    :class:`~modelwire.providers.OpenAICompatibleClient`."""

    def __init__(
        self,
        *,
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
        provider: str | None = None,
        api_key_from_env: bool = True,
    ) -> None:
        name = provider or _GEMINI.name
        base, key = home_address_and_key(
            _GEMINI,
            base_url,
            api_key,
            provider=name,
            default_base=GEMINI_API_BASE,
            api_key_env=api_key_env,
            api_key_from_env=api_key_from_env,
        )
        super().__init__(
            dialect=GEMINI,
            provider_name=name,
            base_url=base,
            headers={**({"x-goog-api-key": key} if key else {}), **(headers or {})},
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
        """An adapter for ``spec``: ``api_base``, key, timeouts, ``max_concurrency``,
        ``extra_headers``/``extra_body``, ``extra_params`` as request defaults; ``overrides`` win."""
        options = {"provider": spec.provider_name, **spec_options(spec)}
        return cls(**{**options, **overrides})


class _Signer:
    """The Vertex dialect's signing step: the request's headers plus a fresh bearer token."""

    def __init__(self, auth: VertexAuth) -> None:
        self.auth = auth

    def __call__(self, request: OutgoingRequest) -> Mapping[str, str]:
        return {**request.headers, **self._header(self.auth.token())}

    async def asign(self, request: OutgoingRequest) -> Mapping[str, str]:
        headers = await self.auth.aheaders()
        return {**request.headers, "authorization": headers["Authorization"]}

    @staticmethod
    def _header(token: str) -> dict[str, str]:
        return {"authorization": f"Bearer {token}"}


class VertexClient(HttpAdapter):
    """Gemini models on Vertex AI. Requests carry a bearer token from ``credentials`` (a ``VertexAuth``,
    or any google-auth credentials object), else from Application Default Credentials (``pip install
    'modelwire[vertex]'``), refreshed before it expires. ``project`` and ``location`` come from the
    arguments, else ``VERTEXAI_PROJECT`` / ``GOOGLE_CLOUD_PROJECT`` and ``VERTEXAI_LOCATION`` /
    ``GOOGLE_CLOUD_LOCATION`` (default ``us-central1``; ``global`` uses the global endpoint), else the
    project the credentials belong to. ``base_url`` replaces the endpoint (a proxy, the local test
    server): it is the models collection, ``{base_url}/{model}:generateContent``."""

    def __init__(
        self,
        *,
        project: str | None = None,
        location: str | None = None,
        credentials: VertexAuth | GoogleCredentials | None = None,
        base_url: str | None = None,
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
        if isinstance(credentials, VertexAuth):
            auth = credentials
        elif credentials is not None:
            auth = VertexAuth(credentials)
        else:
            auth = VertexAuth.from_adc()
        self.location = vertex_location(location)
        if base_url is None:
            self.project: str | None = vertex_project(project, auth.project)
            base_url = vertex_base_url(self.project, self.location)
        else:
            self.project = project or auth.project
        signer = _Signer(auth)
        super().__init__(
            dialect=dataclasses.replace(VERTEX, sign=signer, asign=signer.asign),
            provider_name=provider or _VERTEX.name,
            base_url=base_url,
            headers=headers,
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
        """An adapter for ``spec``: ``api_base``, timeouts, ``max_concurrency``, ``extra_headers`` /
        ``extra_body``, ``extra_params`` as request defaults, except ``vertex_project`` /
        ``vertex_location`` / ``vertex_credentials`` (a path to a service-account file), which configure
        the client (LiteLLM's names); ``overrides`` win."""
        options = spec_options(spec)
        params = dict(options.get("default_params") or {})
        settings = {name: params.pop(name) for name in VERTEX_SETTINGS if name in params}
        for unused in ("api_key", "api_key_env"):
            options.pop(unused, None)
        options["default_params"] = params or None
        credentials = settings.get("vertex_credentials")
        if isinstance(credentials, str) and "credentials" not in overrides:
            overrides = {**overrides, "credentials": _service_account(credentials)}
        options.update(project=settings.get("vertex_project"), location=settings.get("vertex_location"))
        options["provider"] = spec.provider_name
        return cls(**{**options, **overrides})


def _service_account(path: str) -> VertexAuth:
    """Credentials from a service-account key file (LiteLLM's ``vertex_credentials``)."""
    try:
        from google.oauth2 import service_account
    except ImportError:
        from modelwire.exceptions import AuthenticationError

        raise AuthenticationError(
            "Vertex AI needs google-auth for its credentials: pip install 'modelwire[vertex]'",
            provider="vertex_ai",
        ) from None
    credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        os.path.expanduser(path), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    return VertexAuth(credentials, project=getattr(credentials, "project_id", None))
