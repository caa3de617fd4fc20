"""Tool arguments sent as an object nested deeper than orjson writes (254 levels): a ResponseParseError
at the arguments, alike in the Rust parser and the twin, streamed or not (docs/parsing-rules.md section 3,
docs/stream-rules.md)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from modelwire import ResponseParseError
from parse_support import both, error_signature, implementations, outcome
from test_stream_corpus import BACKENDS, LOADED, Folded, fold
from test_stream_rules import sse

DEEP = "nested more than 254 levels deep"
STREAM_DEEP = "arguments are nested too deeply to serialize"
CALL_PATH = "choices[0].message.tool_calls[0].function.arguments"
LEGACY_PATH = "choices[0].message.function_call.arguments"


def nested(levels: int) -> str:
    """An object `levels` deep, the object itself counting as the first level."""
    return '{"a":' + "[" * (levels - 1) + "1" + "]" * (levels - 1) + "}"


# (arguments text, whether orjson can write it once loaded)
CASES = [
    pytest.param(nested(254), True, id="254"),
    pytest.param(nested(255), False, id="255"),
    pytest.param(nested(600), False, id="600"),
    pytest.param('{"a":' + nested(600) + ',"a":{"b":2}}', True, id="replaced-by-a-later-duplicate"),
    pytest.param(
        '{"b":{"a":' + nested(300) + ',"a":2},"a":' + nested(300) + "}", False, id="replaced-then-deep"
    ),
    pytest.param('{"x":' + nested(254) + "}", False, id="255-under-a-key"),
]


def chat_body(arguments: str, *, legacy: bool = False) -> bytes:
    if legacy:
        message = '{"function_call":{"name":"f","arguments":' + arguments + "}}"
    else:
        message = '{"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":' + arguments
        message += "}}]}"
    return ('{"id":"x","model":"m","choices":[{"index":0,"message":' + message + "}]}").encode()


@pytest.mark.parametrize("impl", implementations())
@pytest.mark.parametrize(("arguments", "ok"), CASES)
def test_each_parser_writes_what_orjson_writes_or_names_the_arguments(
    impl: Any, arguments: str, ok: bool
) -> None:
    body = chat_body(arguments)
    if not ok:
        with pytest.raises(ResponseParseError) as caught:
            impl.parse_chat_completion(body, "p")
        assert (caught.value.message, caught.value.path, caught.value.provider) == (DEEP, CALL_PATH, "p")
        return
    call = impl.parse_chat_completion(body, "p").choices[0].message.tool_calls[0]
    loaded = orjson.loads(arguments)
    assert call.arguments_json == orjson.dumps(loaded).decode()
    assert call.arguments == loaded


@pytest.mark.parametrize("legacy", [False, True], ids=["tool_calls", "function_call"])
@pytest.mark.parametrize(("arguments", "ok"), CASES)
def test_rust_and_twin_agree(arguments: str, ok: bool, legacy: bool) -> None:
    pure, rust = both()
    body = chat_body(arguments, legacy=legacy)
    kind_a, a = outcome(pure.parse_chat_completion, body)
    kind_b, b = outcome(rust.parse_chat_completion, body)
    assert (kind_a, kind_b) == (("ok", "ok") if ok else ("error", "error")), (a, b)
    if ok:
        assert a == b
        assert a.choices[0].message.tool_calls[0].arguments == b.choices[0].message.tool_calls[0].arguments
    else:
        path = LEGACY_PATH if legacy else CALL_PATH
        assert error_signature(a) == error_signature(b) == (ResponseParseError, DEEP, path)


@pytest.mark.parametrize("impl", implementations())
def test_a_later_arguments_member_replaces_a_deep_one(impl: Any) -> None:
    function = '{"name":"f","arguments":' + nested(300) + ',"arguments":"{\\"k\\": 1}"}'
    body = ('{"choices":[{"message":{"tool_calls":[{"function":' + function + "}]}}]}").encode()
    call = impl.parse_chat_completion(body).choices[0].message.tool_calls[0]
    assert (call.arguments_json, call.arguments) == ('{"k": 1}', {"k": 1})


@pytest.mark.parametrize("impl", implementations())
def test_an_earlier_fault_in_the_call_comes_first(impl: Any) -> None:
    function = '{"name":5,"arguments":' + nested(300) + "}"
    body = ('{"choices":[{"message":{"tool_calls":[{"function":' + function + "}]}}]}").encode()
    with pytest.raises(ResponseParseError) as caught:
        impl.parse_chat_completion(body)
    assert caught.value.path == "choices[0].message.tool_calls[0].function.name"


def stream_event(arguments: str) -> bytes:
    call = '{"index":0,"id":"a","function":{"name":"f","arguments":' + arguments + "}}"
    return sse(
        ('{"id":"x","model":"m","choices":[{"index":0,"delta":{"tool_calls":[' + call + "]}}]}").encode()
    )


def anthropic_events(arguments: str) -> bytes:
    block = '{"type":"tool_use","id":"t","name":"f","input":' + arguments + "}"
    start = '{"type":"content_block_start","index":0,"content_block":' + block + "}"
    return sse(start.encode(), b'{"type":"content_block_stop","index":0}')


def _summary(folded: Folded) -> tuple[Any, ...]:
    failure = folded.failure
    calls = folded.response.choices[0].message.tool_calls if folded.response.choices else []
    return (
        None if failure is None else (failure.message, failure.path),
        [(call.name, call.arguments_json) for call in calls],
        folded.events,
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("arguments", "ok"), CASES)
def test_streamed_arguments_follow_the_same_rule(backend: Any, arguments: str, ok: bool) -> None:
    folded = fold(backend, "openai", [stream_event(arguments)])
    if ok:
        assert folded.failure is None
        written = orjson.dumps(orjson.loads(arguments)).decode()
        assert [c.arguments_json for c in folded.response.choices[0].message.tool_calls] == [written]
    else:
        assert folded.failure is not None
        assert (folded.failure.message, folded.failure.path) == (
            "stream event 1: " + STREAM_DEEP,
            "choices[0].delta.tool_calls[0].function.arguments",
        )


@pytest.mark.parametrize(("arguments", "ok"), CASES)
def test_streams_agree_across_backends(arguments: str, ok: bool) -> None:
    if len(LOADED) < 2:
        pytest.skip("the Rust extension is not built")
    openai = [_summary(fold(backend, "openai", [stream_event(arguments)])) for backend in LOADED]
    anthropic = [_summary(fold(backend, "anthropic", [anthropic_events(arguments)])) for backend in LOADED]
    assert openai[0] == openai[1]
    assert anthropic[0] == anthropic[1]
    assert (openai[0][0] is None, anthropic[0][0] is None) == (ok, ok)
