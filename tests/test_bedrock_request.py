"""Canonical (OpenAI-shaped) chat requests -> Bedrock Converse bodies: every translation rule of
modelwire.request.bedrock by the exact JSON it produces, including what cannot be translated and must be
named, and the path the model id goes in."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from modelwire import BadRequestError, UnsupportedParamsError
from modelwire.parsing import parse_bedrock_converse
from modelwire.request.bedrock import bedrock_converse_body, converse_path
from modelwire.types import ChatCompletionRequest

USER = {"role": "user", "content": "hi"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
PNG = "iVBORw0KGgo="


def _body(drop: bool = False, **params: Any) -> tuple[bytes, tuple[str, ...]]:
    params.setdefault("messages", [USER])
    request = ChatCompletionRequest(model="anthropic.claude-sonnet-4-5-v1:0", **params)
    body, dropped = bedrock_converse_body(request, drop_params=drop)
    return orjson.dumps(body), dropped


def test_a_plain_request() -> None:
    assert _body() == (b'{"messages":[{"role":"user","content":[{"text":"hi"}]}]}', ())


@pytest.mark.parametrize(
    ("model", "stream", "path"),
    [
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", False,
         "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", True,
         "/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream"),
        ("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-pro-v1:0", False,
         "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.amazon.nova-pro-v1%3A0"
         "/converse"),
        ("amazon.nova-lite-v1:0", True, "/model/amazon.nova-lite-v1%3A0/converse-stream"),
    ],
)  # fmt: skip
def test_model_ids_are_one_percent_encoded_path_segment(model: str, stream: bool, path: str) -> None:
    assert converse_path(model, stream=stream) == path


def test_system_and_developer_messages_are_lifted_out_in_order() -> None:
    cached = {"type": "text", "text": "long context", "cache_control": {"type": "ephemeral"}}
    body, _ = _body(
        messages=[
            {"role": "system", "content": "rule one"},
            USER,
            {"role": "developer", "content": [cached]},
            {"role": "assistant", "content": "ok"},
        ]
    )
    assert orjson.loads(body) == {
        "messages": [
            {"role": "user", "content": [{"text": "hi"}]},
            {"role": "assistant", "content": [{"text": "ok"}]},
        ],
        "system": [{"text": "rule one"}, {"text": "long context"}, {"cachePoint": {"type": "default"}}],
    }


def test_inference_config() -> None:
    body, _ = _body(max_completion_tokens=100, temperature=0.5, top_p=0.9, stop="END")
    assert body == (
        b'{"messages":[{"role":"user","content":[{"text":"hi"}]}],'
        b'"inferenceConfig":{"maxTokens":100,"temperature":0.5,"topP":0.9,"stopSequences":["END"]}}'
    )
    assert b'"maxTokens":7' in _body(max_tokens=7)[0]
    assert b'"stopSequences":["a","b"]' in _body(stop=["a", "b"])[0]
    with pytest.raises(BadRequestError, match="disagree"):
        _body(max_tokens=7, max_completion_tokens=8)


def test_tools_and_every_tool_choice_form() -> None:
    cached_tool = dict(WEATHER, cache_control={"type": "ephemeral"})
    native = {"toolSpec": {"name": "raw", "inputSchema": {"json": {"type": "object"}}}}
    body, _ = _body(tools=[cached_tool, native], tool_choice="required")
    assert orjson.loads(body)["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "description": "Weather for a city",
                    "inputSchema": {"json": WEATHER["function"]["parameters"]},  # type: ignore[index]
                }
            },
            {"cachePoint": {"type": "default"}},
            native,
        ],
        "toolChoice": {"any": {}},
    }
    choice = {"type": "function", "function": {"name": "get_weather"}}
    for given, expected in [("auto", {"auto": {}}), (choice, {"tool": {"name": "get_weather"}}),
                            ({"tool": {"name": "x"}}, {"tool": {"name": "x"}})]:  # fmt: skip
        assert (
            orjson.loads(_body(tools=[WEATHER], tool_choice=given)[0])["toolConfig"]["toolChoice"] == expected
        )
    bare = {"type": "function", "function": {"name": "ping"}}
    assert orjson.loads(_body(tools=[bare])[0])["toolConfig"] == {
        "tools": [
            {"toolSpec": {"name": "ping", "inputSchema": {"json": {"type": "object", "properties": {}}}}}
        ]
    }
    with pytest.raises(BadRequestError, match="tool_choice 'sometimes'"):
        _body(tools=[WEATHER], tool_choice="sometimes")
    with pytest.raises(BadRequestError, match="without tools"):
        _body(tool_choice="auto")


def test_a_tool_round_trip_with_reasoning_signatures() -> None:
    """A Converse answer with reasoning and a tool call, sent back as history, gives the same blocks."""
    answer = {
        "output": {"message": {"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "need weather", "signature": "sig=="}}},
            {"reasoningContent": {"redactedContent": "cmVk"}},
            {"text": "Checking."},
            {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Oslo"}}},
        ]}},
        "stopReason": "tool_use",
    }  # fmt: skip
    assistant = parse_bedrock_converse(orjson.dumps(answer)).message.to_message()
    messages = [
        USER,
        assistant,
        {"role": "tool", "tool_call_id": "tooluse_1", "content": "-3C"},
        {"role": "tool", "tool_call_id": "tooluse_2", "content": "boom", "is_error": True},
        {"role": "user", "content": "and tomorrow?"},
    ]
    body, _ = _body(messages=messages, tools=[WEATHER])
    assert orjson.loads(body)["messages"] == [
        {"role": "user", "content": [{"text": "hi"}]},
        answer["output"]["message"],  # type: ignore[index]
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "-3C"}]}},
                {"toolResult": {"toolUseId": "tooluse_2", "content": [{"text": "boom"}], "status": "error"}},
                {"text": "and tomorrow?"},
            ],
        },
    ]


def test_images_and_documents() -> None:
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": "s3://bucket/cat.JPG", "cache_control": {"type": "ephemeral"}},
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "Q3 report.pdf"},
        },
        {"type": "image_url", "image_url": {"url": "data:text/csv;base64,YSxi"}},
        {"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://b/v.mp4"}}}},
    ]
    body, _ = _body(messages=[{"role": "user", "content": content}])
    assert orjson.loads(body)["messages"][0]["content"] == [
        {"text": "what is this?"},
        {"image": {"format": "png", "source": {"bytes": PNG}}},
        {"image": {"format": "jpeg", "source": {"s3Location": {"uri": "s3://bucket/cat.JPG"}}}},
        {"cachePoint": {"type": "default"}},
        {"document": {"format": "pdf", "name": "Q3 report", "source": {"bytes": "JVBERi0="}}},
        {"document": {"format": "csv", "name": "document-2", "source": {"bytes": "YSxi"}}},
        {"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://b/v.mp4"}}}},
    ]


@pytest.mark.parametrize(
    ("block", "match"),
    [
        ({"type": "image_url", "image_url": {"url": "https://x/cat.png"}}, "data URIs or s3://"),
        ({"type": "image_url", "image_url": {"url": "data:image/png,raw"}}, "must be base64"),
        ({"type": "image_url", "image_url": {"url": "data:audio/wav;base64,AA"}}, "'audio/wav'"),
        ({"type": "image_url", "image_url": {"url": "s3://b/x.tiff"}}, "not png, jpeg"),
        ({"type": "input_audio", "input_audio": {}}, "'input_audio'"),
        ({"type": "file", "file": {"file_id": "file-1"}}, "file_data"),
    ],
)
def test_media_converse_cannot_take_is_named(block: dict[str, Any], match: str) -> None:
    with pytest.raises(BadRequestError, match=match):
        _body(messages=[{"role": "user", "content": [block]}])


def test_extra_body_splits_into_converse_fields_and_model_fields() -> None:
    guardrail = {"guardrailIdentifier": "gr-1", "guardrailVersion": "1", "trace": "enabled"}
    body, _ = _body(
        max_tokens=2048,
        extra_body={
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "guardrailConfig": guardrail,
            "additionalModelRequestFields": {"top_k": 5},
            "performanceConfig": {"latency": "optimized"},
        },
    )
    assert body == (
        b'{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":2048},'
        b'"guardrailConfig":{"guardrailIdentifier":"gr-1","guardrailVersion":"1","trace":"enabled"},'
        b'"performanceConfig":{"latency":"optimized"},'
        b'"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024},"top_k":5}}'
    )


def test_what_converse_cannot_take_is_named_or_dropped() -> None:
    params: dict[str, Any] = {
        "n": 2, "seed": 1, "frequency_penalty": 0.5, "logprobs": True, "reasoning_effort": "high",
        "response_format": {"type": "json_object"}, "tools": [WEATHER], "tool_choice": "none",
        "parallel_tool_calls": False,
    }  # fmt: skip
    with pytest.raises(UnsupportedParamsError) as caught:
        _body(**params)
    assert caught.value.params == (
        "tool_choice", "parallel_tool_calls", "n", "seed", "frequency_penalty", "logprobs", "response_format",
        "reasoning_effort",
    )  # fmt: skip
    body, dropped = _body(drop=True, **params)
    assert len(dropped) == 8
    plain = orjson.loads(_body(tools=[WEATHER])[0])["toolConfig"]
    assert orjson.loads(body)["toolConfig"] == plain  # tool_choice none dropped: no toolChoice
    # Values with no effect are fine.
    assert _body(n=1, frequency_penalty=0, logprobs=False, response_format={"type": "text"})[1] == ()


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        (["hi"], r"messages\[0\] is not an object"),
        ([{"role": "critic", "content": "x"}], "role 'critic'"),
        ([{"role": "tool", "content": "x"}], "no tool_call_id"),
        ([{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{"}, "id": "1"}]}],
         "not valid JSON"),
        ([{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "[]"}, "id": "1"}]}],
         "must be a JSON object"),
        ([{"role": "assistant", "tool_calls": [{"function": {"name": "f"}}]}], "has no id"),
        ([{"role": "system", "content": 3}], "string or a list"),
    ],
)  # fmt: skip
def test_malformed_history_is_a_bad_request(messages: list[Any], match: str) -> None:
    with pytest.raises(BadRequestError, match=match):
        _body(messages=messages)


def test_an_empty_assistant_turn_is_not_sent_and_the_users_around_it_join() -> None:
    body, _ = _body(messages=[USER, {"role": "assistant", "content": None, "refusal": "no"}, USER])
    assert body == b'{"messages":[{"role":"user","content":[{"text":"hi"},{"text":"hi"}]}]}'
