"""``AnthropicClient``: chat over Anthropic's Messages API (``POST /v1/messages``), sync and async.

Requests are canonical (OpenAI-shaped) and translated by :mod:`modelwire.request.anthropic`; responses are
parsed by :mod:`modelwire.parsing.anthropic` into the same ``ChatCompletionResponse`` every adapter returns,
thinking blocks (with their signatures) included, so ``response.message.to_message()`` can go straight
back into the next request's history. Parameters Anthropic cannot take raise ``UnsupportedParamsError``,
or, with ``drop_params=True``, are dropped with a ``ModelwireWarning`` naming them. The API has no
embeddings or image generation: those raise ``UnsupportedCapabilityError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Self

from modelwire._constants import ANTHROPIC_API_VERSION, DEFAULT_MAX_RESPONSE_BYTES
from modelwire.parsing.anthropic import parse_anthropic_message
from modelwire.providers._base import HttpAdapter, spec_options
from modelwire.providers.catalog import PROVIDERS
from modelwire.providers.dialect import Body, Context, Dialect, Operation, StreamRoute
from modelwire.providers.keys import home_address_and_key
from modelwire.request.anthropic import anthropic_body_fields
from modelwire.transport import TimeoutSpec
from modelwire.types import ChatCompletionRequest

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["ANTHROPIC", "AnthropicClient"]

_INFO: Final = PROVIDERS["anthropic"]
# Every optional field is translated by anthropic_body_fields; none may go into the body untranslated.
_TRANSLATED: Final = ChatCompletionRequest.BODY_FIELDS


def _messages(request: ChatCompletionRequest, ctx: Context) -> Body:
    fields, dropped = anthropic_body_fields(
        request, provider=ctx.provider, drop_params=ctx.drop_params, stream=ctx.stream
    )
    return Body(fields, exclude=_TRANSLATED, dropped=dropped)


ANTHROPIC: Final = Dialect(
    api="the Anthropic Messages API",
    chat=Operation("/v1/messages", _messages, parse_anthropic_message),
    stream=StreamRoute("/v1/messages", "anthropic"),
    headers={"content-type": "application/json"},
)


class AnthropicClient(HttpAdapter):
    """Anthropic's Messages API. The key comes from ``api_key`` or ``ANTHROPIC_API_KEY`` (read, and required,
    only at Anthropic's own host; see ``modelwire.providers.keys``), sent as ``x-api-key`` with
    ``anthropic-version: <api_version>``; beta features take an ``anthropic-beta`` header through
    ``headers`` or a request's ``extra_headers``. ``base_url`` defaults to ``ANTHROPIC_BASE_URL`` or
    ``https://api.anthropic.com`` (with or without a trailing ``/v1``). ``provider`` only relabels
    responses and errors (Anthropic-compatible gateways). Other options are those of
    :class:`~modelwire.providers.OpenAICompatibleClient`."""

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
        api_key_from_env: bool = True,
    ) -> None:
        name = provider or _INFO.name
        base, key = home_address_and_key(
            _INFO,
            base_url,
            api_key,
            provider=name,
            api_key_env=api_key_env,
            api_key_from_env=api_key_from_env,
        )
        dialect = ANTHROPIC
        if base.rstrip("/").endswith("/v1"):
            dialect = ANTHROPIC.rerouted(lambda path: path.removeprefix("/v1"))
        super().__init__(
            dialect=dialect,
            provider_name=name,
            base_url=base,
            headers={
                **({"x-api-key": key} if key else {}),
                "anthropic-version": api_version or ANTHROPIC_API_VERSION,
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

    @classmethod
    def from_spec(cls, spec: ModelSpec, **overrides: Any) -> Self:
        """An adapter for ``spec``: ``api_base``, key, ``api_version`` (as ``anthropic-version``), timeouts,
        ``max_concurrency``, ``extra_headers``/``extra_body``, ``extra_params`` as request defaults (their
        ``drop_params`` sets the adapter's); keyword ``overrides`` win."""
        options = {"api_version": spec.api_version, "provider": spec.provider_name, **spec_options(spec)}
        return cls(**{**options, **overrides})
