"""Known providers. The data lives in :mod:`modelwire.config.catalog` (the config layer routes model names
with it when a ``ModelSpec`` is built, and config imports no layer above it); this module keeps the
providers' import path."""

from modelwire.config.catalog import PROVIDERS, ProviderInfo, api_base_for, env_value, lookup_provider

__all__ = ["PROVIDERS", "ProviderInfo", "api_base_for", "env_value", "lookup_provider"]
