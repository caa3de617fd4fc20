"""What is built once instead of per request (issue 19.3) still says the right thing: headers per adapter
(a ``with_options`` copy sends its own), the translation context (follows ``drop_params`` changed on the
adapter), decision logs (formatted only when INFO is on, the same text when it is), and the chain a
policy walks (every call starts at the primary)."""

from __future__ import annotations

import logging
import warnings

import pytest

from modelwire import Client, ModelwireWarning, RateLimitError, UnsupportedParamsError
from modelwire.config import LLMConfig, ModelSpec
from modelwire.policy import RetryPolicy, chain
from modelwire.policy.backoff import Backoff
from modelwire.providers import AnthropicClient
from modelwire.testing import LocalProviderServer
from modelwire.types import ChatCompletionRequest

KEY = "sk-per-request-key"


def test_a_with_options_copy_sends_its_own_headers_and_the_original_keeps_its(
    local_server: LocalProviderServer,
) -> None:
    base = {"api_base": local_server.openai_base_url, "api_key": KEY}
    with Client("openai/gpt-4.1-mini", extra_headers={"X-Team": "a"}, **base) as client:
        copy = client.with_options(extra_headers={"X-Team": "b"})
        sent = []
        for who in (client, copy, client, copy):
            who.complete("hi")
            sent.append(local_server.last_request.header("x-team"))
        assert sent == ["a", "b", "a", "b"]
        assert local_server.last_request.header("authorization") == f"Bearer {KEY}"


def test_the_translation_context_follows_drop_params_changed_on_the_adapter() -> None:
    adapter = AnthropicClient(api_key="sk-ant-per-request", base_url="http://127.0.0.1:9")
    request = ChatCompletionRequest(model="claude-sonnet-4-5", messages=[{"role": "user", "content": "x"}],
                                    logprobs=True)  # fmt: skip
    with pytest.raises(UnsupportedParamsError):
        adapter._prepare_chat(request)
    adapter.drop_params = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prepared = adapter._prepare_chat(request, stream=True)
    assert b"logprobs" not in prepared.body
    assert b'"stream":true' in prepared.body
    assert [w.category for w in caught] == [ModelwireWarning]
    adapter.drop_params = False
    with pytest.raises(UnsupportedParamsError):
        adapter._prepare_chat(request, stream=True)


def _failed_once(caplog: pytest.LogCaptureFixture) -> float:
    run = chain.ChainRun(
        [ModelSpec(name="openai/gpt-4.1-mini", max_retries=2)],
        backoff=Backoff(initial=0.5, cap=0.5),
        deadline=None,
        clock=lambda: 100.0,
    )
    ctx = run.next_attempt()
    return run.failed(ctx, RateLimitError("slow down", status_code=429, retry_after=1.0))


def test_a_decision_is_not_described_unless_info_is_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    described: list[object] = []
    real = chain._describe
    monkeypatch.setattr(chain, "_describe", lambda error: described.append(error) or real(error))
    caplog.set_level(logging.WARNING, logger="modelwire.policy")
    assert _failed_once(caplog) >= 1.0
    assert described == []
    assert [r for r in caplog.records if r.name == "modelwire.policy"] == []
    caplog.set_level(logging.INFO, logger="modelwire.policy")
    delay = _failed_once(caplog)
    assert described  # formatted by each handler that emits the line
    [line] = [r.getMessage() for r in caplog.records if r.name == "modelwire.policy"]
    assert line == (
        "modelwire: openai/gpt-4.1-mini attempt 1/3 failed (rate_limit 429 retry-after 1s: slow down) "
        f"-> retrying in {delay:.2f}s"
    )


def test_every_call_of_a_policy_starts_at_the_primary() -> None:
    config = LLMConfig(models=[ModelSpec(name="openai/a", max_retries=0), ModelSpec(name="openai/b")])
    policy = RetryPolicy(config, limiters=False, sleep=lambda _: None)
    seen: list[str] = []

    def attempt(ctx: chain.AttemptContext) -> str:
        seen.append(ctx.spec.name)
        if ctx.spec.name == "openai/a":
            raise RateLimitError("busy", status_code=429)
        return ctx.spec.name

    assert [policy.call(attempt) for _ in range(3)] == ["openai/b"] * 3
    assert seen == ["openai/a", "openai/b"] * 3
    assert [m.name for m in config.models] == ["openai/a", "openai/b"]
