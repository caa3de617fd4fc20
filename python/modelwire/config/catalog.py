"""Known providers: default base URL, where the API key (and base URL) come from, and which adapter speaks
their API. Names follow LiteLLM's prefixes (``groq/llama-3.3-70b``), with its aliases.

The data sits in the config layer because a ``ModelSpec`` is routed when it is built (see
:mod:`modelwire.config.routing`); ``modelwire.providers.catalog`` re-exports it for the adapters.

A key is looked up in the environment only for a provider named here, and only in that provider's own
variables: a custom base URL never receives ``OPENAI_API_KEY`` unless it is configured as ``openai``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["NOT_SUPPORTED_YET", "PROVIDERS", "ProviderInfo", "api_base_for", "env_value", "lookup_provider"]

Adapter = Literal["openai", "azure", "anthropic", "bedrock", "gemini", "vertex"]


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """``base_url`` None means the provider has no fixed address (vLLM, Azure): ``api_base`` is required.
    ``key_required``: a request without a key cannot succeed at the default address (local servers such as
    Ollama take none)."""

    name: str
    adapter: Adapter
    base_url: str | None
    key_env: tuple[str, ...] = ()
    base_url_env: tuple[str, ...] = ()
    key_required: bool = True
    aliases: tuple[str, ...] = ()
    # Appended to a base URL given without it: LiteLLM's Ollama bases are the server root
    # (http://localhost:11434), its OpenAI-compatible API lives under /v1.
    base_suffix: str = ""


def _p(
    name: str,
    base_url: str | None,
    key_env: tuple[str, ...],
    *,
    adapter: Adapter = "openai",
    base_url_env: tuple[str, ...] = (),
    key_required: bool = True,
    aliases: tuple[str, ...] = (),
    base_suffix: str = "",
) -> ProviderInfo:
    return ProviderInfo(name, adapter, base_url, key_env, base_url_env, key_required, aliases, base_suffix)


_ALL: Final = (
    _p("openai", "https://api.openai.com/v1", ("OPENAI_API_KEY",), base_url_env=("OPENAI_BASE_URL",)),
    _p(
        "azure",
        None,
        ("AZURE_OPENAI_API_KEY", "AZURE_API_KEY"),
        adapter="azure",
        base_url_env=("AZURE_OPENAI_ENDPOINT", "AZURE_API_BASE"),
        aliases=("azure_openai", "azure_ai"),
    ),
    _p(
        "anthropic",
        "https://api.anthropic.com",
        ("ANTHROPIC_API_KEY",),
        adapter="anthropic",
        base_url_env=("ANTHROPIC_BASE_URL",),
    ),
    # Bedrock Runtime: the address follows the region, credentials come from botocore's chain (the
    # adapter's signer), and a Bedrock API key from AWS_BEARER_TOKEN_BEDROCK; none is "required" here.
    _p(
        "bedrock",
        None,
        (),
        adapter="bedrock",
        key_required=False,
        aliases=("bedrock_converse", "aws_bedrock"),
    ),
    _p("groq", "https://api.groq.com/openai/v1", ("GROQ_API_KEY",)),
    _p("openrouter", "https://openrouter.ai/api/v1", ("OPENROUTER_API_KEY",)),
    _p(
        "together",
        "https://api.together.xyz/v1",
        ("TOGETHER_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_AI_API_KEY"),
        aliases=("together_ai",),
    ),
    _p("deepseek", "https://api.deepseek.com", ("DEEPSEEK_API_KEY",)),
    _p("mistral", "https://api.mistral.ai/v1", ("MISTRAL_API_KEY",)),
    _p("xai", "https://api.x.ai/v1", ("XAI_API_KEY",)),
    _p("cerebras", "https://api.cerebras.ai/v1", ("CEREBRAS_API_KEY",)),
    _p(
        "fireworks",
        "https://api.fireworks.ai/inference/v1",
        ("FIREWORKS_API_KEY", "FIREWORKS_AI_API_KEY", "FIREWORKSAI_API_KEY"),
        aliases=("fireworks_ai",),
    ),
    _p("perplexity", "https://api.perplexity.ai", ("PERPLEXITY_API_KEY", "PERPLEXITYAI_API_KEY")),
    _p(
        "nvidia",
        "https://integrate.api.nvidia.com/v1",
        ("NVIDIA_API_KEY", "NVIDIA_NIM_API_KEY"),
        base_url_env=("NVIDIA_NIM_API_BASE",),
        aliases=("nvidia_nim", "nim"),
    ),
    _p(
        "gemini",
        "https://generativelanguage.googleapis.com/v1beta",
        ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        adapter="gemini",
        base_url_env=("GEMINI_API_BASE",),
        aliases=("google", "google_ai_studio"),
    ),
    # Vertex AI: OAuth bearer tokens (ADC), project and location from the spec or the environment.
    _p("vertex_ai", None, (), adapter="vertex", key_required=False, aliases=("vertex", "vertex_ai_beta")),
    _p(
        "huggingface",
        "https://router.huggingface.co/v1",
        ("HF_TOKEN", "HUGGINGFACE_API_KEY"),
        aliases=("hf",),
    ),
    _p("moonshot", "https://api.moonshot.ai/v1", ("MOONSHOT_API_KEY",)),
    _p("sambanova", "https://api.sambanova.ai/v1", ("SAMBANOVA_API_KEY",)),
    _p("deepinfra", "https://api.deepinfra.com/v1/openai", ("DEEPINFRA_API_KEY",)),
    _p(
        "ollama",
        "http://localhost:11434/v1",
        ("OLLAMA_API_KEY",),
        base_url_env=("OLLAMA_API_BASE",),
        key_required=False,
        aliases=("ollama_chat",),
        base_suffix="/v1",
    ),
    _p("lm_studio", "http://localhost:1234/v1", ("LM_STUDIO_API_KEY",), key_required=False),
    _p(
        "vllm",
        None,
        ("VLLM_API_KEY", "HOSTED_VLLM_API_KEY"),
        base_url_env=("HOSTED_VLLM_API_BASE",),
        key_required=False,
        aliases=("hosted_vllm",),
    ),
)

PROVIDERS: Final[Mapping[str, ProviderInfo]] = {
    name: info for info in _ALL for name in (info.name, *info.aliases)
}


# LiteLLM prefixes with no adapter here (yet): what to use instead. A prefix found here is refused when the
# config is built, whatever the catalog says, so an adapter landing flips its prefix by deleting one line
# (and adding its catalog entry).
NOT_SUPPORTED_YET: Final[Mapping[str, str]] = {
    "text-completion-openai": "the legacy /completions API is not supported; use openai/<model> "
    "(Chat Completions)",
    "text-completion-codestral": "the legacy /completions API is not supported; use mistral/<model>",
    "sagemaker": "SageMaker endpoints are not supported; serve the model behind an OpenAI-compatible "
    "server (openai/<model> with api_base=)",
    "cohere": "Cohere's native API is not supported; use its OpenAI-compatible endpoint: "
    "openai/<model> with api_base='https://api.cohere.ai/compatibility/v1' and api_key_env='COHERE_API_KEY'",
    "cohere_chat": "Cohere's native API is not supported; use its OpenAI-compatible endpoint: "
    "openai/<model> with api_base='https://api.cohere.ai/compatibility/v1' and api_key_env='COHERE_API_KEY'",
    "replicate": "Replicate's API is not supported; use openai/<model> with an OpenAI-compatible api_base",
    "watsonx": "watsonx is not supported; use openai/<model> with an OpenAI-compatible api_base",
    "palm": "PaLM is retired; use gemini/<model>",
}


def api_base_for(info: ProviderInfo | None, base: str | None) -> str | None:
    """``base`` as the adapter needs it: the provider's API path appended when it was left out."""
    if base is None or info is None or not info.base_suffix:
        return base
    trimmed = base.rstrip("/")
    return trimmed if trimmed.endswith(info.base_suffix) else trimmed + info.base_suffix


def lookup_provider(name: str | None) -> ProviderInfo | None:
    """The catalog entry for ``name`` or one of its aliases (case-insensitive); None when unknown."""
    return None if name is None else PROVIDERS.get(name.lower())


def env_value(names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """``(value, variable)`` of the first of ``names`` set to a non-empty value, or ``(None, None)``."""
    for name in names:
        value = os.environ.get(name)
        if value and value.strip():
            return value.strip(), name
    return None, None
