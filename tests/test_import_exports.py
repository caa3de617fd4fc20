"""The top-level exports: every name in ``modelwire.__all__`` resolves, the lazy ones to the very object
their defining module holds, and the ``TYPE_CHECKING`` imports that type checkers see name the same
objects as the lazy table that runs."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

import modelwire


def _type_checking_imports() -> dict[str, str]:
    """name -> module for the imports under ``if TYPE_CHECKING:`` in ``modelwire/__init__.py``."""
    tree = ast.parse(inspect.getsource(modelwire))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                assert statement.module is not None
                found.update({alias.asname or alias.name: statement.module for alias in statement.names})
    return found


def test_the_type_checking_block_mirrors_the_lazy_table() -> None:
    assert _type_checking_imports() == modelwire._LAZY


@pytest.mark.parametrize("name", sorted(modelwire._LAZY))
def test_a_lazy_name_is_exported_and_is_its_modules_object(name: str) -> None:
    assert name in modelwire.__all__
    assert name in dir(modelwire)
    module = importlib.import_module(modelwire._LAZY[name])
    assert getattr(modelwire, name) is getattr(module, name)


def test_every_exported_name_resolves() -> None:
    missing = [name for name in modelwire.__all__ if not hasattr(modelwire, name)]
    assert missing == []
    assert len(set(modelwire.__all__)) == len(modelwire.__all__)


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="'NoSuchThing'"):
        _ = modelwire.NoSuchThing
