"""Provider adapters implementing ``ModelClient``: OpenAI-compatible (any base URL), Azure OpenAI and
Anthropic Messages, sync and async, built on the request, transport, parsing and errors layers.

    client = OpenAICompatibleClient(provider="groq")                  # key from GROQ_API_KEY
    client = AnthropicClient(api_key=..., max_concurrency=16)
    client = client_from_spec(ModelSpec(name="anthropic/claude-sonnet-4-5"))
    response = client.completion(ChatCompletionRequest(model=..., messages=[...]))
"""

from modelwire.providers._base import HttpAdapter, PreparedRequest
from modelwire.providers.anthropic import AnthropicClient
from modelwire.providers.azure import AzureOpenAIClient
from modelwire.providers.catalog import PROVIDERS, ProviderInfo, lookup_provider
from modelwire.providers.factory import Adapter, client_from_spec, model_id_for
from modelwire.providers.openai_compatible import OpenAICompatibleClient
from modelwire.providers.protocol import ModelClient

__all__ = [
    "PROVIDERS",
    "Adapter",
    "AnthropicClient",
    "AzureOpenAIClient",
    "HttpAdapter",
    "ModelClient",
    "OpenAICompatibleClient",
    "PreparedRequest",
    "ProviderInfo",
    "client_from_spec",
    "lookup_provider",
    "model_id_for",
]
