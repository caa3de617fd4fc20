"""Chooses the implementation behind parsing, stream decoding and body building.

The Rust extension (``modelwire._core``) is used when it is present; ``MODELWIRE_PURE_PYTHON=1`` forces
the pure-Python twin. Running from a source tree without a compiled extension uses the twin. An
extension that is present but fails to load is not hidden: it warns, then falls back to the twin.
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType
from typing import Final, Literal

__all__ = ["BACKEND", "core"]


def _load() -> ModuleType | None:
    if os.environ.get("MODELWIRE_PURE_PYTHON", "").strip() not in ("", "0"):
        return None
    try:
        from modelwire import _core
    except ModuleNotFoundError as exc:
        if exc.name != "modelwire._core":
            raise
        return None
    except ImportError as exc:
        warnings.warn(
            f"modelwire's Rust extension is present but failed to load ({exc}); "
            "using the pure-Python implementation",
            RuntimeWarning,
            stacklevel=2,
        )
        return None
    return _core


core: Final[ModuleType | None] = _load()
BACKEND: Final[Literal["rust", "python"]] = "rust" if core is not None else "python"
