"""What each entry point loads (issue 19.4): ``modelwire.Client`` loads the client classes and the policy,
not pydantic, the config models, httpx or any adapter; the first ``Client(...)`` loads the config and the
adapter its chain uses, not the others. Also: the lazily exported names resolve to their modules' objects.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import modelwire.facade
import modelwire.providers

HEAVY = (
    "httpx",
    "pydantic.main",
    "modelwire.config",
    "modelwire.facade.options",
    "modelwire.facade.pool",
    "modelwire.facade.registry",
    "modelwire.providers._base",
    "modelwire.transport",
)
ADAPTER_MODULES = (
    "modelwire.providers.openai_compatible",
    "modelwire.providers.anthropic",
    "modelwire.providers.azure",
    "modelwire.providers.bedrock",
    "modelwire.providers.gemini",
    "modelwire.request.anthropic",
    "modelwire.request.bedrock",
    "modelwire.request.gemini",
)


def _loaded(code: str, names: tuple[str, ...]) -> list[str]:
    """The modules of ``names`` that are in ``sys.modules`` after running ``code`` in a fresh process."""
    script = f"import sys\n{code}\nprint(','.join(m for m in {names!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    return [name for name in out.strip().split(",") if name]


def test_the_client_class_loads_no_config_transport_or_adapter() -> None:
    assert _loaded("import modelwire; modelwire.Client; modelwire.AsyncClient", HEAVY + ADAPTER_MODULES) == []


def test_the_first_client_loads_the_config_and_its_own_adapter_only() -> None:
    code = "import modelwire; modelwire.Client('openai/gpt-4.1-mini', api_key='sk-import-cost')"
    assert _loaded(code, ("modelwire.config", "modelwire.facade.pool")) == [
        "modelwire.config",
        "modelwire.facade.pool",
    ]
    # The adapter itself is built at the first call; no other provider's modules are loaded before.
    assert _loaded(code, ADAPTER_MODULES) == []


def test_an_adapter_is_loaded_by_the_provider_a_spec_names() -> None:
    code = (
        "from modelwire.config import ModelSpec\n"
        "from modelwire.providers import client_from_spec\n"
        "client_from_spec(ModelSpec(name='anthropic/claude-sonnet-4-5', api_key='sk-ant-import-cost'))"
    )
    assert _loaded(code, ADAPTER_MODULES) == ["modelwire.providers.anthropic", "modelwire.request.anthropic"]


@pytest.mark.parametrize("name", sorted(modelwire.providers._LAZY))
def test_a_lazy_provider_name_is_its_modules_object(name: str) -> None:
    assert name in modelwire.providers.__all__
    assert name in dir(modelwire.providers)
    module = importlib.import_module(modelwire.providers._LAZY[name])
    assert getattr(modelwire.providers, name) is getattr(module, name)


def test_the_providers_lazy_table_is_the_exported_surface() -> None:
    assert sorted(modelwire.providers._LAZY) == sorted(modelwire.providers.__all__)
    with pytest.raises(AttributeError, match="'NoSuchAdapter'"):
        _ = modelwire.providers.NoSuchAdapter


def test_the_facade_registry_resolves_lazily() -> None:
    from modelwire.facade.registry import ModelRegistry

    assert modelwire.facade.ModelRegistry is ModelRegistry
    assert modelwire.ModelRegistry is ModelRegistry
    with pytest.raises(AttributeError, match="'Nothing'"):
        _ = modelwire.facade.Nothing


def test_every_catalog_adapter_resolves_to_a_builder() -> None:
    from modelwire.config.catalog import PROVIDERS
    from modelwire.providers.factory import ADAPTERS, adapter_builder

    used = {info.adapter for info in PROVIDERS.values()}
    assert used <= set(ADAPTERS)
    for adapter in ADAPTERS:
        builder = adapter_builder(adapter)
        assert builder.__name__ == "from_spec"
