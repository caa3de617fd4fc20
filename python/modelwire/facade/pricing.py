"""The price of a response: the user's ``ModelSpec.price``, else genai-prices' ``calc_price`` (docs/cost.md).

genai-prices (``pip install 'modelwire[cost]'``) is imported on the first response that it could price,
never by ``import modelwire``. Without it every ``cost`` is ``None`` and one DEBUG line on
``modelwire.cost`` says why. A model genai-prices does not know, a server it cannot name (a custom
OpenAI-compatible base URL, vLLM, Ollama) and usage it rejects all give ``None``: a price is never guessed.
"""

from __future__ import annotations

import functools
import logging
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from modelwire.facade.price_models import priced_model
from modelwire.types import Cost, Usage

if TYPE_CHECKING:
    from modelwire.config import ModelPrice, ModelSpec

__all__ = ["GENAI_PRICES_PROVIDERS", "price_of", "usage_for_genai_prices", "user_cost"]

logger = logging.getLogger("modelwire.cost")

# Catalog provider -> genai-prices provider id. Providers that serve other people's weights on the
# user's own hardware (vllm, ollama, lm_studio, ...) have no price, so they are absent.
GENAI_PRICES_PROVIDERS: Final = {
    "openai": "openai",
    "azure": "azure",
    "anthropic": "anthropic",
    "bedrock": "aws",
    "gemini": "google",
    "vertex": "google",
    "vertex_ai": "google",
    "vertex_ai_beta": "google",
    "groq": "groq",
    "mistral": "mistral",
    "deepseek": "deepseek",
    "xai": "x-ai",
    "cerebras": "cerebras",
    "fireworks": "fireworks",
    "perplexity": "perplexity",
    "together": "together",
    "moonshot": "moonshotai",
    "openrouter": "openrouter",
}

# Our Usage field -> genai-prices usage key, where the names differ (the others are the same).
_RENAMED: Final = {"reasoning_tokens": "output_reasoning_tokens"}
# Every token count Usage declares is a genai-prices usage key, except the total (the sum of the others).
_COUNTS: Final = tuple(n for n in Usage.__slots__ if n.endswith("_tokens") and n != "total_tokens")
_MILLION: Final = Decimal(1_000_000)

_genai: Any = None  # the genai_prices module once imported; False when it is not installed


def _genai_prices() -> Any:
    global _genai
    if _genai is None:
        try:
            import genai_prices  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            logger.debug(
                "modelwire: responses are not priced (cost is None): genai-prices is not installed (%s); "
                "pip install 'modelwire[cost]', or give ModelSpec(price=...)",
                exc,
            )
            _genai = False
        else:
            _genai = genai_prices
    return _genai


def usage_for_genai_prices(usage: Usage) -> dict[str, int]:
    """The counts of ``usage`` under genai-prices' usage keys (absent counts left out)."""
    counts: dict[str, int] = {}
    for name in _COUNTS:
        value = getattr(usage, name)
        if value is not None:
            counts[_RENAMED.get(name, name)] = value
    return counts


def price_of(spec: ModelSpec, model_id: str, response: Any) -> Cost | None:
    """What ``response`` (chat, embeddings or images, from ``spec``) cost; ``None`` when unknown."""
    usage: Usage | None = response.usage
    if usage is None or usage.input_tokens is None:
        return None
    if spec.price is not None:
        return user_cost(spec.price, usage)
    provider = GENAI_PRICES_PROVIDERS.get(spec.route.provider or "")
    if provider is None:
        return None
    genai = _genai_prices()
    if not genai:
        return None
    refs = [ref for ref in (response.model, model_id) if ref]
    for ref in dict.fromkeys(refs):
        cost = _genai_cost(genai, usage, ref, provider)
        if cost is not None:
            return cost
    logger.debug("modelwire: no price for %s (provider %s) in genai-prices: cost is None", refs, provider)
    return None


def _genai_cost(genai: Any, usage: Usage, ref: str, provider: str) -> Cost | None:
    counts = usage_for_genai_prices(usage)
    # Keyed by the minute too: prices change by date and, for some providers, by the time of day (on
    # whole minutes), so an entry never outlives the minute whose prices it holds.
    cost = _genai_cost_of(genai, tuple(counts.items()), ref, provider, int(time.time() // 60))
    # A copy: the cached Cost is shared by every response of the same model and counts.
    return None if cost is None else Cost(*(getattr(cost, name) for name in Cost.__slots__[:5]),
                                          source=cost.source, version=cost.version)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _genai_cost_of(
    genai: Any, key: tuple[tuple[str, int], ...], ref: str, provider: str, minute: int
) -> Cost | None:
    """genai-prices' price of these counts at the current time (cached: a new usage costs 0.2-0.6 ms to
    price, and a workload repeats its usages)."""
    model = priced_model(genai, provider, ref)
    if model is None:
        return None  # genai-prices does not know this model
    counts = dict(key)
    try:
        calc, cache_read, cache_write = model.price(genai, counts)
    except ValueError as exc:  # usage it cannot decompose (parts larger than their total)
        logger.debug("modelwire: genai-prices cannot price %s for %s: %s", counts, ref, exc)
        return None
    version = str(genai.__version__)
    if calc.auto_update_timestamp is not None:
        version += f" (prices updated {calc.auto_update_timestamp.isoformat()})"
    return Cost(
        float(calc.total_price),
        float(calc.input_price - cache_read - cache_write),
        float(calc.output_price),
        float(cache_read),
        float(cache_write),
        source="genai-prices",
        version=version,
    )


def user_cost(price: ModelPrice, usage: Usage) -> Cost:
    """``usage`` at the user's price: uncached input at ``input``, cache reads at ``cache_read``, cache
    writes at ``cache_write`` (1-hour ones at ``cache_write_1h``); a cache price not given is ``input``."""
    per_token = {
        name: Decimal(str(value)) / _MILLION
        for name, value in price.model_dump().items()
        if value is not None
    }
    read = usage.cache_read_tokens or 0
    written = usage.cache_write_tokens or 0
    written_1h = (usage.cache_write_1h_tokens or 0) if "cache_write_1h" in per_token else 0
    uncached = max((usage.input_tokens or 0) - read - written, 0)
    write_rate = per_token.get("cache_write", per_token["input"])
    parts = (
        uncached * per_token["input"],
        (usage.output_tokens or 0) * per_token["output"],
        read * per_token.get("cache_read", per_token["input"]),
        (written - written_1h) * write_rate + written_1h * per_token.get("cache_write_1h", write_rate),
    )
    return Cost(float(sum(parts)), *(float(part) for part in parts), source="user")
