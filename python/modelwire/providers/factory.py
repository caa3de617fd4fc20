"""From a ``ModelSpec`` to the adapter that speaks its provider's API, and the model id to send."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from modelwire.providers._base import HttpAdapter
from modelwire.providers.anthropic import AnthropicClient
from modelwire.providers.azure import AzureOpenAIClient
from modelwire.providers.bedrock import BedrockClient
from modelwire.providers.catalog import lookup_provider
from modelwire.providers.gemini import GeminiClient, VertexClient
from modelwire.providers.openai_compatible import OpenAICompatibleClient
from modelwire.providers.protocol import ModelClient

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["ADAPTERS", "Adapter", "client_from_spec", "model_id_for"]

Adapter = HttpAdapter
# The catalog's ``adapter`` value -> the constructor from a spec; a new provider adds one line here.
ADAPTERS: Final[dict[str, Callable[..., HttpAdapter]]] = {
    "openai": OpenAICompatibleClient.from_spec,
    "azure": AzureOpenAIClient.from_spec,
    "anthropic": AnthropicClient.from_spec,
    "bedrock": BedrockClient.from_spec,
    "gemini": GeminiClient.from_spec,
    "vertex": VertexClient.from_spec,
}


def client_from_spec(spec: ModelSpec, **overrides: Any) -> Adapter:
    """The adapter for ``spec``: the catalog's choice for a known provider, ``OpenAICompatibleClient`` for
    anything else (which then needs ``api_base``). ``overrides`` go to the adapter's ``from_spec``."""
    info = lookup_provider(spec.provider_name)
    build = ADAPTERS[info.adapter] if info is not None else OpenAICompatibleClient.from_spec
    return build(spec, **overrides)


def _implements_model_client(client: Adapter) -> ModelClient:
    return client  # mypy checks here that every adapter satisfies the ModelClient protocol


def model_id_for(spec: ModelSpec) -> str:
    """The ``model`` to send, as routed when the spec was built: ``spec.name`` without its provider prefix
    when that prefix is a known provider (or the spec's explicit ``provider``), else the whole name
    (``meta-llama/Llama-3.1-8B`` on a vLLM ``api_base`` keeps its organisation)."""
    return spec.model_id
