"""Every failure an adapter can meet, scripted on the local server and met over real sockets, sync and
async, comes out as the errors layer's exception: the right class, retryability, status, Retry-After,
provider and model, with the httpx failure kept as the cause. Adapters never retry: one fault, one request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from modelwire import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    OverloadedError,
    PoolTimeoutError,
    ProviderError,
    RateLimitError,
    ResponseParseError,
)
from modelwire.providers import AnthropicClient, AzureOpenAIClient, OpenAICompatibleClient
from modelwire.testing import Fault, LocalProviderServer, Route, faults
from modelwire.types import ChatCompletionRequest

KEY = "sk-test-errors-0123456789abcdef"
Adapter = OpenAICompatibleClient | AnthropicClient


def _openai(server: LocalProviderServer, **kw: Any) -> Adapter:
    return OpenAICompatibleClient(base_url=server.openai_base_url, api_key=KEY, **kw)


def _azure(server: LocalProviderServer, **kw: Any) -> Adapter:
    return AzureOpenAIClient(base_url=server.azure_endpoint, api_key=KEY, api_version="2024-10-21", **kw)


def _anthropic(server: LocalProviderServer, **kw: Any) -> Adapter:
    return AnthropicClient(base_url=server.anthropic_base_url, api_key=KEY, **kw)


ADAPTERS: dict[str, tuple[Callable[..., Adapter], Route]] = {
    "openai": (_openai, Route.CHAT),
    "azure": (_azure, Route.CHAT),
    "anthropic": (_anthropic, Route.MESSAGES),
}
REQUEST = ChatCompletionRequest(model="errors-probe", messages=[{"role": "user", "content": "hello"}])


def _fail(mode: str, client: Adapter, request: ChatCompletionRequest = REQUEST) -> ProviderError:
    def sync() -> None:
        with client:
            client.completion(request)

    async def run() -> None:
        async with client:
            await client.acompletion(request)

    action = sync if mode == "sync" else lambda: asyncio.run(run())
    with pytest.raises(ProviderError) as caught:
        action()
    return caught.value


CASES: list[tuple[str, Fault, type[ProviderError], int | None, bool]] = [
    ("401", faults.error(401), AuthenticationError, 401, False),
    ("404", faults.error(404), NotFoundError, 404, False),
    ("429", faults.rate_limited(retry_after=7), RateLimitError, 429, True),
    ("overloaded", faults.preset("overloaded"), OverloadedError, None, True),
    ("500", faults.error(500), InternalServerError, 500, True),
    ("dropped mid-body", faults.drop_mid_body(12), APIConnectionError, None, True),
    ("dropped after headers", faults.drop_after_headers(), APIConnectionError, None, True),
    ("reset", faults.reset_connection(), APIConnectionError, None, True),
    ("not JSON", faults.respond(200, b"<html>gateway</html>"), ResponseParseError, None, True),
]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("adapter", list(ADAPTERS))
@pytest.mark.parametrize(("name", "fault", "cls", "status", "retryable"), CASES, ids=[c[0] for c in CASES])
def test_faults_surface_as_classified_errors(
    local_server: LocalProviderServer,
    adapter: str,
    mode: str,
    name: str,
    fault: Fault,
    cls: type[ProviderError],
    status: int | None,
    retryable: bool,
) -> None:
    factory, route = ADAPTERS[adapter]
    local_server.enqueue(route, fault, model=REQUEST.model)
    error = _fail(mode, factory(local_server))
    assert type(error) is cls
    assert error.retryable is retryable
    assert (error.provider, error.model) == (adapter, REQUEST.model)
    if status is not None:
        assert error.status_code == status
    if name == "overloaded":  # each provider's own status for it
        assert error.status_code == (529 if adapter == "anthropic" else 503)
    if name == "429":
        assert error.retry_after == 7.0
    if cls is APIConnectionError:
        assert type(error.__cause__).__module__.startswith("httpx")
    assert len(local_server.requests_for(model=REQUEST.model)) == 1  # no retry inside the adapter


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_a_hung_provider_times_out_on_the_read_timeout(
    local_server: LocalProviderServer, adapter: str, mode: str
) -> None:
    factory, route = ADAPTERS[adapter]
    local_server.enqueue(route, faults.hang(), model=REQUEST.model)
    error = _fail(mode, factory(local_server, timeout={"connect": 2, "read": 0.3, "write": 2, "pool": 2}))
    assert type(error) is APITimeoutError
    assert error.retryable
    assert "ReadTimeout" in error.message


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_per_request_timeout_bounds_one_call(local_server: LocalProviderServer, mode: str) -> None:
    local_server.enqueue(Route.CHAT, faults.delay(3), model=REQUEST.model)
    request = ChatCompletionRequest(
        model=REQUEST.model, messages=[{"role": "user", "content": "x"}], timeout=0.3
    )
    assert type(_fail(mode, _openai(local_server), request)) is APITimeoutError


@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_an_error_object_sent_with_200_is_classified_as_the_error_it_is(
    local_server: LocalProviderServer, adapter: str
) -> None:
    factory, route = ADAPTERS[adapter]
    local_server.enqueue(
        route,
        faults.respond(200, {"error": {"message": "Rate limit exceeded", "code": 429}}),
        model=REQUEST.model,
    )
    error = _fail("sync", factory(local_server))
    assert type(error) is RateLimitError
    assert error.message == "Rate limit exceeded"


def test_a_full_pool_is_our_saturation_not_the_providers(local_server: LocalProviderServer) -> None:
    """One slot, held by a hung request: the second request waits for the pool, not for the provider."""
    local_server.enqueue(Route.CHAT, faults.hang(), model=REQUEST.model)
    client = _openai(
        local_server, max_concurrency=1, timeout={"connect": 2, "read": 1.5, "write": 2, "pool": 0.2}
    )

    async def run() -> list[BaseException | Any]:
        async with client:
            first = asyncio.create_task(client.acompletion(REQUEST))
            await asyncio.sleep(0.1)
            second = asyncio.create_task(client.acompletion(REQUEST))
            return await asyncio.gather(first, second, return_exceptions=True)

    hung, waiting = asyncio.run(run())
    assert type(hung) is APITimeoutError
    assert type(waiting) is PoolTimeoutError
    assert waiting.retryable
    assert (
        len(local_server.requests_for(model=REQUEST.model)) == 1
    )  # the second request never reached the provider


def test_keys_never_show_in_errors(local_server: LocalProviderServer) -> None:
    secret = "sk-live-do-not-show-0123456789"
    local_server.configure(api_keys=("another-key-entirely",))
    error = _fail("sync", OpenAICompatibleClient(base_url=local_server.openai_base_url, api_key=secret))
    assert type(error) is AuthenticationError
    for text in (str(error), repr(error), error.body_excerpt or ""):
        assert "do-not-show" not in text
