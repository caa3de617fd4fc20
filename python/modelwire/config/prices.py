"""``ModelPrice``: a price the user gives for a model (a private deployment, a negotiated rate), in USD per
million tokens. ``ModelSpec(..., price=ModelPrice(...))`` (or ``price={"input": 0.5, "output": 1.5}``)
prices that model's responses instead of genai-prices (docs/cost.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ModelPrice"]

_PER_MILLION = "USD per million tokens"


class ModelPrice(BaseModel):
    """USD per million tokens. Cache prices left out charge those tokens at the ``input`` price (and a 1-hour
    cache write at ``cache_write``): a price is never invented, only the one given is used."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    input: float = Field(ge=0, description=f"uncached prompt tokens, {_PER_MILLION}")
    output: float = Field(ge=0, description=f"generated tokens (reasoning included), {_PER_MILLION}")
    cache_read: float | None = Field(
        default=None, ge=0, description=f"prompt tokens read from the cache, {_PER_MILLION}"
    )
    cache_write: float | None = Field(
        default=None, ge=0, description=f"prompt tokens written to the cache (5-minute TTL), {_PER_MILLION}"
    )
    cache_write_1h: float | None = Field(
        default=None, ge=0, description=f"prompt tokens written to a 1-hour cache, {_PER_MILLION}"
    )
