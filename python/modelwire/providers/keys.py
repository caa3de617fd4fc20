"""Where an adapter's API key comes from: keys follow hosts, not names.

- ``api_key=`` always wins (a string or a ``SecretStr``).
- ``api_key_env=`` names the variable to read, whatever the address: the caller chose it.
- Otherwise a catalog provider's variables (``OPENAI_API_KEY``, ...) are read only when the request goes to
  that provider's own host (its default address, any path on it; or an address its own base-URL variable
  gave, such as ``OPENAI_BASE_URL``: both halves then come from the same environment). A label such as
  ``openai`` or ``nvidia`` pointed at a user-given ``base_url`` gets no key from the environment.
- ``api_key_from_env=False`` (or ``MODELWIRE_ENV_KEYS=0`` in the environment) turns environment lookup off
  entirely, the explicitly named ``api_key_env`` included.

A key is required only at the provider's own host, for providers that need one there; it is registered for
redaction as soon as it is read.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any, Final
from urllib.parse import urlsplit

from modelwire._redact import register_secret
from modelwire.exceptions import AuthenticationError
from modelwire.providers.catalog import ProviderInfo, env_value

__all__ = [
    "ENV_SWITCH",
    "env_keys_enabled",
    "home_address_and_key",
    "host_of",
    "key_env_for",
    "resolve_api_key",
]

ENV_SWITCH: Final = "MODELWIRE_ENV_KEYS"
_OFF: Final = frozenset({"0", "false", "no", "off"})


def env_keys_enabled(api_key_from_env: bool = True) -> bool:
    """Whether keys may be read from the environment (the argument, and ``MODELWIRE_ENV_KEYS``)."""
    return api_key_from_env and os.environ.get(ENV_SWITCH, "").strip().lower() not in _OFF


def host_of(url: str | None) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` of ``url`` (lower-cased, default ports made explicit); None when it has no
    host."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host:
        return None
    scheme = parts.scheme.lower()
    return scheme, host, port or {"https": 443, "http": 80}.get(scheme)


def at_home(info: ProviderInfo | None, base_url: str, *, host_suffixes: Collection[str] = ()) -> bool:
    """Whether ``base_url`` is ``info``'s own host: its default address's host, or a host ending with one of
    ``host_suffixes`` (providers whose every customer has a host of their own, like Azure)."""
    if info is None:
        return False
    where = host_of(base_url)
    if where is None:
        return False
    home = host_of(info.base_url)
    if home is not None and where == home:
        return True
    return where[0] == "https" and any(where[1].endswith(suffix) for suffix in host_suffixes)


def key_env_for(
    info: ProviderInfo | None,
    base_url: str,
    *,
    api_key_env: str | None,
    api_key_from_env: bool = True,
    base_url_from_env: bool = False,
    host_suffixes: Collection[str] = (),
) -> tuple[str, ...]:
    """The environment variables the key may be read from, by the rules above. ``base_url_from_env``: the
    address came from the provider's own base-URL variable."""
    if not env_keys_enabled(api_key_from_env):
        return ()
    if api_key_env:
        return (api_key_env,)
    if info is not None and (base_url_from_env or at_home(info, base_url, host_suffixes=host_suffixes)):
        return info.key_env
    return ()


def resolve_api_key(api_key: Any, *, provider: str, env: tuple[str, ...], required: bool) -> str | None:
    """The key: the argument (a string or a ``SecretStr``), else the first of ``env`` that is set. A missing
    required key raises ``AuthenticationError`` naming the variables. The key is registered for redaction."""
    if api_key is not None and hasattr(api_key, "get_secret_value"):
        api_key = api_key.get_secret_value()
    if api_key is not None and not isinstance(api_key, str):
        raise TypeError(f"api_key must be a string, not {type(api_key).__name__}")
    key = api_key or env_value(env)[0]
    if not key:
        if required:
            where = " or ".join(env) if env else "an api_key_env"
            raise AuthenticationError(
                f"no API key for provider {provider!r}: pass api_key= or set {where}", provider=provider
            )
        return None
    register_secret(key)
    return key


def home_address_and_key(
    info: ProviderInfo,
    base_url: str | None,
    api_key: Any,
    *,
    provider: str,
    default_base: str = "",
    api_key_env: str | None,
    api_key_from_env: bool,
) -> tuple[str, str | None]:
    """The address and key of a provider with an API of its own (Anthropic, Gemini): ``base_url``, else
    the provider's base-URL variable, else its default; the key by :func:`key_env_for`, required only at
    the provider's own host."""
    from_env = env_value(info.base_url_env)[0] if base_url is None else None
    base = base_url or from_env or info.base_url or default_base
    env = key_env_for(
        info,
        base,
        api_key_env=api_key_env,
        api_key_from_env=api_key_from_env,
        base_url_from_env=from_env is not None,
    )
    return base, resolve_api_key(api_key, provider=provider, env=env, required=at_home(info, base))
