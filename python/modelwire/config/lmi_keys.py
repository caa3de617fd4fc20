"""LMI's own config keys, given their LMI meaning instead of being sent to a provider.

- ``rate_limit`` (tokens) and ``request_limit`` (requests): LMI's limit strings, ``"<count> [per|/] [n]
  <second|minute|hour|day|month|year>"`` (``"100/minute"``, ``"20 per 3 second"``), become
  ``tokens_per_minute`` / ``requests_per_minute``. On a model (flat, or inside ``extra_params``) they are
  strings; on a LiteLLMModel-style config dict they are ``{model name: string}`` (or one string for every
  model), as LMI keys them.
- ``tool_parser`` and ``response_validator`` live on the chain (``LLMConfig``); found among a model's
  request parameters they are an error naming them, never a body field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

from pydantic_core import PydanticCustomError

__all__ = ["CHAIN_CALLABLES", "LIMIT_KEYS", "lift_model_limits", "per_minute"]

# LMI key -> ModelSpec field.
LIMIT_KEYS: Final = {"rate_limit": "tokens_per_minute", "request_limit": "requests_per_minute"}
CHAIN_CALLABLES: Final = ("tool_parser", "response_validator")

# The periods of the ``limits`` package LMI parses with (a month is 30 days, a year 12 months).
_SECONDS: Final = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "month": 2592000, "year": 31104000}
_LIMIT: Final = re.compile(
    r"^\s*(\d+)\s*(?:/|\s+per\s+)\s*(\d+)?\s*(second|minute|hour|day|month|year)s?\s*$", re.IGNORECASE
)


def per_minute(value: Any, key: str) -> int:
    """A limit as a whole number per minute (rounded down, so it never allows more than LMI's)."""
    if isinstance(value, int) and not isinstance(value, bool):
        count, seconds = value, 60  # a bare number: per minute, as modelwire's own fields count
    elif isinstance(value, str) and (match := _LIMIT.match(value)):
        count = int(match[1])
        seconds = int(match[2] or 1) * _SECONDS[match[3].lower()]
    else:
        raise PydanticCustomError(
            "lmi_limit",
            "{key}={value!r} is not an LMI limit: expected '<count> [per|/] [n] "
            "<second|minute|hour|day|month|year>', e.g. '100/minute' or '20 per 3 second'",
            {"key": key, "value": value},
        )
    rate = count * 60 / seconds
    if rate < 1:
        raise PydanticCustomError(
            "lmi_limit",
            "{key}={value!r} is {rate:.3g} per minute; modelwire's limits are per minute and at least 1: "
            "give a limit of at least one a minute",
            {"key": key, "value": value, "rate": rate},
        )
    return math.floor(rate)


def lift_model_limits(data: dict[str, Any]) -> dict[str, Any]:
    """A ModelSpec input with LMI's limit keys (top level or in ``extra_params``) turned into its limit
    fields; the chain's callables found among the request parameters are refused by name."""
    params = data.get("extra_params")
    params = dict(params) if isinstance(params, Mapping) else None
    if params is not None:
        misplaced = [k for k in CHAIN_CALLABLES if k in params]
        if misplaced:
            raise PydanticCustomError(
                "chain_callable",
                "extra_params.{names} is set on the LLMConfig (the chain), e.g. LLMConfig(models=[...], "
                "{first}=...), not as a request parameter",
                {"names": "/".join(misplaced), "first": misplaced[0]},
            )
    found = {k: data[k] for k in LIMIT_KEYS if k in data}
    if params is not None:
        found.update({k: params.pop(k) for k in LIMIT_KEYS if k in params})
    if not found:
        return data
    out = {k: v for k, v in data.items() if k not in LIMIT_KEYS}
    if params is not None:
        out["extra_params"] = params
    for key, value in found.items():
        field = LIMIT_KEYS[key]
        limit = per_minute(value, key)
        given = out.get(field, out.get("tpm" if field == "tokens_per_minute" else "rpm"))
        if given is not None and given != limit:
            raise PydanticCustomError(
                "conflicting_limits",
                "{key}={value!r} ({limit}/min) conflicts with {field}={given}: give one",
                {"key": key, "value": value, "limit": limit, "field": field, "given": given},
            )
        out[field] = limit
    return out


def chain_limits(value: Any, key: str, names: Mapping[str, str]) -> dict[str, Any]:
    """LMI's chain-level ``rate_limit``/``request_limit`` (``{name: limit}`` or one limit for all) as
    ``{model name: per-minute limit}``; ``names`` maps LMI's keys (legacy ``model_name``s) to model names.
    ``"*"`` stands for every model."""
    if not isinstance(value, Mapping):
        return {"*": per_minute(value, key)}
    return {names.get(str(k), str(k)): per_minute(v, f"{key}[{k!r}]") for k, v in value.items()}
