"""From a ``ModelSpec`` to the adapter that speaks its provider's API, and the model id to send."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from modelwire.providers._base import HttpAdapter
from modelwire.providers.catalog import lookup_provider

if TYPE_CHECKING:
    from modelwire.config import ModelSpec
    from modelwire.providers.protocol import ModelClient

__all__ = ["ADAPTERS", "Adapter", "adapter_builder", "client_from_spec", "model_id_for"]

Adapter = HttpAdapter
# The catalog's ``adapter`` value -> (module, class) of the adapter whose ``from_spec`` builds it; a new
# provider adds one line here. A module is imported when a spec first needs it, so a client loads only
# the adapters (and their translation and parsers) its chain uses.
ADAPTERS: Final[dict[str, tuple[str, str]]] = {
    "openai": ("modelwire.providers.openai_compatible", "OpenAICompatibleClient"),
    "azure": ("modelwire.providers.azure", "AzureOpenAIClient"),
    "anthropic": ("modelwire.providers.anthropic", "AnthropicClient"),
    "bedrock": ("modelwire.providers.bedrock", "BedrockClient"),
    "gemini": ("modelwire.providers.gemini", "GeminiClient"),
    "vertex": ("modelwire.providers.gemini", "VertexClient"),
}


def adapter_builder(adapter: str) -> Callable[..., HttpAdapter]:
    """``from_spec`` of the adapter class the catalog's ``adapter`` value names (imported on first use)."""
    module, name = ADAPTERS[adapter]
    build: Callable[..., HttpAdapter] = getattr(importlib.import_module(module), name).from_spec
    return build


def client_from_spec(spec: ModelSpec, **overrides: Any) -> Adapter:
    """The adapter for ``spec``: the catalog's choice for a known provider, ``OpenAICompatibleClient`` for
    anything else (which then needs ``api_base``). ``overrides`` go to the adapter's ``from_spec``."""
    info = lookup_provider(spec.provider_name)
    return adapter_builder(info.adapter if info is not None else "openai")(spec, **overrides)


def _implements_model_client(client: Adapter) -> ModelClient:
    return client  # mypy checks here that every adapter satisfies the ModelClient protocol


def model_id_for(spec: ModelSpec) -> str:
    """The ``model`` to send, as routed when the spec was built: ``spec.name`` without its provider prefix
    when that prefix is a known provider (or the spec's explicit ``provider``), else the whole name
    (``meta-llama/Llama-3.1-8B`` on a vLLM ``api_base`` keeps its organisation)."""
    return spec.model_id
