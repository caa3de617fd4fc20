"""Which provider serves a model name, decided when the ``ModelSpec`` is built (as LiteLLM decides it).

In order:

1. an explicit ``provider`` (a catalog name or alias; any other name is a custom OpenAI-compatible server
   and needs ``api_base``);
2. a ``provider/`` prefix that the catalog knows (``groq/llama-3.3-70b``, ``hosted_vllm/...``,
   ``together_ai/...``); a LiteLLM prefix with no adapter here yet (``bedrock/``, ``vertex_ai/``, ...) is
   refused with what to use instead (:data:`modelwire.config.catalog.NOT_SUPPORTED_YET`);
3. a bare name of a known model family: LiteLLM's rules for the providers it names by family
   (:data:`FAMILIES`: ``gpt-*``, ``o1``/``o3``/``o4*``, ``claude-*``, ``gemini-*``, ...), then, when the
   optional ``genai-prices`` package is installed, its model matching for the catalog's other providers;
4. any other name with ``api_base``: a custom OpenAI-compatible server, sent the whole name
   (``meta-llama/Llama-3.1-8B`` keeps its organisation).

Anything else cannot be routed and fails validation, naming the model and these forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from modelwire.config.catalog import NOT_SUPPORTED_YET, api_base_for, lookup_provider

__all__ = ["FAMILIES", "Route", "RoutingError", "route"]


@dataclass(frozen=True, slots=True)
class Route:
    """``provider``: the catalog name (``None``: a custom OpenAI-compatible server); ``model_id``: the model
    as that provider knows it; ``api_base``: the configured base, completed where the provider needs it."""

    provider: str | None
    model_id: str
    api_base: str | None


class RoutingError(ValueError):
    """A model name no provider serves (or one whose provider has no adapter here yet)."""


# Bare names by family, as LiteLLM routes them (its provider lists and prefix rules), first match wins.
_FAMILY_PATTERNS: Final = (
    (
        r"(gpt-|chatgpt-|text-embedding-|dall-e-|gpt-image-|omni-moderation|text-moderation|whisper-|tts-"
        r"|codex-|computer-use-)|o[134](-|$)",
        "openai",
    ),
    (r"claude-", "anthropic"),
    (r"gemini-", "gemini"),
    (
        r"(mistral-|ministral-|codestral-|pixtral-|magistral-|devstral-|open-mistral-|open-mixtral-)",
        "mistral",
    ),
    (r"deepseek-", "deepseek"),
    (r"grok-", "xai"),
    (r"sonar(-|$)", "perplexity"),
    (r"(moonshot-|kimi-)", "moonshot"),
)
FAMILIES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), provider) for pattern, provider in _FAMILY_PATTERNS
)

# genai-prices' provider ids -> catalog names, for the providers both know (others are not routed by it).
_GENAI_PRICES: Final = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gemini",
    "groq": "groq",
    "mistral": "mistral",
    "deepseek": "deepseek",
    "x-ai": "xai",
    "cerebras": "cerebras",
    "fireworks": "fireworks",
    "perplexity": "perplexity",
    "together": "together",
    "moonshotai": "moonshot",
}

ACCEPTED_FORMS: Final = (
    "'provider/model' with a known provider (openai/, anthropic/, gemini/, groq/, hosted_vllm/, "
    "ollama_chat/, together_ai/, azure/, ...), a bare name of a known family (gpt-*, o1/o3/o4*, "
    "chatgpt-*, text-embedding-*, dall-e-*, gpt-image-*, claude-*, gemini-*, mistral-*, deepseek-*, "
    "grok-*, ...), or any name with api_base= for an OpenAI-compatible server"
)


def _family(name: str) -> str | None:
    lowered = name.lower()
    for pattern, provider in FAMILIES:
        if pattern.match(lowered):
            return provider
    return _genai_prices_family(lowered)


def _genai_prices_family(name: str) -> str | None:
    """genai-prices' model matching (a maintained table of model names per provider), when installed."""
    try:
        from genai_prices.data_snapshot import get_snapshot  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    try:
        found = get_snapshot().find_provider(name, None, None)
    except LookupError:
        return None
    return _GENAI_PRICES.get(str(found.id))


def _refuse(name: str, why: str) -> RoutingError:
    return RoutingError(f"model {name!r}: {why}")


def route(name: str, provider: str | None = None, api_base: str | None = None) -> Route:
    """The route of ``name`` (see the module docstring); raises ``RoutingError`` saying what to write."""
    prefix, sep, rest = name.partition("/")
    if provider is not None:
        if provider.lower() in NOT_SUPPORTED_YET:
            raise _refuse(name, f"not supported yet: {NOT_SUPPORTED_YET[provider.lower()]}")
        info = lookup_provider(provider)
        model_id = rest if sep and prefix == provider else name
        if info is not None:
            return Route(info.name, model_id, api_base_for(info, api_base))
        if api_base is None:
            raise _refuse(
                name,
                f"provider {provider!r} is not a known provider: give api_base= for its OpenAI-compatible "
                "server, or a known provider",
            )
        return Route(None, model_id, api_base)
    if sep:
        if prefix.lower() in NOT_SUPPORTED_YET:
            raise _refuse(name, f"not supported yet: {NOT_SUPPORTED_YET[prefix.lower()]}")
        info = lookup_provider(prefix)
        if info is not None:
            return Route(info.name, rest, api_base_for(info, api_base))
    else:
        family = _family(name)
        if family is not None:
            info = lookup_provider(family)
            return Route(family, name, api_base_for(info, api_base))
    if api_base is not None:
        return Route(None, name, api_base)
    why = f"unknown provider prefix {prefix!r}" if sep else "no known provider serves this bare name"
    raise _refuse(name, f"{why}; accepted forms: {ACCEPTED_FORMS}")
