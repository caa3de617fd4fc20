"""From what a caller passes to ``Client(model, **options)`` to an ``LLMConfig`` and the adapter options.

``model`` is a model string (``"openai/gpt-4.1-mini"``), an OpenAI-compatible base URL (with the model
named by ``name=``), a ``ModelSpec``, an ``LLMConfig`` or any shape ``LLMConfig`` accepts (LMI's
``{"models": [...]}``, the legacy Router dict, ``{"name": ..., **flat}``, a list of model strings).

Options are split by what they configure:

- a ``ModelSpec`` field (``api_key``, ``api_base``, ``timeout``, ``max_retries``, ``max_concurrency``,
  ``extra_params``, ``extra_headers``, ``rpm``, ...) is set on every model of the chain;
- an ``LLMConfig`` field (``deadline``, ``max_retry_after``, ``admission_timeout``, ``shared_limits``, ...)
  is set on the chain;
- ``http_client``, ``async_http_client``, ``transport``, ``async_transport`` (your own httpx/httpx2
  clients or transports) go to every adapter; ``limiters`` chooses the admission limiters (``None``: the
  process-wide ones, ``False``: none); ``on_refusal`` says what a refusal does (``"fallback"``: raise
  ``ModelRefusalError``, which moves the chain on; ``"return"``: return the refusing response);
  ``drop_params=True`` makes every adapter drop the parameters its provider cannot take (with a warning
  naming them) instead of raising ``UnsupportedParamsError``; ``hooks`` (a list of callables) receive every
  event of every call (:mod:`modelwire.facade.hooks`; ``with_options(hooks=...)`` replaces the list).

Anything else is a ``TypeError`` naming it: a misspelt option is never sent to a provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from modelwire.config import LLMConfig, ModelSpec
from modelwire.facade.hooks import Hook, check_hooks
from modelwire.policy import Limiters

__all__ = ["ADAPTER_OPTIONS", "Settings", "build_settings", "is_base_url"]

ADAPTER_OPTIONS: Final = ("http_client", "async_http_client", "transport", "async_transport")
_SPEC_ALIASES: Final = frozenset({"rpm", "tpm", "max_parallel_requests"})
_SPEC_FIELDS: Final = frozenset(ModelSpec.model_fields) | _SPEC_ALIASES
_CHAIN_FIELDS: Final = frozenset(LLMConfig.model_fields) - {"models"}
_FACADE_OPTIONS: Final = frozenset({*ADAPTER_OPTIONS, "limiters", "on_refusal", "drop_params", "hooks"})
_REFUSAL_MODES: Final = ("fallback", "return")

OnRefusal = Literal["fallback", "return"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a client is built from; ``options`` keeps what was given, for ``with_options``."""

    config: LLMConfig
    adapter_overrides: Mapping[str, Any]
    limiters: Limiters | Literal[False] | None
    on_refusal: OnRefusal
    model: Any
    options: Mapping[str, Any] = field(default_factory=dict)
    hooks: tuple[Hook, ...] = ()


def is_base_url(model: object) -> bool:
    return isinstance(model, str) and model.lstrip().lower().startswith(("http://", "https://"))


def _chain(model: Any, spec_options: dict[str, Any]) -> LLMConfig:
    if is_base_url(model):
        name = spec_options.pop("name", None)
        if not name:
            raise ValueError(
                f"the base URL {model!r} does not say which model to call: pass name='<model id>' "
                "(the id the server knows, e.g. 'meta-llama/Llama-3.1-8B-Instruct')"
            )
        if "api_base" in spec_options:
            raise TypeError("give the base URL either as the model or as api_base=, not both")
        model = {"name": name, "api_base": model.strip()}
    elif "name" in spec_options:
        raise TypeError("name= names the model behind a base URL; here the model is already given")
    if isinstance(model, ModelSpec | LLMConfig):
        return LLMConfig.model_validate(model)
    if model is None or (isinstance(model, str) and not model.strip()):
        raise ValueError("model must name a model: 'provider/model', a base URL, a ModelSpec or an LLMConfig")
    return LLMConfig.model_validate(model)


def _respec(spec: ModelSpec, updates: Mapping[str, Any]) -> ModelSpec:
    data = spec.model_dump()
    for alias, name in (("rpm", "requests_per_minute"), ("tpm", "tokens_per_minute")):
        if alias in updates:
            data.pop(name, None)
    if "max_parallel_requests" in updates:
        data.pop("max_concurrency", None)
    new_key = "api_key" in updates or "api_key_env" in updates
    if new_key:
        data.pop("api_key", None)
    copy = ModelSpec.model_validate({**data, **updates})
    if not new_key:
        copy._key_from_env = spec._key_from_env  # a key read from the environment is dumped by its name
    return copy


def build_settings(model: Any, options: Mapping[str, Any]) -> Settings:
    """Validate ``model`` and ``options`` into the client's settings (see the module docstring)."""
    unknown = sorted(set(options) - _SPEC_FIELDS - _CHAIN_FIELDS - _FACADE_OPTIONS)
    if unknown:
        raise TypeError(
            f"unknown option(s) {', '.join(map(repr, unknown))}: options are ModelSpec fields, LLMConfig "
            f"fields, {', '.join(sorted(_FACADE_OPTIONS))}; request parameters go to each call, or to "
            "extra_params= as defaults"
        )
    spec_options = {k: v for k, v in options.items() if k in _SPEC_FIELDS}
    config = _chain(model, spec_options)
    if spec_options:
        config = config.model_copy(update={"models": [_respec(m, spec_options) for m in config.models]})
    chain_options = {k: v for k, v in options.items() if k in _CHAIN_FIELDS}
    if chain_options:
        kept = {k: getattr(config, k) for k in _CHAIN_FIELDS if k not in chain_options}
        config = LLMConfig.model_validate({**kept, **chain_options, "models": config.models})
    on_refusal = options.get("on_refusal", "fallback")
    if on_refusal not in _REFUSAL_MODES:
        raise ValueError(f"on_refusal must be 'fallback' or 'return', got {on_refusal!r}")
    limiters = options.get("limiters")
    if limiters is not None and limiters is not False and not isinstance(limiters, Limiters):
        raise TypeError(f"limiters must be a modelwire.policy.Limiters, None or False, not {limiters!r}")
    overrides = {k: options[k] for k in ADAPTER_OPTIONS if options.get(k) is not None}
    if "drop_params" in options:
        if not isinstance(options["drop_params"], bool):
            raise TypeError(f"drop_params must be True or False, not {options['drop_params']!r}")
        overrides["drop_params"] = options["drop_params"]
    return Settings(
        config=config,
        adapter_overrides=overrides,
        limiters=limiters,
        on_refusal=on_refusal,
        model=model,
        options=dict(options),
        hooks=check_hooks(options.get("hooks")),
    )
