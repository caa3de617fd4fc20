"""Object keys of tool arguments and logprobs: the Rust binding reuses the Python strings it made for them
(a bounded, direct-mapped cache); whatever the cache holds, the dicts are exactly what orjson builds."""

from __future__ import annotations

import orjson
import pytest

from parse_support import both


def _completion(arguments: bytes, logprobs: object = None) -> bytes:
    function = {"name": "f", "arguments": arguments.decode()}
    choice = {
        "index": 0,
        "message": {
            "role": "assistant",
            "tool_calls": [{"id": "c", "type": "function", "function": function}],
        },
        "logprobs": logprobs,
    }
    return orjson.dumps({"id": "x", "model": "m", "choices": [choice]})


def test_more_distinct_keys_than_the_cache_holds_build_the_same_dicts() -> None:
    pure, rust = both()
    # Thousands of keys (evictions and hash collisions), long ones (never cached), non-ASCII and escaped
    # ones, and one repeated with a new value (it keeps its first position with the last value).
    keys = {f"key_{i}": i for i in range(5000)} | {
        "k" * 100: "long",
        "clé": "non-ASCII",
        "tab\tkey": "escaped",
    }
    text = orjson.dumps({"outer": [keys, {"key_1": {"key_2": None}}]})
    text = text[:-1] + b',"outer":[' + orjson.dumps(keys)[:-1] + b',"key_7":"last"}]}'
    expected = orjson.loads(text)
    assert expected["outer"][0]["key_7"] == "last"
    body = _completion(text, logprobs={"content": [{"token": "a", "logprob": -0.5, "bytes": [97]}] * 50})
    for _ in range(2):  # the second parse finds the keys cached
        a = pure.parse_chat_completion(body).choices[0]
        b = rust.parse_chat_completion(body).choices[0]
        assert b.message.tool_calls[0].arguments == a.message.tool_calls[0].arguments == expected
        assert list(b.message.tool_calls[0].arguments["outer"][0]) == list(expected["outer"][0])
        assert b.logprobs == a.logprobs


def test_a_key_seen_before_is_the_same_string_object() -> None:
    _, rust = both()
    body = _completion(b'{"location": "Paris", "unit": "celsius"}')
    first = rust.parse_chat_completion(body).choices[0].message.tool_calls[0].arguments
    second = rust.parse_chat_completion(body).choices[0].message.tool_calls[0].arguments
    if not all(a is b for a, b in zip(first, second, strict=True)):
        pytest.fail("keys were made afresh: the key cache is not in use")
