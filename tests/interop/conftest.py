"""The LMI interop group: run by ``make interop-lmi`` in its own venv (fhlmi 1.10.0 and LiteLLM beside
this tree); in the main suite its tests skip, since ``lmi`` is not installed there."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# LiteLLM fetches its model-cost map from the network at import unless told to use its bundled copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def server_session() -> Iterator[object]:
    from modelwire.testing import LocalProviderServer

    with LocalProviderServer() as server:
        yield server


@pytest.fixture
def server(server_session: object) -> object:
    server_session.reset()  # type: ignore[attr-defined]
    return server_session
