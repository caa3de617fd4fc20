"""Canonical chat requests as OpenAI Responses API bodies: the exact JSON of each rule
(modelwire/request/responses.py)."""

from __future__ import annotations

from typing import Any

import pytest

from modelwire.exceptions import BadRequestError, UnsupportedParamsError
from modelwire.parsing import parse_responses
from modelwire.request.responses import responses_body_fields
from modelwire.types import ChatCompletionRequest

USER = {"role": "user", "content": "Hi"}


def fields(messages: list[dict[str, Any]] | None = None, **options: Any) -> dict[str, Any]:
    settings = {
        k: options.pop(k) for k in ("stream", "store", "reasoning_summary", "drop_params") if k in options
    }
    request = ChatCompletionRequest(model="gpt-5", messages=messages or [USER], **options)
    body, _ = responses_body_fields(
        request, provider="openai", drop_params=settings.pop("drop_params", False), **settings
    )
    return body


def test_a_plain_request() -> None:
    assert fields() == {
        "model": "gpt-5",
        "input": [{"type": "message", "role": "user", "content": "Hi"}],
        "store": False,
    }


def test_system_and_developer_messages_become_the_instructions() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {
            "role": "developer",
            "content": [{"type": "text", "text": "Use "}, {"type": "text", "text": "French."}],
        },
        USER,
    ]
    body = fields(messages)
    assert body["instructions"] == "Be brief.\n\nUse French."
    assert body["input"] == [{"type": "message", "role": "user", "content": "Hi"}]


