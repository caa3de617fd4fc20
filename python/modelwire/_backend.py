"""Chooses the implementation behind parsing, stream decoding and body building, and says why.

The Rust extension (``modelwire._core``) is used when it is present; ``MODELWIRE_PURE_PYTHON=1`` forces
the pure-Python twin. An install without the extension (the ``py3-none-any`` wheel, or a source tree
never built) uses the twin quietly: that is what it was installed to do. An extension that is present
but fails to load is not hidden: it warns, then falls back to the twin.

``BACKEND`` is ``"rust"`` or ``"python"``; ``BACKEND_REASON`` says why, in words (``modelwire --version``
prints both).
"""

from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType
from typing import Final, Literal

__all__ = ["BACKEND", "BACKEND_REASON", "core"]

FORCE_VARIABLE: Final = "MODELWIRE_PURE_PYTHON"


def _load() -> tuple[ModuleType | None, str]:
    """The extension module (or None) and why."""
    forced = os.environ.get(FORCE_VARIABLE, "").strip()
    if forced not in ("", "0"):
        return None, f"{FORCE_VARIABLE}={forced}"
    try:
        # Not `from modelwire import _core`: with no extension that raises a plain ImportError (a name
        # missing from the half-imported package), indistinguishable from a broken extension.
        _core = importlib.import_module("modelwire._core")
    except ModuleNotFoundError as exc:
        if exc.name != "modelwire._core":
            raise
        return None, "no compiled extension in this install"
    except ImportError as exc:
        warnings.warn(
            f"modelwire's Rust extension is present but failed to load ({exc}); "
            "using the pure-Python implementation",
            RuntimeWarning,
            stacklevel=2,
        )
        return None, f"the compiled extension failed to load: {exc}"
    return _core, "compiled extension modelwire._core"


_LOADED: Final = _load()
core: Final[ModuleType | None] = _LOADED[0]
BACKEND_REASON: Final[str] = _LOADED[1]
BACKEND: Final[Literal["rust", "python"]] = "rust" if core is not None else "python"
