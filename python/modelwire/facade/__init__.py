"""The high-level API: ``Client``/``AsyncClient`` over a model or a fallback chain, the registry of named
models, usage accounting. Built on the policy (retries, fallbacks, limits) and the provider adapters.

``modelwire.Client`` loads only the client classes: the config models (pydantic), the provider adapters and
their parsers load when the first client is built (see ``docs/ARCHITECTURE.md``, "Import cost").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from modelwire.facade.client import AsyncClient, Client
from modelwire.facade.usage import UsageLedger

if TYPE_CHECKING:
    from modelwire.facade.registry import ModelRegistry

__all__ = ["AsyncClient", "Client", "ModelRegistry", "UsageLedger"]


def __getattr__(name: str) -> Any:
    if name != "ModelRegistry":
        raise AttributeError(f"module 'modelwire.facade' has no attribute {name!r}")
    value = importlib.import_module("modelwire.facade.registry").ModelRegistry
    globals()[name] = value
    return value
