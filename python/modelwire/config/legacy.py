"""The legacy LiteLLM Router dict, turned into an ordered chain with LMI's rules, and nothing lost silently.

Shape: ``{"model_list": [{"model_name", "litellm_params": {...}], "fallbacks": [{name: [names]}],
"router_kwargs": {...}``. The chain is the first ``model_list`` entry, then its fallbacks, then the other
entries in list order (LMI's rule). ``router_kwargs.timeout`` / ``num_retries`` /
``default_max_parallel_requests`` are per-model defaults, and a Redis given there shares the limits.

Where LMI was silent, this module is not: ``num_retries`` inside ``litellm_params`` sets the model's
retries; every key that has no meaning here is named in one warning; a fallback naming an unknown model
and a bad entry are validation errors that give the path of the offending field.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote

import pydantic
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from modelwire.config.spec import ModelSpec
from modelwire.exceptions import ModelwireWarning

__all__ = ["ROUTER_KEYS", "is_router_dict", "models_from_router_dict", "warn"]

_INTERNAL_PREFIXES: Final = (os.path.dirname(__file__), os.path.dirname(pydantic.__file__))

ROUTER_KEYS: Final = frozenset({"model_list", "fallbacks", "router_kwargs"})

# litellm_params key -> ModelSpec field. Every other key is a request parameter (extra_params).
_PARAM_FIELDS: Final = {
    "model": "name",
    "api_base": "api_base",
    "base_url": "api_base",
    "api_key": "api_key",
    "api_version": "api_version",
    "timeout": "timeout",
    "max_retries": "max_retries",
    "num_retries": "max_retries",
    "rpm": "requests_per_minute",
    "tpm": "tokens_per_minute",
    "max_parallel_requests": "max_concurrency",
    "custom_llm_provider": "provider",
    "extra_headers": "extra_headers",
    "extra_body": "extra_body",
}
# litellm_params keys that configure LiteLLM itself, not the request: sending them would be wrong.
_PARAM_IGNORED: Final = frozenset(
    {"stream_timeout", "mock_response", "input_cost_per_token", "output_cost_per_token"}
)
# Keys of a model_list entry besides model_name and litellm_params. model_info is LiteLLM's metadata
# (cost, context size) and configures nothing here, so it is passed over without a warning.
_ENTRY_FIELDS: Final = {"rpm": "requests_per_minute", "tpm": "tokens_per_minute"}
_ENTRY_QUIET: Final = frozenset({"model_name", "litellm_params", "model_info"})
_ROUTER_DEFAULTS: Final = {
    "timeout": "timeout",
    "num_retries": "max_retries",
    "default_max_parallel_requests": "max_concurrency",
}
_ROUTER_REDIS: Final = ("redis_url", "redis_host", "redis_port", "redis_password")


def is_router_dict(value: Any) -> bool:
    return isinstance(value, dict) and "model_list" in value


def _error(path: str, message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError("legacy_config", f"{path}: {message}", context or None)


def warn(message: str) -> None:
    """Warn, pointing at the caller's line rather than at pydantic's or this package's internals."""
    frame = sys._getframe(1)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL_PREFIXES):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, ModelwireWarning, stacklevel=level)


def _warn_ignored(where: str, names: Iterable[str], why: str) -> None:
    ordered = sorted(names)
    if ordered:
        warn(f"modelwire ignores {where} {', '.join(repr(n) for n in ordered)}: {why}")


def models_from_router_dict(legacy: dict[str, Any], config_fields: Iterable[str]) -> dict[str, Any]:
    """``LLMConfig`` input (``{"models": [...], ...}``) from a legacy Router dict."""
    config_fields = set(config_fields)
    data: dict[str, Any] = {k: v for k, v in legacy.items() if k in config_fields}
    _warn_ignored(
        "the legacy config keys",
        set(legacy) - ROUTER_KEYS - config_fields,
        "they are neither Router keys (model_list, fallbacks, router_kwargs) nor LLMConfig fields",
    )
    router = legacy.get("router_kwargs") or {}
    if not isinstance(router, dict):
        raise _error("router_kwargs", "must be a dict, got {t}", t=type(router).__name__)
    fallbacks = legacy.get("fallbacks")
    if "fallbacks" in router:
        if fallbacks is not None:
            raise _error(
                "router_kwargs.fallbacks", "fallbacks are given twice (also at the top level): give one"
            )
        fallbacks = router["fallbacks"]

    defaults = {field: router[key] for key, field in _ROUTER_DEFAULTS.items() if router.get(key) is not None}
    redis = _redis_url(router)
    if redis is not None:
        if "shared_limits" in data:
            _warn_ignored(
                "router_kwargs", [k for k in _ROUTER_REDIS if k in router], "shared_limits is given"
            )
        else:
            data["shared_limits"] = {"url": redis}
    _warn_ignored(
        "router_kwargs",
        set(router) - set(_ROUTER_DEFAULTS) - set(_ROUTER_REDIS) - {"fallbacks"},
        "they configure LiteLLM's Router, which modelwire replaces "
        "(retries, backoff, fallbacks and limits come from the chain and its ModelSpecs)",
    )

    groups = _deployments(legacy.get("model_list"), defaults)
    order = _order(list(groups), _fallback_map(fallbacks, groups))
    data["models"] = [spec for name in order for spec in groups[name]]
    return data


