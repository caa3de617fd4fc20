"""Provider adapters implementing ``ModelClient``: OpenAI-compatible (any base URL), Azure OpenAI,
Anthropic Messages, Bedrock Converse, Gemini and Vertex AI, sync and async: one ``HttpAdapter`` driven by
one declarative ``Dialect`` per provider (docs/providers.md: how to add one).

    client = OpenAICompatibleClient(provider="groq")                  # key from GROQ_API_KEY
    client = AnthropicClient(api_key=..., max_concurrency=16)
    client = BedrockClient(region="us-east-1")                        # botocore's credential chain
    client = client_from_spec(ModelSpec(name="anthropic/claude-sonnet-4-5"))
    response = client.completion(ChatCompletionRequest(model=..., messages=[...]))

Names load on first use (PEP 562), so a client imports only the adapter, translation and parsers its
chain uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what __getattr__ loads, for type checkers (keep in sync with _LAZY)
    from modelwire.providers._base import HttpAdapter, PreparedRequest, RawResponse
    from modelwire.providers.anthropic import ANTHROPIC, AnthropicClient
    from modelwire.providers.azure import AzureOpenAIClient
    from modelwire.providers.bedrock import BEDROCK, BedrockClient
    from modelwire.providers.catalog import PROVIDERS, ProviderInfo, lookup_provider
    from modelwire.providers.dialect import (
        AsyncSigner,
        Body,
        Context,
        Dialect,
        Operation,
        OutgoingRequest,
        Signer,
        StreamRoute,
    )
    from modelwire.providers.factory import Adapter, client_from_spec, model_id_for
    from modelwire.providers.gemini import GEMINI, VERTEX, GeminiClient, VertexClient
    from modelwire.providers.openai_compatible import OPENAI, OpenAICompatibleClient
    from modelwire.providers.protocol import ModelClient

# name -> module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {
    "ANTHROPIC": "modelwire.providers.anthropic",
    "Adapter": "modelwire.providers.factory",
    "AnthropicClient": "modelwire.providers.anthropic",
    "AsyncSigner": "modelwire.providers.dialect",
    "AzureOpenAIClient": "modelwire.providers.azure",
    "BEDROCK": "modelwire.providers.bedrock",
    "BedrockClient": "modelwire.providers.bedrock",
    "Body": "modelwire.providers.dialect",
    "Context": "modelwire.providers.dialect",
    "Dialect": "modelwire.providers.dialect",
    "GEMINI": "modelwire.providers.gemini",
    "GeminiClient": "modelwire.providers.gemini",
    "HttpAdapter": "modelwire.providers._base",
    "ModelClient": "modelwire.providers.protocol",
    "OPENAI": "modelwire.providers.openai_compatible",
    "OpenAICompatibleClient": "modelwire.providers.openai_compatible",
    "Operation": "modelwire.providers.dialect",
    "OutgoingRequest": "modelwire.providers.dialect",
    "PROVIDERS": "modelwire.providers.catalog",
    "PreparedRequest": "modelwire.providers._base",
    "ProviderInfo": "modelwire.providers.catalog",
    "RawResponse": "modelwire.providers._base",
    "Signer": "modelwire.providers.dialect",
    "StreamRoute": "modelwire.providers.dialect",
    "VERTEX": "modelwire.providers.gemini",
    "VertexClient": "modelwire.providers.gemini",
    "client_from_spec": "modelwire.providers.factory",
    "lookup_provider": "modelwire.providers.catalog",
    "model_id_for": "modelwire.providers.factory",
}

__all__ = [
    "ANTHROPIC",
    "BEDROCK",
    "GEMINI",
    "OPENAI",
    "PROVIDERS",
    "VERTEX",
    "Adapter",
    "AnthropicClient",
    "AsyncSigner",
    "AzureOpenAIClient",
    "BedrockClient",
    "Body",
    "Context",
    "Dialect",
    "GeminiClient",
    "HttpAdapter",
    "ModelClient",
    "OpenAICompatibleClient",
    "Operation",
    "OutgoingRequest",
    "PreparedRequest",
    "ProviderInfo",
    "RawResponse",
    "Signer",
    "StreamRoute",
    "VertexClient",
    "client_from_spec",
    "lookup_provider",
    "model_id_for",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'modelwire.providers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
