"""Which HTTP library a client or transport comes from (httpx or its fork httpx2), loaded lazily."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["library_of", "pool_size"]

_SUPPORTED = ("httpx", "httpx2")


def library_of(obj: Any) -> ModuleType:
    """The top-level module (``httpx`` or ``httpx2``) that defines ``obj``'s class."""
    for cls in type(obj).__mro__:
        root = cls.__module__.partition(".")[0]
        if root in _SUPPORTED:
            return importlib.import_module(root)
    raise TypeError(
        f"expected an httpx or httpx2 client or transport, got {type(obj).__module__}.{type(obj).__name__}"
    )


def pool_size(client_or_transport: Any) -> int | None:
    """The connection limit of an httpx/httpx2 transport's pool, or ``None`` when it cannot be seen.

    Both libraries keep it on their connection pool; a custom transport may have no pool at all.
    """
    transport = getattr(client_or_transport, "_transport", client_or_transport)
    pool = getattr(transport, "_pool", None)
    size = getattr(pool, "_max_connections", None)
    return size if isinstance(size, int) else None
