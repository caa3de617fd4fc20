"""The top-level exports: every name in ``modelwire.__all__`` resolves, the lazy ones to the very object
their defining module holds."""

from __future__ import annotations

import importlib

import pytest

import modelwire


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
