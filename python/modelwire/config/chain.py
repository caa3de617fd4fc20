"""``LLMConfig``: the ordered chain of models and how the chain as a whole retries, waits and shares limits.

Every shape LMI accepts validates into it (``LLMConfig.model_validate(x)``, or any pydantic field typed
``LLMConfig``): an instance, ``{"models": [...]}``, the legacy LiteLLM Router dict (see
:mod:`modelwire.config.legacy`), ``{"name": ..., **flat}``, and a bare model string (or a list of them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from modelwire import _constants
from modelwire._constants import DEFAULT_DEADLINE, DEFAULT_REDIS_TIMEOUT
from modelwire.config._secrets import Secret, fingerprint
from modelwire.config.legacy import is_router_dict, models_from_router_dict, warn
from modelwire.config.lmi_keys import LIMIT_KEYS, chain_limits
from modelwire.config.spec import ModelSpec, split_flat

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_REDIS_TIMEOUT", "LLMConfig", "LLMConfigField", "SharedLimits"]


class SharedLimits(BaseModel):
    """Limits kept in Redis so that every process using the same key shares one provider quota."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    url: Secret = Field(description="redis:// or rediss:// URL; may hold a password, so it is a secret")
    on_unavailable: Literal["open", "closed"] = Field(
        default="open",
        description="Redis unreachable: 'open' keeps going with local limits only, 'closed' refuses to send",
    )
    timeout: float = Field(default=DEFAULT_REDIS_TIMEOUT, gt=0, description="for every Redis call, seconds")
    namespace: str = Field(default="modelwire", min_length=1, description="prefix of every Redis key")
    retry_unavailable_after: float = Field(
        default=5.0, gt=0, description="seconds before trying Redis again after it failed"
    )

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: Any) -> Any:
        text = value.get_secret_value() if value is not None else ""
        if not text.startswith(("redis://", "rediss://", "unix://")):
            raise PydanticCustomError("redis_url", "must start with redis://, rediss:// or unix://")
        return value

    @property
    def url_fingerprint(self) -> str:
        return fingerprint(self.url.get_secret_value() if self.url is not None else "", 12)


