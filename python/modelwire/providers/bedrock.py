"""``BedrockClient``: chat over Bedrock Runtime's Converse API (``POST /model/{modelId}/converse`` and
``/converse-stream``), sync and async, for every model family Converse serves.

Requests are canonical (OpenAI-shaped) and translated by :mod:`modelwire.request.bedrock` (which also
places ``extra_body``: Converse's own fields at the top, model parameters such as Anthropic's
``thinking`` in ``additionalModelRequestFields``); responses are parsed by
:mod:`modelwire.parsing.bedrock`, streams (AWS event streams) folded by ``BedrockStreamFolder``;
exceptions inside a stream (``throttlingException``, ...) go through the error taxonomy. Each attempt is
signed just before it is sent by :class:`~modelwire.transport.aws.AwsSigner` (SigV4 through botocore,
or a Bedrock API key). The model id (a foundation model, a cross-region inference profile such as
``us.anthropic...``, or an ARN) is one percent-encoded path segment.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Self

from modelwire._constants import DEFAULT_MAX_RESPONSE_BYTES
from modelwire.exceptions import BadRequestError
from modelwire.parsing.bedrock import parse_bedrock_converse
from modelwire.providers._base import HttpAdapter, spec_options
from modelwire.providers.dialect import Body, Context, Dialect, Operation, OutgoingRequest, StreamRoute
from modelwire.request.bedrock import bedrock_converse_body
from modelwire.transport import TimeoutSpec
from modelwire.transport.aws import AwsSigner
from modelwire.types import ChatCompletionRequest

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["BEDROCK", "BedrockClient"]

ENDPOINT_ENV: Final = ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL")
# extra_params a LiteLLM config carries for Bedrock: they configure the signer, not the request.
_AWS_PARAMS: Final = {
    "aws_region_name": "region",
    "aws_profile_name": "profile",
    "aws_bedrock_runtime_endpoint": "base_url",
}


def _converse(request: ChatCompletionRequest, ctx: Context) -> Body:
    fields, dropped = bedrock_converse_body(request, provider=ctx.provider, drop_params=ctx.drop_params)
    return Body(fields, exclude=ChatCompletionRequest.BODY_FIELDS, dropped=dropped, merged_extra_body=True)


BEDROCK: Final = Dialect(
    api="the Bedrock Converse API",
    chat=Operation("/model/{model}/converse", _converse, parse_bedrock_converse),
    stream=StreamRoute("/model/{model}/converse-stream", "bedrock"),
    headers={"content-type": "application/json"},
)


def _signing_steps(signer: AwsSigner) -> tuple[Any, Any]:
    """The sync step, and the async one: it signs in a worker thread when the credentials are about to
    be renewed (a network call botocore makes synchronously), else on the event loop."""

    def sign(request: OutgoingRequest) -> Mapping[str, str]:
        return signer(request.method, request.url, request.headers, request.body)

    async def asign(request: OutgoingRequest) -> Mapping[str, str]:
        if signer.refresh_due():
            return await asyncio.to_thread(sign, request)
        return sign(request)

    return sign, asign


class BedrockClient(HttpAdapter):
    """Bedrock Runtime's Converse API. ``region`` (else ``AWS_REGION``, ``AWS_DEFAULT_REGION`` or the
    profile's) picks ``https://bedrock-runtime.<region>.amazonaws.com`` unless ``base_url`` (or
    ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``) says otherwise. Credentials: ``credentials`` (a botocore
    credentials object), else botocore's chain for ``profile``; or a Bedrock API key (``api_key`` or
    ``AWS_BEARER_TOKEN_BEDROCK``) sent as a bearer token. Other options are those of
    :class:`~modelwire.providers.OpenAICompatibleClient`."""

    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Any = None,
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
        name = provider or "bedrock"
        if api_key is not None and hasattr(api_key, "get_secret_value"):
            api_key = api_key.get_secret_value()
        if api_key is None and api_key_env and api_key_from_env:
            api_key = os.environ.get(api_key_env) or None
        signer = AwsSigner(
            region=region,
            profile=profile,
            api_key=api_key,
            credentials=credentials,
            provider=name,
            key_from_env=api_key_from_env,
        )
        endpoint = base_url or next((os.environ[v] for v in ENDPOINT_ENV if os.environ.get(v)), None)
        if endpoint is None and not signer.region:
            raise BadRequestError(
                "no AWS region for Bedrock: pass region=, or set AWS_REGION or AWS_DEFAULT_REGION",
                provider=name,
            )
        self.region = signer.region
        sign, asign = _signing_steps(signer)
        super().__init__(
            dialect=dataclasses.replace(BEDROCK, sign=sign, asign=asign),
            provider_name=name,
            base_url=endpoint or f"https://bedrock-runtime.{signer.region}.amazonaws.com",
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
        """An adapter for ``spec`` (``bedrock/<model id>``): ``api_base``, API key, timeouts,
        ``max_concurrency``, ``extra_headers``/``extra_body``; LiteLLM's ``aws_region_name``,
        ``aws_profile_name`` and ``aws_bedrock_runtime_endpoint`` in ``extra_params`` configure the
        client, the rest are request defaults; keyword ``overrides`` win."""
        options = {"provider": spec.provider_name, **spec_options(spec)}
        defaults = dict(options.get("default_params") or {})
        for param, option in _AWS_PARAMS.items():
            if param in defaults:
                value = defaults.pop(param)
                if option != "base_url" or options.get("base_url") is None:
                    options[option] = value
        options["default_params"] = defaults or None
        return cls(**{**options, **overrides})
