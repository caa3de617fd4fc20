"""LMI's policy details and errors that say what happened, through the client and the local server."""

from __future__ import annotations

from typing import Any

import pytest

from modelwire import (
    AllModelsExhaustedError,
    AuthenticationError,
    BadRequestError,
    Client,
    ModelRefusalError,
    ModelwireWarning,
    RateLimitError,
)
from modelwire._redact import redact
from modelwire.policy import Limiters
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.testing.provider_errors import anthropic_error, openai_error

KEY = "sk-lmi-errors-test"
FAST = {"initial_retry_delay": 0.001, "max_retry_delay": 0.002, "limiters": False}


def openai(server: LocalProviderServer, name: str, **options: Any) -> dict[str, Any]:
    return {"name": name, "api_base": server.openai_base_url, "api_key": KEY, **options}


def chat(content: str | None, finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 1,
        "model": "model-a",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def test_a_content_filter_stop_is_a_refusal_that_falls_back(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.respond(200, chat("I can", "content_filter")), model="model-a")
    chain = [openai(local_server, "openai/model-a"), openai(local_server, "openai/model-b")]
    with Client(chain, **FAST) as client:
        assert client.complete("hi").message.content == "echo: hi"
        local_server.enqueue(Route.CHAT, faults.respond(200, chat("", "content_filter")), model="model-a")
        local_server.enqueue(Route.CHAT, faults.respond(200, chat("", "content_filter")), model="model-b")
        with pytest.raises(AllModelsExhaustedError) as info:
            client.complete("hi")
    refusal = info.value.last_exc
    assert isinstance(refusal, ModelRefusalError)
    assert refusal.finish_reason == "content_filter"
    assert "content filter" in str(info.value)
    assert [r.model for r in local_server.requests] == ["model-a", "model-b", "model-a", "model-b"]


@pytest.mark.parametrize(
    "message",
    [
        "messages: too much media: at most 100 images",
        "Image dimensions exceed max allowed size: 8000 pixels",
        "messages: text content blocks must contain non-whitespace text",
        "We've limited access to this content for safety reasons.",
        "This content was flagged for possible biological risk.",
    ],
)
def test_provider_quirk_400s_move_on_to_the_next_model(
    local_server: LocalProviderServer, message: str
) -> None:
    local_server.enqueue(Route.CHAT, faults.respond(400, openai_error(message)), model="model-a")
    chain = [openai(local_server, "openai/model-a"), openai(local_server, "openai/model-b")]
    with Client(chain, **FAST) as client:
        assert client.complete("hi").message.content == "echo: hi"
    assert [r.model for r in local_server.requests] == ["model-a", "model-b"]


def test_a_plain_400_still_stops_the_chain(local_server: LocalProviderServer) -> None:
    local_server.enqueue(
        Route.CHAT, faults.respond(400, openai_error("'messages' is malformed")), model="model-a"
    )
    chain = [openai(local_server, "openai/model-a"), openai(local_server, "openai/model-b")]
    with Client(chain, **FAST) as client, pytest.raises(BadRequestError):
        client.complete("hi")
    assert [r.model for r in local_server.requests] == ["model-a"]


def test_one_model_out_of_retries_raises_its_own_error_saying_what_happened(
    local_server: LocalProviderServer,
) -> None:
    local_server.enqueue(Route.CHAT, *[faults.rate_limited()] * 3, model="model-a")
    client = Client(openai(local_server, "openai/model-a", max_retries=2), **FAST)
    with client, pytest.raises(RateLimitError) as info:
        client.complete("hi")
    text = str(info.value)
    assert "Rate limit reached for model-a" in text  # the provider's message
    assert "status 429" in text
    notes = "\n".join(info.value.__notes__)
    assert "gave up on openai/model-a: 3 attempts failed" in notes
    assert notes.count("rate_limit 429") == 3
    assert len(local_server.requests) == 3


def test_except_authentication_error_works_for_one_model(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.preset("auth"), model="model-a")
    client = Client(openai(local_server, "openai/model-a"), **FAST)
    with client, pytest.raises(AuthenticationError):
        client.complete("hi")
    assert len(local_server.requests) == 1


def test_a_chain_keeps_every_attempt_and_names_the_last_failure(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, *[faults.rate_limited()] * 2, model="model-a")
    local_server.enqueue(Route.CHAT, faults.preset("auth"), model="model-b")
    chain = [openai(local_server, "openai/model-a", max_retries=1), openai(local_server, "openai/model-b")]
    with Client(chain, **FAST) as client, pytest.raises(AllModelsExhaustedError) as info:
        client.complete("hi")
    assert [(r.model, r.attempt) for r in info.value.attempts] == [
        ("openai/model-a", 1), ("openai/model-a", 2), ("openai/model-b", 1),
    ]  # fmt: skip
    assert isinstance(info.value.last_exc, AuthenticationError)
    assert info.value.last_exc is info.value.last
    assert "last: openai/model-b attempt 1: authentication 401" in info.value.message


def test_modelwire_hints_survive_redaction() -> None:
    hint = "no API key for provider 'openai': pass api_key= or set OPENAI_API_KEY"
    assert redact(hint) == hint
    assert redact("api_key=sk_live_abcdefgh12") == "api_key=[REDACTED]"


def test_drop_params_is_a_client_option(local_server: LocalProviderServer) -> None:
    spec = {"name": "anthropic/claude-x", "api_base": local_server.anthropic_base_url, "api_key": KEY}
    with Client(spec, **FAST) as strict, pytest.raises(BadRequestError, match="drop_params=True"):
        strict.complete("hi", seed=7)
    with Client(spec, drop_params=True, **FAST) as lenient, pytest.warns(ModelwireWarning, match="seed"):
        assert lenient.complete("hi", seed=7).message.content
    assert "seed" not in local_server.last_request.json
    with pytest.raises(TypeError, match="drop_params must be True or False"):
        Client(spec, drop_params="yes")


def test_a_misspelt_parameter_is_a_type_error_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with Client("gpt-4o-mini", limiters=Limiters()) as client:
        with pytest.raises(TypeError, match=r"'temprature' \(did you mean 'temperature'\?\).*extra_body="):
            client.complete("hi", temprature=0)
        with pytest.raises(TypeError, match="'dimension'"):
            client.embed("hi", dimension=3)


def test_extra_body_passes_a_real_extension_and_unknown_servers_take_any_keyword(
    local_server: LocalProviderServer,
) -> None:
    with Client(openai(local_server, "openai/model-a"), **FAST) as client:
        client.complete("hi", top_k=3)  # an OpenAI-compatible server at its own address: not checked
        assert local_server.last_request.json["top_k"] == 3
    spec = {"name": "anthropic/claude-x", "api_base": local_server.anthropic_base_url, "api_key": KEY}
    with Client(spec, **FAST) as client:
        with pytest.raises(TypeError, match="'top_kk'"):
            client.complete("hi", top_kk=3)
        client.complete("hi", extra_body={"top_kk": 3})
        assert local_server.last_request.json["top_kk"] == 3


def test_anthropic_error_shape_is_read_for_the_message(local_server: LocalProviderServer) -> None:
    body = anthropic_error("invalid_request_error", "messages: too much media: at most 100 images")
    local_server.enqueue(Route.MESSAGES, faults.respond(400, body))
    chain = [
        {"name": "anthropic/claude-x", "api_base": local_server.anthropic_base_url, "api_key": KEY},
        openai(local_server, "openai/model-b"),
    ]
    with Client(chain, **FAST) as client:
        assert client.complete("hi").message.content == "echo: hi"