def test_text_and_image_blocks_become_input_parts() -> None:
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "https://x/cat.png", "detail": "low"}},
        {"type": "image_url", "image_url": "data:image/png;base64,AAAA"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "BBBB"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,CCCC", "filename": "a.pdf"}},
    ]
    assert fields([{"role": "user", "content": content}])["input"][0]["content"] == [
        {"type": "input_text", "text": "What is this?"},
        {"type": "input_image", "image_url": "https://x/cat.png", "detail": "low"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
        {"type": "input_image", "image_url": "data:image/jpeg;base64,BBBB", "detail": "auto"},
        {"type": "input_file", "file_data": "data:application/pdf;base64,CCCC", "filename": "a.pdf"},
    ]


def test_a_tool_loop_becomes_reasoning_function_call_and_output_items() -> None:
    assistant = {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"c":"P"}'}}
        ],
        "reasoning_items": [
            {"id": "rs_1", "summary": ["Need weather."], "content": [], "encrypted_content": "gAAA"}
        ],
    }
    tool = {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"}
    body = fields([USER, assistant, tool])
    assert body["input"][1:] == [
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Need weather."}],
         "encrypted_content": "gAAA"},
        {"type": "message", "role": "assistant", "content": "Let me check."},
        {"type": "function_call", "call_id": "call_1", "name": "weather", "arguments": '{"c":"P"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"},
    ]  # fmt: skip
    assert body["include"] == ["reasoning.encrypted_content"]  # the next turn can send reasoning back


def test_a_parsed_response_goes_back_as_it_came() -> None:
    """A multi-turn tool loop: the assistant message of a parsed Responses body, sent back."""
    response = parse_responses(
        b'{"status":"completed","output":['
        b'{"type":"reasoning","id":"rs_9","summary":[{"type":"summary_text","text":"s"}],'
        b'"content":[{"type":"reasoning_text","text":"r"}],"encrypted_content":"enc"},'
        b'{"type":"function_call","call_id":"call_9","name":"f","arguments":"{}"}]}'
    )
    body = fields([USER, response.message.to_message()])
    assert body["input"][1:] == [
        {"type": "reasoning", "id": "rs_9", "summary": [{"type": "summary_text", "text": "s"}],
         "content": [{"type": "reasoning_text", "text": "r"}], "encrypted_content": "enc"},
        {"type": "function_call", "call_id": "call_9", "name": "f", "arguments": "{}"},
    ]  # fmt: skip


def test_an_assistant_message_with_nothing_to_send_sends_nothing() -> None:
    refusal = {"role": "assistant", "content": None, "refusal": "No."}
    assert (
        fields([USER, refusal, USER])["input"] == [{"type": "message", "role": "user", "content": "Hi"}] * 2
    )


def test_function_tools_are_flattened_and_others_pass() -> None:
    tools = [
        {
            "type": "function",
            "function": {"name": "f", "description": "d", "parameters": {"type": "object"}, "strict": True},
        },
        {"type": "function", "function": {"name": "g"}},
        {"type": "web_search"},
    ]
    assert fields(tools=tools, tool_choice={"type": "function", "function": {"name": "f"}})["tools"] == [
        {
            "type": "function",
            "name": "f",
            "description": "d",
            "parameters": {"type": "object"},
            "strict": True,
        },
        {"type": "function", "name": "g", "parameters": {"type": "object", "properties": {}}},
        {"type": "web_search"},
    ]


@pytest.mark.parametrize(
    ("choice", "sent"),
    [("auto", "auto"), ("required", "required"), ({"type": "function", "function": {"name": "f"}},
     {"type": "function", "name": "f"})],
)  # fmt: skip
def test_tool_choice(choice: Any, sent: Any) -> None:
    assert fields(tool_choice=choice)["tool_choice"] == sent


def test_sampling_limits_and_parallel_calls() -> None:
    body = fields(temperature=0.2, top_p=0.9, max_tokens=100, parallel_tool_calls=False)
    assert (body["temperature"], body["top_p"], body["max_output_tokens"], body["parallel_tool_calls"]) == (
        0.2, 0.9, 100, False,
    )  # fmt: skip
    assert fields(max_completion_tokens=50)["max_output_tokens"] == 50
    with pytest.raises(BadRequestError, match="disagree"):
        fields(max_tokens=1, max_completion_tokens=2)


@pytest.mark.parametrize(
    ("response_format", "text"),
    [
        ({"type": "json_schema",
          "json_schema": {"name": "person", "schema": {"type": "object"}, "strict": True}},
         {"format": {"type": "json_schema", "name": "person", "schema": {"type": "object"}, "strict": True}}),
        ({"type": "json_object"}, {"format": {"type": "json_object"}}),
        ({"type": "text"}, {"format": {"type": "text"}}),
    ],
)  # fmt: skip
def test_response_format_becomes_text_format(response_format: dict[str, Any], text: dict[str, Any]) -> None:
    assert fields(response_format=response_format)["text"] == text


def test_reasoning_effort_and_summary() -> None:
    body = fields(reasoning_effort="high", reasoning_summary="auto")
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["include"] == ["reasoning.encrypted_content"]
    stored = fields(reasoning_effort="low", store=True)
    assert (stored["store"], "include" in stored) == (True, False)  # stored reasoning is referenced by id


def test_stream() -> None:
    assert fields(stream=True)["stream"] is True


def test_what_the_responses_api_cannot_take_is_refused_or_dropped() -> None:
    options = {"n": 2, "stop": ["x"], "seed": 1, "frequency_penalty": 0.5, "logprobs": True,
               "response_format": {"type": "regex"}}  # fmt: skip
    with pytest.raises(UnsupportedParamsError) as caught:
        fields(**options)
    assert caught.value.params == ("response_format", "n", "stop", "seed", "frequency_penalty", "logprobs")
    request = ChatCompletionRequest(model="m", messages=[USER], **options)
    body, dropped = responses_body_fields(request, provider="openai", drop_params=True)
    assert dropped == (
        "response_format of type regex",
        "n=2",
        "stop",
        "seed",
        "frequency_penalty",
        "logprobs",
    )
    assert set(body) == {"model", "input", "store"}
    assert "store" in fields(n=1, frequency_penalty=0, logprobs=False)  # no effect: accepted


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        ([{"role": "tool", "content": "x"}], "no tool_call_id"),
        (
            [{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {}}}]}],
            "JSON string",
        ),
        ([{"role": "user", "content": [{"type": "input_audio_x"}]}], "cannot take"),
        ([{"role": "wizard", "content": "x"}], "no item for"),
    ],
)
def test_bad_messages_are_named(messages: list[dict[str, Any]], match: str) -> None:
    with pytest.raises(BadRequestError, match=match):
        fields(messages)
