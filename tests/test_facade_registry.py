"""``ModelRegistry``: named models, clients built once, shared connections, and closing every client even
when some fail (the failures gathered into an ``ExceptionGroup``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from modelwire import AsyncClient, Client, ClientClosedError, ModelRegistry
from modelwire.testing import LocalProviderServer

KEY = "sk-registry-test"


class BrokenClose(Client):
    """A client whose close fails after closing its pools: the registry must go on with the others."""

    def close(self) -> None:
        super().close()
        raise OSError("disk on fire")


class BrokenAsyncClose(AsyncClient):
    async def aclose(self) -> None:
        await super().aclose()
        raise OSError("async disk on fire")


def registry(server: LocalProviderServer, **extra: Any) -> ModelRegistry:
    return ModelRegistry(
        {
            "fast": "openai/gpt-4.1-mini",
            "judge": {"models": ["openai/gpt-4.1", "openai/gpt-4.1-mini"]},
            **extra,
        },
        api_base=server.openai_base_url,
        api_key=KEY,
    )


def test_names_give_the_same_client_every_time(local_server: LocalProviderServer) -> None:
    models = registry(local_server)
    assert models.names == ["fast", "judge"]
    assert ("fast" in models, "slow" in models, len(models)) == (True, False, 2)
    fast = models["fast"]
    assert isinstance(fast, Client)
    assert models.get("fast") is fast
    assert isinstance(models.get_async("fast"), AsyncClient)
    assert models.get_async("fast") is models.get_async("fast")
    assert models["judge"].models == ["openai/gpt-4.1", "openai/gpt-4.1-mini"]
    with pytest.raises(KeyError, match=r"no model named 'slow' \(registered: fast, judge\)"):
        models.get("slow")
    asyncio.run(models.aclose())


def test_bad_entries_fail_when_registered(local_server: LocalProviderServer) -> None:
    models = registry(local_server)
    with pytest.raises(ValueError, match="'fast' is already registered"):
        models.register("fast", "openai/gpt-4o")
    with pytest.raises(TypeError, match="unknown option"):
        models.register("typo", "openai/gpt-4o", temprature=1)
    with pytest.raises(ValueError, match="at least one model"):
        models.register("empty", {"models": []})
    assert models.names == ["fast", "judge"]


def test_entries_options_win_over_the_registry_defaults(local_server: LocalProviderServer) -> None:
    with registry(local_server) as models:
        models.register("careful", "openai/o3", max_retries=0, extra_headers={"x-entry": "1"})
        assert models["careful"].config.primary.max_retries == 0
        assert models["fast"].config.primary.max_retries == 3
        models["careful"].complete("hi")
    assert local_server.last_request.header("x-entry") == "1"
    assert local_server.last_request.header("authorization") == f"Bearer {KEY}"


def test_names_on_one_endpoint_share_connections_and_keep_their_own_usage(
    local_server: LocalProviderServer,
) -> None:
    with registry(local_server) as models:
        models["fast"].complete("one")
        models["judge"].complete("two three")
        usage = models.usage()
    first, second = local_server.requests
    assert first.connection == second.connection
    assert set(usage) == {"fast", "judge"}
    assert usage["fast"]["openai/gpt-4.1-mini"].total_tokens == 1 + 2
    assert usage["judge"]["openai/gpt-4.1"].total_tokens == 2 + 3


def test_close_closes_every_client_and_gathers_the_failures(local_server: LocalProviderServer) -> None:
    spec = {"api_base": local_server.openai_base_url, "api_key": KEY}
    broken = [BrokenClose("openai/broken-1", **spec), BrokenClose("openai/broken-2", **spec)]
    models = registry(local_server, first_broken=broken[0], second_broken=broken[1])
    for name in models:
        models[name].complete(f"before close {name}")
    before = {r.model: r.connection for r in local_server.requests}
    with pytest.raises(ExceptionGroup) as info:
        models.close()
    assert [(str(e), e.__notes__) for e in info.value.exceptions] == [
        ("disk on fire", ["while closing the client of 'first_broken'"]),
        ("disk on fire", ["while closing the client of 'second_broken'"]),
    ]
    local_server.clear()
    assert set(before) == {"gpt-4.1-mini", "gpt-4.1", "broken-1", "broken-2"}
    for name in models:  # every client, those after a failing one included, was closed for good
        with pytest.raises(ClientClosedError):
            models[name].complete(f"after close {name}")
    assert local_server.requests == []
    with pytest.raises(ExceptionGroup):
        models.close()


def test_a_ready_client_keeps_its_kind(local_server: LocalProviderServer) -> None:
    ready = Client("openai/gpt-4.1-mini", api_base=local_server.openai_base_url, api_key=KEY)
    models = ModelRegistry({"ready": ready})
    assert models["ready"] is ready
    with pytest.raises(TypeError, match="registered as a Client, not a AsyncClient"):
        models.get_async("ready")
    with pytest.raises(TypeError, match="options cannot be changed"):
        models.register("again", ready, timeout=3)


def test_aclose_closes_sync_and_async_clients_and_gathers_failures(local_server: LocalProviderServer) -> None:
    spec = {"api_base": local_server.openai_base_url, "api_key": KEY}
    models = registry(local_server, broken=BrokenAsyncClose("openai/broken-async", **spec))

    async def main() -> None:
        await models.get_async("fast").complete("a")
        await models.get_async("broken").complete("b")
        models.get("judge").complete("c")
        with pytest.raises(ExceptionGroup) as info:
            await models.aclose()
        assert [str(e) for e in info.value.exceptions] == ["async disk on fire"]
        with pytest.raises(ClientClosedError):
            await models.get_async("fast").complete("d")
        with pytest.raises(ClientClosedError):  # nor does a closed registry build new clients
            models.get_async("judge")
        with pytest.raises(ExceptionGroup):
            await models.aclose()

    asyncio.run(main())
    assert len(local_server.requests) == 3


def test_close_refuses_to_pretend_it_closed_async_clients(local_server: LocalProviderServer) -> None:
    models = registry(local_server)

    async def use() -> None:
        await models.get_async("fast").complete("a")

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(use())
        models.get("judge").complete("b")
        with pytest.raises(ExceptionGroup) as info:
            models.close()
        (error,) = info.value.exceptions
        assert isinstance(error, RuntimeError)
        assert "aclose()" in str(error)
        loop.run_until_complete(models.aclose())
    finally:
        loop.close()
