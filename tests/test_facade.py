"""``Client`` / ``AsyncClient`` against the local provider server: what each model shape sends, options,
usage accounting, ``with_options``, lifecycle, refusals, tool round trips."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from typing import Any

import pytest

import modelwire
from modelwire import (
    AllModelsExhaustedError,
    AsyncClient,
    Client,
    ClientClosedError,
    ContextWindowExceededError,
    LLMConfig,
    ModelRefusalError,
    ModelSpec,
    Usage,
    UsageLedger,
)
from modelwire.policy import Limiters
from modelwire.testing import LocalProviderServer, Route, faults

KEY = "sk-facade-test"
ANTHROPIC_KEY = "sk-ant-facade-test"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def openai(server: LocalProviderServer, name: str = "openai/gpt-4.1-mini", **options: Any) -> dict[str, Any]:
    return {"name": name, "api_base": server.openai_base_url, "api_key": KEY, **options}


def anthropic(server: LocalProviderServer, name: str = "anthropic/claude-sonnet-4-5") -> dict[str, Any]:
    return {"name": name, "api_base": server.anthropic_base_url, "api_key": ANTHROPIC_KEY}


def test_import_modelwire_stays_light() -> None:
    code = (
        "import sys, modelwire;"
        "print(sorted(m for m in ('httpx', 'pydantic', 'modelwire.facade', 'modelwire.providers')"
        " if m in sys.modules));"
        "modelwire.Client;"
        "print('httpx' in sys.modules, 'modelwire.facade' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # httpx loads with the first client, not with the class (tests/test_import_cost.py).
    assert out.splitlines() == ["[]", "False True"]


def test_a_model_string_sends_the_provider_model_id_params_and_extra_body(
    local_server: LocalProviderServer,
) -> None:
    with Client("openai/gpt-4.1-mini", api_base=local_server.openai_base_url, api_key=KEY) as client:
        response = client.complete("What is the capital of France?", temperature=0, top_k=3, seed=7)
    assert response.message.content == "echo: What is the capital of France?"
    sent = local_server.last_request
    assert sent.path == "/v1/chat/completions"
    assert sent.header("authorization") == f"Bearer {KEY}"
    assert sent.json == {
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "temperature": 0,
        "seed": 7,
        "top_k": 3,  # not a request field: through extra_body, flat into the body
    }


def test_an_anthropic_model_string_speaks_the_messages_api(local_server: LocalProviderServer) -> None:
    spec = anthropic(local_server)
    with Client(spec["name"], api_base=spec["api_base"], api_key=ANTHROPIC_KEY) as client:
        response = client.complete(
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
        )
    assert response.message.content == "echo: hi"
    sent = local_server.last_request
    assert sent.path == "/v1/messages"
    assert sent.header("x-api-key") == ANTHROPIC_KEY
    assert sent.json["model"] == "claude-sonnet-4-5"
    assert sent.json["system"] == "Be brief."
    assert sent.json["max_tokens"] == 64_000  # Sonnet 4.5's documented maximum output (issue 11.5)
    assert client.usage == {"anthropic/claude-sonnet-4-5": response.usage}


def test_a_base_url_with_a_name_calls_that_model(local_server: LocalProviderServer) -> None:
    with Client(local_server.openai_base_url, name="meta-llama/Llama-3.1-8B-Instruct", api_key=KEY) as client:
        client.complete("hi")
        assert client.models == ["meta-llama/Llama-3.1-8B-Instruct"]
    assert local_server.last_request.json["model"] == "meta-llama/Llama-3.1-8B-Instruct"


@pytest.mark.parametrize(
    ("model", "options", "error", "match"),
    [
        ("http://127.0.0.1:9/v1", {}, ValueError, "does not say which model"),
        ("http://127.0.0.1:9/v1", {"name": "m", "api_base": "http://x"}, TypeError, "not both"),
        ("openai/gpt-4.1", {"name": "other"}, TypeError, "already given"),
        ("openai/gpt-4.1", {"temprature": 0}, TypeError, "'temprature'"),
        ("", {}, ValueError, "must name a model"),
        ("openai/gpt-4.1", {"on_refusal": "ignore"}, ValueError, "on_refusal"),
        ("openai/gpt-4.1", {"limiters": "shared"}, TypeError, "limiters"),
        ({"models": []}, {}, ValueError, "at least one model"),
    ],
)
def test_bad_models_and_options_fail_at_construction(
    model: Any, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        Client(model, **options)


def test_request_only_names_are_refused_as_call_parameters(local_server: LocalProviderServer) -> None:
    with Client(openai(local_server)["name"], api_base=local_server.openai_base_url, api_key=KEY) as client:
        with pytest.raises(TypeError, match="the client's chain chooses the model"):
            client.complete("hi", model="gpt-4o")
        with pytest.raises(ValueError, match="messages is empty"):
            client.complete([])
        with pytest.raises(TypeError, match="a message must be a dict"):
            client.complete([("user", "hi")])
    assert local_server.requests == []


@pytest.mark.parametrize(
    "shape",
    ["spec", "config", "models_dict", "legacy_router", "flat_dict", "list"],
)
def test_every_lmi_shape_builds_the_same_chain(local_server: LocalProviderServer, shape: str) -> None:
    a, b = openai(local_server, "openai/model-a"), openai(local_server, "openai/model-b")
    shapes: dict[str, Any] = {
        "spec": ModelSpec(**a),
        "config": LLMConfig(models=[ModelSpec(**a), ModelSpec(**b)]),
        "models_dict": {"models": [a, b]},
        "legacy_router": {
            "model_list": [
                {
                    "model_name": "a",
                    "litellm_params": {"model": a["name"], "api_base": a["api_base"], "api_key": KEY},
                },
                {
                    "model_name": "b",
                    "litellm_params": {"model": b["name"], "api_base": b["api_base"], "api_key": KEY},
                },
            ],
            "fallbacks": [{"a": ["b"]}],
        },
        "flat_dict": {**a, "temperature": 0.5},
        "list": [ModelSpec(**a), ModelSpec(**b)],
    }
    local_server.enqueue(Route.CHAT, faults.preset("context_window"), model="model-a")
    with Client(shapes[shape], limiters=Limiters()) as client:
        if shape in ("spec", "flat_dict"):
            # One model: its own error, not AllModelsExhaustedError (``except ...Error`` keeps working).
            with pytest.raises(ContextWindowExceededError):
                client.complete("hi")
            assert client.models == ["openai/model-a"]
        else:
            assert client.complete("hi").message.content == "echo: hi"
            assert client.models == ["openai/model-a", "openai/model-b"]
            assert client.calls == {"openai/model-b": 1}
    if shape == "flat_dict":
        assert local_server.last_request.json["temperature"] == 0.5


def test_options_set_every_model_of_the_chain_and_the_chain_itself(local_server: LocalProviderServer) -> None:
    chain = {"models": [openai(local_server, "openai/a"), openai(local_server, "openai/b")], "deadline": 30}
    client = Client(chain, max_retries=0, deadline=5, extra_headers={"x-team": "blue"})
    assert [m.max_retries for m in client.config.models] == [0, 0]
    assert client.config.deadline == 5
    client.complete("hi")
    assert local_server.last_request.header("x-team") == "blue"
    assert [m.api_key.get_secret_value() for m in client.config.models] == [KEY, KEY]  # type: ignore[union-attr]
    client.close()


def test_usage_is_summed_per_model_across_threads(local_server: LocalProviderServer) -> None:
    spec = openai(local_server)
    client = Client(spec["name"], api_base=spec["api_base"], api_key=KEY)
    one = client.complete("one two three").usage
    assert one is not None
    assert one.total_tokens == 7  # 3 prompt words + 4 ("echo: one two three")
    client.reset_usage()

    def work() -> None:
        for _ in range(10):
            client.complete("one two three")

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = client.usage["openai/gpt-4.1-mini"]
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (180, 240, 420)
    assert client.calls == {"openai/gpt-4.1-mini": 60}
    assert client.total_usage.total_tokens == 420
    client.close()


def test_usage_is_summed_per_model_across_async_tasks(local_server: LocalProviderServer) -> None:
    chain = [openai(local_server, "openai/model-a"), openai(local_server, "openai/model-b")]

    async def main() -> dict[str, Usage]:
        async with AsyncClient(chain, limiters=Limiters()) as client:
            await asyncio.gather(*(client.complete("a b") for _ in range(40)))
            local_server.enqueue(Route.CHAT, faults.preset("context_window"), model="model-a")
            await client.embed(["x y z"])  # embeddings: 3 prompt tokens
            await client.complete("c")  # moves to model-b
            return client.usage

    usage = asyncio.run(main())
    assert usage["openai/model-a"].total_tokens == 40 * (2 + 3) + 3
    assert usage["openai/model-b"].total_tokens == 1 + 2


def test_with_options_changes_a_copy_that_shares_connections_and_usage(
    local_server: LocalProviderServer,
) -> None:
    spec = openai(local_server)
    client = Client(spec["name"], api_base=spec["api_base"], api_key=KEY, deadline=60)
    client.complete("first")
    strict = client.with_options(deadline=3, max_retries=0)
    assert (strict.config.deadline, strict.config.primary.max_retries) == (3, 0)
    assert (client.config.deadline, client.config.primary.max_retries) == (60, 3)
    strict.complete("second")
    first, second = local_server.requests
    assert second.connection == first.connection  # the same keep-alive connection: one pool
    assert client.calls == {"openai/gpt-4.1-mini": 2}

    other_key = client.with_options(api_key="sk-another-key")
    other_key.complete("third")
    assert local_server.last_request.header("authorization") == "Bearer sk-another-key"
    assert client.calls == {"openai/gpt-4.1-mini": 3}
    client.close()


def test_closing_is_final_for_the_client_and_its_copies(local_server: LocalProviderServer) -> None:
    spec = openai(local_server)
    with Client(spec["name"], api_base=spec["api_base"], api_key=KEY) as client:
        client.complete("a")
        copy = client.with_options(max_retries=0)
        copy.complete("b")
    for closed in (client, copy):  # a with_options copy shares the client's lifetime
        assert closed.closed
        with pytest.raises(ClientClosedError, match="was closed"):
            closed.complete("c")
        with pytest.raises(ClientClosedError):
            closed.stream("c")
        with pytest.raises(ClientClosedError):
            closed.embed(["c"])
    with pytest.raises(ClientClosedError):
        client.__enter__()
    a, b = local_server.requests  # nothing was sent after close, no pool was reopened
    assert a.connection == b.connection


def test_an_async_client_closes_for_good(local_server: LocalProviderServer) -> None:
    client = AsyncClient("openai/gpt-4.1-mini", api_base=local_server.openai_base_url, api_key=KEY)

    async def twice() -> list[str | None]:
        async with client:
            return [(await client.complete(text)).message.content for text in ("a", "b")]

    assert asyncio.run(twice()) == ["echo: a", "echo: b"]
    with pytest.raises(ClientClosedError):
        asyncio.run(twice())

    async def after() -> None:
        await client.complete("c")

    with pytest.raises(ClientClosedError):
        asyncio.run(after())
    connections = [r.connection for r in local_server.requests]
    assert len(connections) == 2
    assert connections[0] == connections[1]


def test_embeddings_skip_a_model_that_has_none(local_server: LocalProviderServer) -> None:
    with Client([anthropic(local_server), openai(local_server, "openai/text-embedding-3-small")]) as client:
        response = client.embed(["alpha", "beta"], dimensions=8)
        assert response.shape == (2, 8)
        assert client.calls == {"openai/text-embedding-3-small": 1}
    assert [r.route for r in local_server.requests] == ["embeddings"]
    assert local_server.last_request.json["dimensions"] == 8


def test_images_through_the_chain(local_server: LocalProviderServer) -> None:
    with Client(openai(local_server, "openai/gpt-image-1")) as client:
        response = client.generate_image("a red square", n=2, size="256x256")
    assert [image.mime_type for image in response.images] == ["image/png", "image/png"]
    assert local_server.last_request.json == {
        "model": "gpt-image-1", "prompt": "a red square", "n": 2, "size": "256x256",
    }  # fmt: skip


REFUSAL = {
    "id": "chatcmpl-refusal",
    "object": "chat.completion",
    "created": 1,
    "model": "model-a",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": None, "refusal": "I can't help with that."},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11},
}


def test_a_refusal_moves_to_the_next_model_and_is_counted(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.respond(200, REFUSAL), model="model-a")
    with Client([openai(local_server, "openai/model-a"), openai(local_server, "openai/model-b")]) as client:
        assert client.complete("hi").message.content == "echo: hi"
        assert client.usage["openai/model-a"].total_tokens == 11  # a refusal is billed
        local_server.enqueue(Route.CHAT, faults.respond(200, REFUSAL), model="model-a")
        local_server.enqueue(Route.CHAT, faults.respond(200, REFUSAL), model="model-b")
        with pytest.raises(AllModelsExhaustedError) as info:
            client.complete("hi")
    refusals = [record.exception for record in info.value.attempts]
    assert all(isinstance(e, ModelRefusalError) for e in refusals)
    assert refusals[0].response.message.refusal == "I can't help with that."  # type: ignore[attr-defined]


def test_a_refusal_can_be_returned(local_server: LocalProviderServer) -> None:
    local_server.enqueue(Route.CHAT, faults.respond(200, REFUSAL), model="model-a")
    with Client(openai(local_server, "openai/model-a"), on_refusal="return") as client:
        assert client.complete("hi").message.refusal == "I can't help with that."


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_tool_round_trip_sends_the_assistant_turn_back(
    local_server: LocalProviderServer, provider: str
) -> None:
    spec = openai(local_server) if provider == "openai" else anthropic(local_server)
    with Client(spec) as client:
        messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
        first = client.complete(messages, tools=[WEATHER])
        (call,) = first.message.tool_calls
        assert (call.name, call.arguments) == ("get_weather", {"city": "echo-city"})
        messages += [first.message, {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"}]
        second = client.complete(messages, tools=[WEATHER])
    assert second.message.content == "tool result: sunny, 21 C"
    sent = local_server.last_request.json["messages"]
    if provider == "openai":
        assert sent[1]["tool_calls"][0]["id"] == call.id
    else:
        tool_use = [block for block in sent[1]["content"] if block["type"] == "tool_use"]
        assert tool_use == [
            {"type": "tool_use", "id": call.id, "name": "get_weather", "input": {"city": "echo-city"}}
        ]
        assert sent[2]["content"][0]["tool_use_id"] == call.id


def test_repr_and_lazy_exports() -> None:
    client = Client(["openai/a", "anthropic/b"], api_key="sk-never-shown-1234567")
    assert repr(client) == "<Client openai/a -> anthropic/b>"
    assert "sk-never-shown" not in repr(client.config)
    assert modelwire.Client is Client
    assert "ModelRegistry" in modelwire.__all__


def test_the_ledger_sums_like_usage_addition_and_hands_out_copies() -> None:
    ledger = UsageLedger()
    counts = [name for name in Usage._fields if name.endswith(("_tokens", "_images"))]
    first = Usage(input_tokens=1)  # the other counts not reported
    # then every count twice, each to its own value: a count the ledger dropped or replaced would show
    second = Usage(**{name: 10 + i for i, name in enumerate(counts)}, reasoning_token_count_source="provider")
    third = Usage(**{name: 100 * (i + 1) for i, name in enumerate(counts)})
    for usage in (first, second, None, third):  # None: answered without usage, a call but no tokens
        ledger.add("m", usage)
    expected = first + second + third
    assert expected.generated_images == 10 + 6 + 700
    assert ledger.by_model() == {"m": expected}
    assert ledger.calls() == {"m": 4}
    assert (first.input_tokens, first.output_tokens) == (1, None)  # the caller's usage is left alone
    ledger.by_model()["m"].input_tokens = 99
    assert ledger.total() == expected
    assert ledger.reset() == {"m": expected}
    assert (ledger.by_model(), ledger.calls()) == ({}, {})
