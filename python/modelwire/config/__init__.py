"""Model configuration (pydantic): ModelSpec, LLMConfig, and the legacy LiteLLM Router shapes they accept.

Not imported by ``import modelwire`` (pydantic stays out of the import); ``modelwire.config`` loads it.
"""

from modelwire.config.chain import DEFAULT_DEADLINE, LLMConfig, LLMConfigField, SharedLimits
from modelwire.config.prices import ModelPrice
from modelwire.config.spec import ModelSpec

__all__ = ["DEFAULT_DEADLINE", "LLMConfig", "LLMConfigField", "ModelPrice", "ModelSpec", "SharedLimits"]
