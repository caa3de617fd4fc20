"""Data Designer's own ModelRegistry -> ModelFacade -> ModelRequestExecutor on modelwire adapters.

Runs only where ``data-designer-engine`` is installed (``make interop-dd`` builds that venv). Every
scenario runs twice against the same scripted ``modelwire.testing`` server: once with Data Designer's own
clients, once with ``modelwire.compat.data_designer.install()``, and the outcomes are compared. Where
modelwire differs on purpose, the test says so.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

pytest.importorskip("data_designer.engine.models.factory")

from data_designer.config.models import (
    ChatCompletionInferenceParams,
    EmbeddingInferenceParams,
    ImageInferenceParams,
    ModelConfig,
    ModelProvider,
)
from data_designer.engine.model_provider import ModelProviderRegistry
from data_designer.engine.models.clients.adapters.http_model_client import ClientConcurrencyMode
from data_designer.engine.models.factory import create_model_registry
from data_designer.engine.models.registry import ModelRegistry
from data_designer.engine.models.utils import ChatMessage
from data_designer.engine.secret_resolver import PlaintextResolver

from modelwire.compat import data_designer as compat
from modelwire.testing import LocalProviderServer, Route, faults

SIDES = ("data_designer", "modelwire")
LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look a word up.",
        "parameters": {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]},
    },
}


def _configs() -> list[ModelConfig]:
    def chat(alias: str, model: str, provider: str) -> ModelConfig:
        params = ChatCompletionInferenceParams(max_parallel_requests=4, timeout=10)
        return ModelConfig(alias=alias, model=model, provider=provider, inference_parameters=params)

    return [
        chat("chat", "gpt-4o-mini", "local"),
        chat("claude", "claude-sonnet-4-5", "claude"),
        ModelConfig(alias="embed", model="text-embedding-3-small", provider="local",
                    inference_parameters=EmbeddingInferenceParams(timeout=10)),
        ModelConfig(alias="dalle", model="dall-e-2", provider="local",
                    inference_parameters=ImageInferenceParams(timeout=10)),
        ModelConfig(alias="gpt-image", model="gpt-image-1", provider="local",
                    inference_parameters=ImageInferenceParams(timeout=10)),
    ]  # fmt: skip


@contextmanager
def registry(
    server: LocalProviderServer, side: str, *, mode: Any = ClientConcurrencyMode.SYNC, key: str = "sk-interop"
) -> Iterator[ModelRegistry]:
    undo: Callable[[], None] = compat.install() if side == "modelwire" else (lambda: None)
    providers = ModelProviderRegistry(
        providers=[
            ModelProvider(name="local", endpoint=server.openai_base_url, api_key=key),
            ModelProvider(
                name="claude", endpoint=server.anthropic_base_url, provider_type="anthropic", api_key=key
            ),
        ]
    )
    built = create_model_registry(
        model_configs=_configs(),
        secret_resolver=PlaintextResolver(),
        model_provider_registry=providers,
        client_concurrency_mode=mode,
    )
    try:
        yield built
    finally:
        undo()
        if mode == ClientConcurrencyMode.SYNC:  # async scenarios close in their own loop
            for facade in list(built.models.values()):
                facade.close()


def _client_kind(built: ModelRegistry, alias: str) -> str:
    inner = getattr(built.get_model(model_alias=alias)._client, "_inner", None)
    return type(inner).__module__.split(".")[0]


def both(server: LocalProviderServer, scenario: Callable[[ModelRegistry], Any], **options: Any) -> list[Any]:
    """The scenario's outcome with Data Designer's own clients, then with modelwire's."""
    outcomes = []
    for side in SIDES:
        server.reset()
        with registry(server, side, **options) as built:
            outcome = scenario(built)
            assert _client_kind(built, "chat") == ("modelwire" if side == "modelwire" else "data_designer")
        outcomes.append(outcome)
    return outcomes


def failure(call: Callable[[], Any]) -> tuple[str, Any]:
    """What Data Designer raised: its error class and the ProviderError under it (kind, status, wait)."""
    with pytest.raises(Exception) as caught:  # noqa: PT011  (whatever Data Designer raises is the result)
        call()
    cause = caught.value.__cause__ or caught.value.__context__
    while cause is not None and type(cause).__name__ != "ProviderError":
        cause = cause.__cause__ or cause.__context__
    detail = None if cause is None else (getattr(cause, "kind", None), getattr(cause, "status_code", None),
                                          getattr(cause, "retry_after", None))  # fmt: skip
    return type(caught.value).__name__, detail


def test_chat(local_server: LocalProviderServer) -> None:
    def scenario(built: ModelRegistry) -> Any:
        text, trace = built.get_model(model_alias="chat").generate("say hello world")
        usage = built.get_model(model_alias="chat").usage_stats.token_usage
        return text, [m.content for m in trace], (usage.input_tokens, usage.output_tokens)

    dd, mw = both(local_server, scenario)
    assert mw == dd
    assert dd[0] == "echo: say hello world"


