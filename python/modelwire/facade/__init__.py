"""The high-level API: ``Client``/``AsyncClient`` over a model or a fallback chain, the registry of named
models, usage accounting. Built on the policy (retries, fallbacks, limits) and the provider adapters."""

from modelwire.facade.client import AsyncClient, Client
from modelwire.facade.registry import ModelRegistry
from modelwire.facade.usage import UsageLedger

__all__ = ["AsyncClient", "Client", "ModelRegistry", "UsageLedger"]