def _deployments(model_list: Any, defaults: dict[str, Any]) -> dict[str, list[ModelSpec]]:
    if not isinstance(model_list, list) or not model_list:
        raise _error("model_list", "must be a non-empty list of {model_name, litellm_params} entries")
    groups: dict[str, list[ModelSpec]] = {}
    for i, entry in enumerate(model_list):
        path = f"model_list[{i}]"
        if not isinstance(entry, dict):
            raise _error(
                path, "must be a dict with model_name and litellm_params, got {t}", t=type(entry).__name__
            )
        name = entry.get("model_name")
        if not isinstance(name, str) or not name:
            raise _error(f"{path}.model_name", "missing (a non-empty string names the entry for fallbacks)")
        params = entry.get("litellm_params")
        if not isinstance(params, dict) or not params.get("model"):
            raise _error(f"{path}.litellm_params.model", "missing (the model string to call)")
        _warn_ignored(
            f"{path} keys", set(entry) - _ENTRY_QUIET - set(_ENTRY_FIELDS), "they configure nothing here"
        )
        groups.setdefault(name, []).append(_spec(path, entry, params, defaults))
    for name, specs in groups.items():
        if len(specs) > 1:
            warn(
                f"model_list has {len(specs)} deployments named {name!r}: modelwire does not load-balance, "
                "so they become consecutive entries of the chain, in list order"
            )
    return groups


def _spec(path: str, entry: dict[str, Any], params: dict[str, Any], defaults: dict[str, Any]) -> ModelSpec:
    fields: dict[str, Any] = dict(defaults)
    fields.update({_ENTRY_FIELDS[k]: v for k, v in entry.items() if k in _ENTRY_FIELDS})
    extra: dict[str, Any] = {}
    retries = {k: params[k] for k in ("max_retries", "num_retries") if k in params}
    if len({repr(v) for v in retries.values()}) > 1:
        raise _error(
            f"{path}.litellm_params", "max_retries and num_retries disagree ({v}): give one", v=retries
        )
    for key, value in params.items():
        if key in _PARAM_FIELDS:
            fields[_PARAM_FIELDS[key]] = value
        elif key not in _PARAM_IGNORED:
            extra[key] = value
    _warn_ignored(
        f"{path}.litellm_params", set(params) & _PARAM_IGNORED, "they configure LiteLLM, not the request"
    )
    fields["extra_params"] = extra
    try:
        return ModelSpec.model_validate(fields)
    except ValidationError as exc:
        reverse = {field: key for key, field in _PARAM_FIELDS.items() if key in params}
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            field = str(err["loc"][0]) if err["loc"] else ""
            if err["type"] == "model_route":
                field = "name"
            where = f"{path}.litellm_params.{reverse[field]}" if field in reverse else f"{path} ({field})"
            problems.append(f"{where}: {err['msg']}")
        raise PydanticCustomError("legacy_config", "; ".join(problems)) from None


def _fallback_map(fallbacks: Any, groups: dict[str, list[ModelSpec]]) -> dict[str, list[str]]:
    if fallbacks is None:
        return {}
    if isinstance(fallbacks, dict):
        fallbacks = [fallbacks]
    if not isinstance(fallbacks, list):
        raise _error(
            "fallbacks",
            "must be a list of {model_name: [fallback names]}, got {t}",
            t=type(fallbacks).__name__,
        )
    mapping: dict[str, list[str]] = {}
    for i, entry in enumerate(fallbacks):
        if not isinstance(entry, dict):
            raise _error(f"fallbacks[{i}]", "must be a dict {model_name: [fallback names]}")
        for key, names in entry.items():
            path = f"fallbacks[{i}][{key!r}]"
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise _error(path, "must be a list of model names")
            unknown = [n for n in [key, *names] if n not in groups and n != "*"]
            if unknown:
                raise _error(
                    path,
                    "names {unknown} absent from model_list (known: {known})",
                    unknown=", ".join(repr(n) for n in unknown),
                    known=", ".join(repr(n) for n in groups),
                )
            mapping.setdefault(key, []).extend(names)
    return mapping


def _order(names: list[str], fallbacks: dict[str, list[str]]) -> list[str]:
    primary = names[0]
    chosen = fallbacks.get(primary, fallbacks.get("*", []))
    _warn_ignored(
        "the fallbacks of",
        set(fallbacks) - {primary, "*"},
        f"a chain is the first model_list entry ({primary!r}), its fallbacks, then the rest of model_list "
        "in list order, so fallbacks of other models do not change it",
    )
    order: list[str] = []
    for name in [primary, *chosen, *names]:
        if name not in order:
            order.append(name)
    return order


def _redis_url(router: dict[str, Any]) -> str | None:
    if router.get("redis_url"):
        return str(router["redis_url"])
    host = router.get("redis_host")
    if not host:
        return None
    port = router.get("redis_port") or 6379
    password = router.get("redis_password")
    auth = f":{quote(str(password), safe='')}@" if password else ""
    return f"redis://{auth}{host}:{port}"
