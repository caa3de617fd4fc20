"""genai-prices' provider and model for a (provider, model name), resolved once and reused (docs/cost.md).

``genai_prices.calc_price`` finds the model, picks its prices for the current time and prices the usage;
the last step is the expensive one (0.4-0.6 ms). This module keeps what does not change from one usage
to the next, so a new usage costs one ``ModelInfo.calc_price`` (genai-prices' own per-model calculation,
the same call ``calc_price`` makes) plus one ``ModelPrice.calc_price`` per cache part:

- the provider and ``ModelInfo`` per (provider id, model name) and price-data snapshot (an LRU of
  ``MODELS_CACHED``); prices are still picked per call, so dated and time-of-day prices stay exact;
- per resolved ``ModelPrice``: the cache-read and cache-write views of it (every other price zero);
- per model and usage *shape* (which counts are given, which are positive): the priced counts the usage
  leaves out, which genai-prices infers (0, or a ValueError when more specific counts are given). The
  inference depends only on that shape, so genai-prices makes it once per shape and the zeros are given
  explicitly afterwards; a count it would reject is never filled, so the error stays genai-prices'.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from decimal import Decimal
from typing import Any, Final

__all__ = ["MODELS_CACHED", "PricedModel", "priced_model"]

MODELS_CACHED: Final = 1024  # (provider, model name) entries
_SHAPES_CACHED: Final = 256  # usage shapes per model
_PRICES_CACHED: Final = 16  # resolved price sets per model (dated / time-of-day prices)

_models: OrderedDict[tuple[str, str], tuple[Any, PricedModel | None]] = OrderedDict()
_models_lock = threading.Lock()


class PricedModel:
    """One genai-prices model of one provider: prices usages with genai-prices' own arithmetic."""

    __slots__ = ("_auto_update", "_fills", "_model", "_parts", "_priced_keys", "_provider")

    def __init__(self, genai: Any, snapshot: Any, provider: Any, model: Any) -> None:
        self._provider = provider
        self._model = model
        self._auto_update = snapshot.timestamp if snapshot.from_auto_update else None
        self._priced_keys = _priced_usage_keys(genai, model)
        # Plain dicts: a get or a set is atomic, and a race only computes an entry twice.
        self._fills: dict[tuple[tuple[str, bool], ...], dict[str, Any]] = {}
        self._parts: dict[int, tuple[Any, Any, Any]] = {}

    def price(self, genai: Any, counts: dict[str, int]) -> tuple[Any, Decimal, Decimal]:
        """genai-prices' ``PriceCalculation`` of ``counts`` now, and its cache-read and cache-write parts
        (each ``counts`` priced by genai-prices under only that cache's prices). Raises its ValueError."""
        usage = genai.Usage(**counts, **self._fill(genai, counts))
        calc = self._model.calc_price(usage, self._provider, auto_update_timestamp=self._auto_update)
        cache_read = cache_write = Decimal(0)
        if counts.get("cache_read_tokens") or counts.get("cache_write_tokens"):
            _, read_prices, write_prices = self._cache_views(calc.model_price)
            if counts.get("cache_read_tokens"):
                cache_read = Decimal(read_prices.calc_price(usage)["total_price"])
            if counts.get("cache_write_tokens"):
                cache_write = Decimal(write_prices.calc_price(usage)["total_price"])
        return calc, cache_read, cache_write

    def _fill(self, genai: Any, counts: dict[str, int]) -> dict[str, Any]:
        shape = tuple((key, value > 0) for key, value in counts.items())
        fill = self._fills.get(shape)
        if fill is None:
            probe = genai.Usage(**counts)
            fill = {}
            for key in self._priced_keys - counts.keys():
                try:
                    value = getattr(probe, key)
                except (ValueError, AttributeError):
                    continue  # genai-prices rejects this usage (or does not read the key): left to it
                if value == 0:
                    fill[key] = value
            if len(self._fills) >= _SHAPES_CACHED:
                self._fills.clear()
            self._fills[shape] = fill
        return fill

    def _cache_views(self, model_price: Any) -> tuple[Any, Any, Any]:
        views = self._parts.get(id(model_price))
        if views is None or views[0] is not model_price:
            views = (model_price, _only(model_price, "_read"), _only(model_price, "_write"))
            if len(self._parts) >= _PRICES_CACHED:
                self._parts.clear()
            self._parts[id(model_price)] = views
        return views


def priced_model(genai: Any, provider_id: str, ref: str) -> PricedModel | None:
    """The model ``ref`` of genai-prices' provider ``provider_id`` in its current price data; ``None`` when
    genai-prices does not know it (``LookupError``)."""
    snapshot = genai.data_snapshot.get_snapshot()
    key = (provider_id, ref)
    with _models_lock:
        entry = _models.get(key)
        if entry is not None and entry[0] is snapshot:
            _models.move_to_end(key)
            return entry[1]
    try:
        provider, model = snapshot.find_provider_model(ref, None, provider_id, None)
    except LookupError:
        found = None
    else:
        found = PricedModel(genai, snapshot, provider, model)
    with _models_lock:
        _models[key] = (snapshot, found)
        _models.move_to_end(key)
        while len(_models) > MODELS_CACHED:
            _models.popitem(last=False)
    return found


def cached_models() -> int:
    """How many (provider, model name) entries are cached."""
    return len(_models)


def _only(model_price: Any, kind: str) -> Any:
    """``model_price`` with every price but the cache prices of ``kind`` (``_read`` / ``_write``) set to zero:
    the same units are priced, so genai-prices splits a usage exactly as for the total."""
    prices = {
        key: value if key.startswith("cache_") and kind in key else Decimal(0)
        for key, value in vars(model_price).items()
        if value is not None and not key.startswith("_")
    }
    return type(model_price)(**prices)


def _priced_usage_keys(genai: Any, model: Any) -> frozenset[str]:
    """The usage keys any price set of ``model`` prices (empty, so nothing is filled, if genai-prices'
    unit registry is not where this version expects it)."""
    try:
        from genai_prices.units import _get_registry  # type: ignore[import-not-found, unused-ignore]

        registry = _get_registry()
        price_sets = [model.prices] if isinstance(model.prices, genai.types.ModelPrice) else [
            conditional.prices for conditional in model.prices
        ]  # fmt: skip
        price_sets += [variant.prices for variant in model.price_variants or ()]
        keys = set()
        for prices in price_sets:
            for price_key, value in vars(prices).items():
                if value is not None and not price_key.startswith("_"):
                    try:
                        keys.add(registry.unit_for_price_key(price_key).usage_key)
                    except KeyError:
                        continue
        return frozenset(keys)
    except (ImportError, AttributeError, TypeError):
        return frozenset()
