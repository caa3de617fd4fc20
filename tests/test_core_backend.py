"""Which implementation runs: the extension when present, the twin when forced or absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import modelwire
from modelwire import _backend, parsing
from modelwire.parsing import pure
from modelwire.request import transport_kwargs
from parse_support import rust

PROBE = (
    "import modelwire, modelwire.parsing as p;"
    'r = p.parse_chat_completion(b\'{"choices": [{"message": {"content": "hi"}}]}\');'
    "print(modelwire.BACKEND, type(p.parse_chat_completion).__name__, r.message.content)"
)


def _run(code: str, env: dict[str, str] | None = None, pythonpath: str | None = None) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MODELWIRE_")}
    environment.update(env or {})
    if pythonpath is not None:
        environment["PYTHONPATH"] = pythonpath
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_dispatch_follows_the_active_backend() -> None:
    if modelwire.BACKEND == "rust":
        assert rust is not None
        assert parsing.parse_chat_completion is rust.parse_chat_completion
        assert transport_kwargs._request_body is rust.request_body
    else:
        assert parsing.parse_chat_completion is pure.parse_chat_completion
        assert transport_kwargs._request_body is not getattr(rust, "request_body", None)
    assert ("rust" if _backend.core is not None else "python") == modelwire.BACKEND


@pytest.mark.parametrize(("value", "expected"), [("1", "python"), ("yes", "python"), ("0", None), ("", None)])
def test_pure_python_variable(value: str, expected: str | None) -> None:
    backend, kind, content = _run(PROBE, {"MODELWIRE_PURE_PYTHON": value}).split()
    assert content == "hi"
    unforced = "rust" if rust is not None else "python"
    assert backend == (expected or unforced)
    assert kind == ("function" if backend == "python" else "builtin_function_or_method")
    reason = _run("import modelwire; print(modelwire.BACKEND_REASON)", {"MODELWIRE_PURE_PYTHON": value})
    if expected is not None:
        assert reason == f"MODELWIRE_PURE_PYTHON={value}"
    elif rust is not None:
        assert reason == "compiled extension modelwire._core"
    else:
        assert reason == "no compiled extension in this install"


def test_package_works_from_source_without_the_extension(tmp_path: Path) -> None:
    source = Path(modelwire.__file__).parent
    shutil.copytree(
        source, tmp_path / "modelwire", ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__")
    )
    code = PROBE + ";import modelwire as m; print(m.__file__); print(m.BACKEND_REASON)"
    # -W error: an install without the extension is a choice, not a fault, so importing it must not warn.
    out = _run("import warnings; warnings.simplefilter('error');" + code, pythonpath=str(tmp_path))
    first, path, reason = out.splitlines()
    assert first == "python function hi"
    assert reason == "no compiled extension in this install"
    assert path.startswith(str(tmp_path))


@pytest.mark.skipif(rust is None, reason="extension not built")
def test_extension_refuses_types_it_was_not_built_for() -> None:
    code = (
        "import modelwire.types.chat as c; c.ToolCall.__slots__ = ('id', 'name');"
        "from modelwire import _core;\n"
        "try:\n    _core.parse_chat_completion(b'{\"choices\": []}')\n"
        "except ImportError as e:\n    print('refused', 'rebuild' in str(e))\n"
    )
    assert _run(code) == "refused True"
