"""Provider adapters implementing ``ModelClient``: OpenAI-compatible (any base URL), Azure OpenAI,
Anthropic Messages, Bedrock Converse, Gemini and Vertex AI, sync and async: one ``HttpAdapter`` driven by
one declarative ``Dialect`` per provider (docs/providers.md: how to add one).

    client = OpenAICompatibleClient(provider="groq")                  # key from GROQ_API_KEY
    client = AnthropicClient(api_key=..., max_concurrency=16)
    client = BedrockClient(region="us-east-1")                        # botocore's credential chain
    client = client_from_spec(ModelSpec(name="anthropic/claude-sonnet-4-5"))
    response = client.completion(ChatCompletionRequest(model=..., messages=[...]))
"""

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