@pytest.mark.parametrize("alias", ["chat", "claude"])
def test_tool_round_trip(local_server: LocalProviderServer, alias: str) -> None:
    def scenario(built: ModelRegistry) -> Any:
        facade = built.get_model(model_alias=alias)
        messages = [ChatMessage.as_user("look up 'wire'")]
        first = facade.completion(messages, tools=[LOOKUP])
        call = first.message.tool_calls[0]
        function = {"name": call.name, "arguments": call.arguments_json}
        wire_call = {"id": call.id, "type": "function", "function": function}
        messages += [
            ChatMessage.as_assistant(tool_calls=[wire_call]),
            ChatMessage.as_tool("a cable", call.id),
        ]
        second = facade.completion(messages, tools=[LOOKUP])
        sent = local_server.last_request.json["messages"]
        return call.name, json.loads(call.arguments_json), second.message.content, sent

    dd, mw = both(local_server, scenario)
    # Anthropic's tool input comes back as an object: Data Designer writes it with json.dumps (spaces),
    # modelwire compactly as orjson does; the same arguments either way.
    assert mw[:3] == dd[:3]
    assert dd[2] == "tool result: a cable"
    if alias == "claude":
        # Data Designer's ChatMessage.to_dict() gives the assistant turn an empty text block; the real
        # Messages API rejects it with a 400. modelwire drops it (issue 18.1); the local server accepts both.
        assistant = mw[3][1]["content"]
        assert all(block.get("text") != "" for block in assistant if block.get("type") == "text")


def test_embeddings(local_server: LocalProviderServer) -> None:
    def scenario(built: ModelRegistry) -> Any:
        return built.get_model(model_alias="embed").generate_text_embeddings(["a wire", "a cable"])

    dd, mw = both(local_server, scenario)
    # modelwire holds vectors as float32 (one buffer); Data Designer keeps the JSON doubles.
    assert [len(v) for v in mw] == [len(v) for v in dd]
    assert all(
        abs(a - b) <= 1e-6 * max(1.0, abs(b))
        for x, y in zip(mw, dd, strict=True)
        for a, b in zip(x, y, strict=True)
    )


@pytest.mark.parametrize("alias", ["dalle", "gpt-image"])  # answered by URL, and as base64
def test_images(local_server: LocalProviderServer, alias: str) -> None:
    def scenario(built: ModelRegistry) -> Any:
        return built.get_model(model_alias=alias).generate_image("a cat on a wire")

    dd, mw = both(local_server, scenario)
    assert mw == dd
    assert base64.b64decode(dd[0])[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("alias", "route", "fault"),
    [
        ("chat", Route.CHAT, faults.rate_limited(retry_after=7)),
        ("chat", Route.CHAT, faults.preset("context_window")),
        ("chat", Route.CHAT, faults.preset("auth")),
        ("chat", Route.CHAT, faults.respond(200, b"<html>maintenance</html>")),
        ("claude", Route.MESSAGES, faults.preset("context_window")),
        ("claude", Route.MESSAGES, faults.preset("auth")),
    ],
)
def test_errors_reach_data_designer_as_its_own_would(
    local_server: LocalProviderServer, alias: str, route: Route, fault: Any
) -> None:
    def scenario(built: ModelRegistry) -> Any:
        local_server.enqueue(route, fault)
        return failure(lambda: built.get_model(model_alias=alias).generate("hi"))

    dd, mw = both(local_server, scenario)
    if alias == "claude" and fault.preset == "context_window":
        # Anthropic says "prompt is too long"; Data Designer's substring rules miss it (a bad request), while
        # modelwire reads it as the context-window error it is, so Data Designer's advice fits.
        assert dd[0] == "ModelBadRequestError"
        assert mw[0] == "ModelContextWindowExceededError"
        assert (mw[1][0].value, mw[1][1]) == ("context_window_exceeded", dd[1][1])
        return
    if fault.status == 200:
        # A 2xx body that is not JSON: the same class and kind; modelwire's parse error does not carry the
        # 2xx status (the executor retries neither: 200 is not a retryable status, api_error not a kind).
        assert (mw[0], mw[1][0], mw[1][1]) == (dd[0], dd[1][0], None)
        assert dd[1][1] == 200
        return
    assert mw == dd
    assert dd[1] is not None


@pytest.mark.parametrize(("alias", "route"), [("chat", Route.CHAT), ("claude", Route.MESSAGES)])
def test_overloaded_is_retried_like_a_server_error(
    local_server: LocalProviderServer, alias: str, route: Route
) -> None:
    def scenario(built: ModelRegistry) -> Any:
        local_server.enqueue(route, faults.preset("overloaded"))  # OpenAI 503, Anthropic 529
        try:
            outcome: Any = built.get_model(model_alias=alias).generate("hi")[0]
        except Exception as exc:
            cause = exc.__cause__
            outcome = (type(exc).__name__, getattr(cause, "kind", None), getattr(cause, "status_code", None))
        return outcome, len(local_server.requests)

    dd, mw = both(local_server, scenario)
    assert mw == dd


def test_reasoning_text(local_server: LocalProviderServer) -> None:
    message = {"role": "assistant", "content": "42", "reasoning_content": "six times seven"}
    usage = {"prompt_tokens": 3, "completion_tokens": 5, "completion_tokens_details": {"reasoning_tokens": 3}}
    body = {
        "id": "r1",
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        "usage": usage,
    }

    def scenario(built: ModelRegistry) -> Any:
        local_server.enqueue(Route.CHAT, faults.respond(200, body))
        text, trace = built.get_model(model_alias="chat").generate("what is six times seven")
        return text, trace[-1].reasoning_content

    dd, mw = both(local_server, scenario)
    assert mw == dd == ("42", "six times seven")


def test_async_registry_with_concurrent_calls(local_server: LocalProviderServer) -> None:
    def scenario(built: ModelRegistry) -> Any:
        facade = built.get_model(model_alias="chat")

        async def run() -> list[Any]:
            results = await asyncio.gather(*(facade.agenerate(f"word {i}") for i in range(8)))
            await facade.aclose()  # in the loop its connections belong to
            return [text for text, _ in results]

        return asyncio.run(run())

    dd, mw = both(local_server, scenario, mode=ClientConcurrencyMode.ASYNC)
    assert mw == dd == [f"echo: word {i}" for i in range(8)]