class LLMConfig(BaseModel):
    """An ordered chain: ``models[0]`` is the primary, the rest are fallbacks, tried in order."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    models: list[ModelSpec] = Field(description="the chain, primary first")
    deadline: float | None = Field(
        default=DEFAULT_DEADLINE,
        description="seconds for the whole chain (attempts, waits, backoff); None: none",
    )
    max_retry_after: float = Field(
        default=_constants.MAX_RETRY_AFTER,
        ge=0,
        description="longest Retry-After waited for; a longer one is not waited out (next model, or raised)",
    )
    initial_retry_delay: float = Field(default=_constants.INITIAL_RETRY_DELAY, ge=0)
    max_retry_delay: float = Field(default=_constants.MAX_RETRY_DELAY, ge=0)
    admission_timeout: float | None = Field(
        default=None,
        description="longest wait for a concurrency or rate-limit slot, per attempt; None: the deadline",
    )
    shared_limits: SharedLimits | None = None
    response_validator: Callable[[Any], Any] | None = Field(
        default=None,
        exclude=True,
        description="called with each answer; raising makes the attempt fail (ResponseValidationError: "
        "retried, then the next model), as LMI's",
    )
    tool_parser: Callable[..., Any] | None = Field(
        default=None,
        exclude=True,
        description="LMI's custom parser: (text or choice, tools) -> AssistantMessage, for every choice",
    )

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, value: Any) -> Any:
        if isinstance(value, dict) and any(k in value for k in LIMIT_KEYS):
            return _with_chain_limits(cls._shape(value), value)
        return cls._shape(value)

    @classmethod
    def _shape(cls, value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if isinstance(value, str | ModelSpec):
            return {"models": [value]}
        if isinstance(value, list | tuple):
            return {"models": list(value)}
        if not isinstance(value, dict):
            raise PydanticCustomError(
                "llm_config_type",
                "cannot build an LLMConfig from {t}: give an LLMConfig, a model string, or a dict",
                {"t": type(value).__name__},
            )
        value = {k: v for k, v in value.items() if k not in LIMIT_KEYS}
        if "models" in value:
            return value
        if is_router_dict(value):
            # LiteLLMModel's config names its model next to model_list; the chain says which models run.
            value = {k: v for k, v in value.items() if k != "name"}
            return models_from_router_dict(value, cls.model_fields)
        if "name" in value:
            own = {k: v for k, v in value.items() if k in cls.model_fields}
            flat = {k: v for k, v in value.items() if k not in cls.model_fields}
            return {**own, "models": [split_flat(flat)]}
        raise PydanticCustomError(
            "llm_config_shape",
            "cannot tell the shape of this dict (keys: {keys}): expected 'models', the legacy 'model_list', "
            "or 'name'",
            {"keys": ", ".join(sorted(map(str, value))) or "none"},
        )

    @field_validator("models")
    @classmethod
    def _non_empty(cls, models: list[ModelSpec]) -> list[ModelSpec]:
        if not models:
            raise PydanticCustomError("empty_chain", "the chain needs at least one model")
        return models

    @field_validator("deadline", "admission_timeout")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and not value > 0:
            raise PydanticCustomError("seconds", "must be > 0 seconds, or None; got {v}", {"v": value})
        return value

    @model_validator(mode="after")
    def _delays(self) -> Self:
        if self.max_retry_delay < self.initial_retry_delay:
            raise PydanticCustomError(
                "retry_delays",
                "max_retry_delay ({hi}) is below initial_retry_delay ({lo})",
                {"hi": self.max_retry_delay, "lo": self.initial_retry_delay},
            )
        return self

    @property
    def primary(self) -> ModelSpec:
        return self.models[0]

    @property
    def fallbacks(self) -> list[ModelSpec]:
        return self.models[1:]

    @classmethod
    def coerce(cls, value: Any) -> LLMConfig:
        """LMI's ``LLMConfig.coerce``: any accepted shape -> ``LLMConfig`` (same as ``model_validate``)."""
        return cls.model_validate(value)

    @classmethod
    def from_legacy_dict(cls, legacy: dict[str, Any]) -> LLMConfig:
        """LMI's ``LLMConfig.from_legacy_dict``: a LiteLLM Router dict -> ``LLMConfig``."""
        if not is_router_dict(legacy):
            raise ValueError("a legacy Router config needs a 'model_list' key")
        return cls.model_validate(legacy)

    def with_extra_params(self, **params: Any) -> LLMConfig:
        """A copy with ``params`` merged into every model's ``extra_params``; this config is unchanged."""
        return self.model_copy(update={"models": [m.with_extra_params(**params) for m in self.models]})


def _with_chain_limits(shaped: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``shaped`` with LMI's chain-level ``rate_limit`` / ``request_limit`` set on the models they name
    (by model name, or by legacy ``model_name``); a name that matches no model is named in a warning."""
    names = {
        str(entry.get("model_name")): str((entry.get("litellm_params") or {}).get("model"))
        for entry in given.get("model_list") or []
        if isinstance(entry, dict)
    }
    models = [m if isinstance(m, ModelSpec) else ModelSpec.model_validate(m) for m in shaped["models"]]
    if is_router_dict(given) and isinstance(given.get("name"), str):
        names.setdefault(given["name"], models[0].name)  # LiteLLMModel(name=...) keys its limits by it
    for key, field in LIMIT_KEYS.items():
        if key not in given:
            continue
        limits = chain_limits(given[key], key, names)
        unknown = sorted(set(limits) - {m.name for m in models} - {"*"})
        if unknown:
            warn(
                f"modelwire ignores {key} for {', '.join(map(repr, unknown))}: "
                "no model of the chain has that name"
            )
        models = [
            m.model_copy(update={field: limits.get(m.name, limits.get("*", getattr(m, field)))})
            for m in models
        ]
    return {**shaped, "models": models}


# LMI's name for a field annotation that accepts every shape. ``LLMConfig`` itself already does.
LLMConfigField = Annotated[LLMConfig, BeforeValidator(lambda value: value)]
