"""``ModelSpec``: one model of a chain: endpoint, key, timeouts, retries, request defaults and limits."""

from __future__ import annotations

import os
from typing import Any, Final, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    SerializationInfo,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from modelwire import _constants
from modelwire._redact import redact
from modelwire.config._secrets import Secret, dump_secret, fingerprint, is_sensitive_header, load_secret
from modelwire.config.lmi_keys import LIMIT_KEYS, lift_model_limits
from modelwire.config.prices import ModelPrice
from modelwire.config.routing import Route, RoutingError, route

__all__ = ["RETRY_PARAM_NAMES", "ModelSpec"]

# LiteLLM's own retry knobs. modelwire owns retries, so these never reach a provider: found in request
# parameters they set ``max_retries`` instead (LMI silently dropped ``num_retries``).
RETRY_PARAM_NAMES = ("num_retries", "max_retries")
# Fields that would be sent as request parameters by mistake (and a key would be written to JSON).
_NOT_PARAMS = ("api_key", "api_base", "model")


class ModelSpec(BaseModel):
    """One model: ``name`` is ``"provider/model"`` (LiteLLM's convention) or a bare model id.

    ``api_key`` is a secret: ``spec.api_key.get_secret_value()`` gives it, nothing prints it, and a JSON
    dump writes a reference that only this process can resolve (see :mod:`modelwire.config._secrets`).
    ``api_key_env`` names an environment variable to read the key from; a JSON dump then writes only the
    variable's name, so the config can travel to other processes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, hide_input_in_errors=True)

    name: str = Field(min_length=1, description="'provider/model' or a bare model id")
    provider: str | None = Field(default=None, description="explicit provider; else the prefix of name")
    api_base: str | None = None
    api_key: Secret = None
    api_key_env: str | None = None
    api_version: str | None = Field(default=None, description="Azure OpenAI's api-version")
    timeout: float | None = Field(default=_constants.DEFAULT_TIMEOUT, description="per request, seconds")
    connect_timeout: float | None = _constants.DEFAULT_CONNECT_TIMEOUT
    max_retries: int = Field(default=_constants.DEFAULT_MAX_RETRIES, description="attempts = max_retries + 1")
    extra_params: dict[str, Any] = Field(
        default_factory=dict, description="request defaults (temperature, ...)"
    )
    extra_body: dict[str, Any] = Field(default_factory=dict, description="merged flat into the request body")
    extra_headers: dict[str, str] = Field(default_factory=dict)
    responses_api: bool = Field(
        default=False, description="chat through the OpenAI Responses API (OpenAI, Azure, compatible servers)"
    )
    requests_per_minute: int | None = Field(
        default=None, validation_alias=AliasChoices("requests_per_minute", "rpm")
    )
    tokens_per_minute: int | None = Field(
        default=None, validation_alias=AliasChoices("tokens_per_minute", "tpm")
    )
    max_concurrency: int | None = Field(
        default=None, validation_alias=AliasChoices("max_concurrency", "max_parallel_requests")
    )
    price: ModelPrice | None = Field(
        default=None, description="your price for this model (USD per million tokens); else genai-prices'"
    )

    _key_from_env: bool = PrivateAttr(default=False)
    _route: Route = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _coerce(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value}
        if not isinstance(value, dict):
            return value
        value = lift_model_limits(value)  # LMI's rate_limit / request_limit strings
        params = value.get("extra_params")
        if not isinstance(params, dict):
            return value
        if misplaced := sorted(k for k in _NOT_PARAMS if k in params):
            raise PydanticCustomError(
                "misplaced_param",
                "extra_params.{names} must be set as the field of that name, not as a request parameter",
                {"names": "/".join(misplaced)},
            )
        if not any(k in params for k in RETRY_PARAM_NAMES):
            return value
        # Lift retry counts out of the request parameters, where they would otherwise be sent (or dropped).
        data = dict(value)
        params = dict(params)
        lifted = {k: params.pop(k) for k in RETRY_PARAM_NAMES if k in params}
        if len({repr(v) for v in lifted.values()}) > 1:
            raise PydanticCustomError(
                "conflicting_retries",
                "extra_params sets both num_retries and max_retries, differently ({values}): give one",
                {"values": ", ".join(f"{k}={v!r}" for k, v in lifted.items())},
            )
        retries = next(iter(lifted.values()))
        if "max_retries" in data and data["max_retries"] != retries:
            raise PydanticCustomError(
                "conflicting_retries",
                "max_retries={given} conflicts with extra_params retries={lifted}: give one",
                {"given": data["max_retries"], "lifted": retries},
            )
        data["max_retries"] = retries
        data["extra_params"] = params
        return data

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip()
        if not value or value.startswith("/") or value.endswith("/"):
            raise PydanticCustomError(
                "model_name", "must be 'provider/model' or a model id, got '{v}'", {"v": value}
            )
        return value

    @field_validator("max_retries", mode="before")
    @classmethod
    def _retries(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return value  # let the int validator say what is wrong
        try:
            count = int(value)
        except ValueError:
            return value
        if count < 0:
            raise PydanticCustomError(
                "negative_retries",
                "must be >= 0 (it counts retries after the first attempt; 0 means one attempt), got {v}",
                {"v": value},
            )
        return value

    @field_validator("timeout", "connect_timeout")
    @classmethod
    def _positive_seconds(cls, value: float | None) -> float | None:
        if value is not None and not value > 0:
            raise PydanticCustomError(
                "timeout", "must be > 0 seconds, or None for no limit; got {v}", {"v": value}
            )
        return value

    @field_validator("requests_per_minute", "tokens_per_minute", "max_concurrency")
    @classmethod
    def _positive_limit(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise PydanticCustomError("limit", "must be >= 1, or None for no limit; got {v}", {"v": value})
        return value

    @field_validator("extra_headers", mode="before")
    @classmethod
    def _headers(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: load_secret(v) if is_sensitive_header(str(k)) else v for k, v in value.items()}

    @model_validator(mode="after")
    def _routed(self) -> Self:
        # A name no provider serves fails here, when the config is built, not at the first call.
        try:
            self._route = route(self.name, self.provider, self.api_base)
        except RoutingError as exc:
            raise PydanticCustomError("model_route", "{why}", {"why": str(exc)}) from None
        gated = sorted(k for k in _NO_LOGPROBS.get(self._route.provider or "", ()) if k in self.extra_params)
        if gated:  # LMI's gate: refused when the config is built, not by the provider at the first call
            raise PydanticCustomError(
                "unsupported_param",
                "model '{name}' does not support parameter(s) {params}; the provider rejects them",
                {"name": self.name, "params": ", ".join(gated)},
            )
        return self

    @model_validator(mode="after")
    def _key_from_environment(self) -> Self:
        if self.api_key is not None or self.api_key_env is None:
            return self
        raw = os.environ.get(self.api_key_env)
        if not raw:
            raise PydanticCustomError(
                "api_key_env", "api_key_env: environment variable {var} is not set", {"var": self.api_key_env}
            )
        # Frozen model: set through object.__setattr__ once, during validation.
        object.__setattr__(self, "api_key", SecretStr(raw))
        load_secret(raw)  # registers it for redaction
        self._key_from_env = True
        return self

    @field_serializer("api_key", when_used="json")
    def _dump_key(self, value: Any, info: SerializationInfo) -> str | None:
        if value is None or self._key_from_env:
            return None  # the variable's name travels instead
        return dump_secret(value.get_secret_value(), info)

    @field_serializer("extra_headers", when_used="json")
    def _dump_headers(self, value: dict[str, str], info: SerializationInfo) -> dict[str, str]:
        return {k: dump_secret(v, info) if is_sensitive_header(k) else v for k, v in value.items()}

    def __repr_args__(self) -> Any:
        # Free-form dicts may hold credentials (a header, a vertex_credentials param): shown redacted.
        for name, value in super().__repr_args__():
            yield name, _Redacted(value) if name in _FREE_FORM else value

    # -- derived views ---------------------------------------------------------------------------------

    @property
    def route(self) -> Route:
        """Where this model is sent (see :mod:`modelwire.config.routing`)."""
        return self._route

    @property
    def provider_name(self) -> str | None:
        """The catalog provider that serves this model (``gpt-4o`` -> ``openai``), else the explicit
        ``provider`` of a custom server, else ``None`` (a custom OpenAI-compatible ``api_base``)."""
        return self._route.provider or self.provider

    @property
    def model_id(self) -> str:
        """The model as the provider knows it: ``name`` without its provider prefix."""
        return self._route.model_id

    @property
    def key_fingerprint(self) -> str | None:
        """sha256 of the API key, 12 hex digits: tells keys apart (limits, logs) without showing them."""
        return None if self.api_key is None else fingerprint(self.api_key.get_secret_value(), 12)

    @property
    def attempts(self) -> int:
        return self.max_retries + 1

    # -- building ----------------------------------------------------------------------------------------

    @classmethod
    def from_name(cls, name: str, **overrides: Any) -> ModelSpec:
        """LMI's ``ModelSpec.from_name``: ``overrides`` that name a field set it; the rest are request
        parameters merged into ``extra_params``. Unlike LMI, no provider-specific defaults are injected
        (no temperature, no Gemini safety settings): what is sent is what was configured."""
        return cls.model_validate(split_flat({"name": name, **overrides}))

    def with_extra_params(self, **params: Any) -> ModelSpec:
        """A copy with ``params`` merged into ``extra_params`` (retry counts in them set ``max_retries``)."""
        data = self.model_dump()
        data["extra_params"] = {**self.extra_params, **params}
        if any(k in params for k in RETRY_PARAM_NAMES):
            data.pop("max_retries")
        copy = type(self).model_validate(data)
        copy._key_from_env = self._key_from_env
        return copy


_FREE_FORM = frozenset({"extra_params", "extra_body", "extra_headers"})
# Request parameters a provider's API has no place for, refused in a model's defaults as LMI refuses them.
_NO_LOGPROBS: Final = {"anthropic": ("logprobs", "top_logprobs")}


class _Redacted:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return redact(repr(self.value))


_FIELD_ALIASES = {"rpm", "tpm", "max_parallel_requests"}


def split_flat(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"name": ..., **flat}``: keys naming a field (or an alias, or LMI's ``rate_limit`` /
    ``request_limit``) set it; everything else is a request parameter for ``extra_params``, and a nested
    ``extra_params={...}`` is merged into them (it wins, as in LMI's ``from_name``)."""
    fields = set(ModelSpec.model_fields) | _FIELD_ALIASES | set(LIMIT_KEYS)
    data: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for key, value in flat.items():
        if key == "extra_params":
            continue
        if key in fields:
            data[key] = value
        else:
            params[key] = value
    if "extra_params" in flat:
        given = flat["extra_params"]
        params = {**params, **given} if isinstance(given, dict) else given
    if params or "extra_params" in flat:
        data["extra_params"] = params
    return data
