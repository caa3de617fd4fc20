"""Which async transport an adapter gets: aiohttp's when it is installed, httpx's otherwise.

``MODELWIRE_TRANSPORT`` overrides the choice for a process: ``httpx`` always uses httpx (the fallback,
also what CI runs the suite on a second time), ``aiohttp`` requires aiohttp (an ImportError naming the
extra when it is missing), ``auto`` or unset picks aiohttp when it can be imported. A client or transport
the user passes in is httpx's or httpx2's and always gets :class:`AsyncTransport`.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any, Final

from modelwire.transport.http import AsyncTransport

__all__ = ["TRANSPORT_ENV", "async_transport", "fast_transport_available"]

TRANSPORT_ENV: Final = "MODELWIRE_TRANSPORT"
_CHOICES: Final = ("auto", "aiohttp", "httpx")


def fast_transport_available() -> bool:
    """Whether aiohttp (the ``fast`` extra) can be imported."""
    return importlib.util.find_spec("aiohttp") is not None


def _wants_aiohttp() -> bool:
    choice = os.environ.get(TRANSPORT_ENV, "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ValueError(f"{TRANSPORT_ENV} must be one of {', '.join(_CHOICES)}, got {choice!r}")
    if choice == "aiohttp" and not fast_transport_available():
        raise ImportError(f"{TRANSPORT_ENV}=aiohttp needs aiohttp: pip install 'modelwire[fast]'")
    return choice == "aiohttp" or (choice == "auto" and fast_transport_available())


def async_transport(
    base_url: str, *, client: Any | None = None, transport: Any | None = None, **options: Any
) -> AsyncTransport:
    """The async transport for ``base_url``: over aiohttp unless the user brought an httpx/httpx2 client
    or transport, aiohttp is missing, or ``MODELWIRE_TRANSPORT=httpx``."""
    if client is None and transport is None and _wants_aiohttp():
        from modelwire.transport.over_aiohttp import AiohttpTransport  # aiohttp loads on first use only

        return AiohttpTransport(base_url, **options)
    return AsyncTransport(base_url, client=client, transport=transport, **options)
