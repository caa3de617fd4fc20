"""Canonical (OpenAI-shaped) chat requests -> Anthropic Messages bodies: every translation rule of
modelwire.request.anthropic, including what cannot be translated and must be named."""

from __future__ import annotations

from typing import Any

import pytest

from modelwire import BadRequestError, UnsupportedCapabilityError, UnsupportedParamsError
from modelwire._constants import ANTHROPIC_DEFAULT_MAX_TOKENS
from modelwire.request.anthropic import anthropic_body_fields, anthropic_messages, default_max_tokens
from modelwire.types import AssistantMessage, ChatCompletionRequest, ThinkingBlock, ToolCall

USER = {"role": "user", "content": "hi"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def _fields(drop: bool = False, **params: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    params.setdefault("messages", [USER])
    request = ChatCompletionRequest(model="claude-sonnet-4-5", **params)
    return anthropic_body_fields(request, provider="anthropic", drop_params=drop)


def test_a_plain_request_always_carries_max_tokens() -> None:
    fields, dropped = _fields()
    assert fields == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64_000,
        "messages": [{"role": "user", "content": "hi"}],
    }
    assert dropped == ()


def test_system_and_developer_messages_are_lifted_out_in_order() -> None:
    system, messages = anthropic_messages([{"role": "system", "content": "be brief"}, USER])
    assert (system, messages) == ("be brief", [USER])
    cached = {"type": "text", "text": "long context", "cache_control": {"type": "ephemeral"}}
    system, messages = anthropic_messages(
        [
            {"role": "system", "content": "rule one"},
            USER,
            {"role": "developer", "content": [cached]},
            {"role": "assistant", "content": "ok"},
        ]
    )
    assert system == [{"type": "text", "text": "rule one"}, cached]
    assert messages == [USER, {"role": "assistant", "content": "ok"}]


def test_tools_and_every_tool_choice_form() -> None:
    native = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
    bare = {
        "type": "function",
        "function": {"name": "now", "strict": True},
        "cache_control": {"type": "ephemeral"},
    }
    fields, _ = _fields(tools=[WEATHER, bare, native], tool_choice="required", parallel_tool_calls=False)
    assert fields["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": WEATHER["function"]["parameters"],  # type: ignore[index]
        },
        {
            "name": "now",
            "input_schema": {"type": "object", "properties": {}},
            "strict": True,
            "cache_control": {"type": "ephemeral"},
        },
        native,
    ]
    assert fields["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("auto", None, {"type": "auto"}),
        ("none", None, {"type": "none"}),
        ("required", True, {"type": "any"}),
        ({"type": "function", "function": {"name": "get_weather"}}, None,
         {"type": "tool", "name": "get_weather"}),
        ({"type": "tool", "name": "get_weather"}, False,
         {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
        (None, None, None),
    ],
)  # fmt: skip
def test_tool_choice(choice: Any, parallel: bool | None, expected: dict[str, Any] | None) -> None:
    fields, _ = _fields(tools=[WEATHER], tool_choice=choice, parallel_tool_calls=parallel)
    assert fields.get("tool_choice") == expected


def test_parallel_tool_calls_false_without_tools_sends_nothing() -> None:
    fields, dropped = _fields(parallel_tool_calls=False)
    assert "tool_choice" not in fields
    assert dropped == ()


@pytest.mark.parametrize("choice", ["sometimes", {"type": "function"}, {"type": "magic"}])
def test_tool_choice_that_means_nothing_is_rejected(choice: Any) -> None:
    with pytest.raises(BadRequestError, match="tool_choice"):
        _fields(tools=[WEATHER], tool_choice=choice)


def test_a_tool_round_trip_with_signed_thinking_becomes_anthropic_blocks() -> None:
    answer = AssistantMessage(
        content="Let me check.",
        tool_calls=[
            ToolCall("toolu_1", "get_weather", '{"city": "Paris"}'),
            ToolCall("toolu_2", "get_weather", ""),
        ],
        thinking_blocks=[ThinkingBlock("need weather", "sig=="), ThinkingBlock(redacted_data="REDACTED==")],
    )
    history = [
        USER,
        answer.to_message(),
        {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
        {
            "role": "tool",
            "tool_call_id": "toolu_2",
            "content": [{"type": "text", "text": "?"}],
            "is_error": True,
        },
        {"role": "user", "content": "and tomorrow?"},
    ]
    _, messages = anthropic_messages(history)
    assert messages == [
        USER,
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "need weather", "signature": "sig=="},
                {"type": "redacted_thinking", "data": "REDACTED=="},
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "content": [{"type": "text", "text": "?"}],
                    "is_error": True,
                },
            ],
        },
        {"role": "user", "content": "and tomorrow?"},
    ]


def test_thinking_blocks_in_every_accepted_form() -> None:
    native = {"type": "thinking", "thinking": "as LiteLLM sends it", "signature": "s1"}
    message = {
        "role": "assistant",
        "content": None,
        "thinking_blocks": [ThinkingBlock("object", "s0"), native, {"thinking": "no signature"}],
        "tool_calls": [{"id": "t", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}],
    }
    _, messages = anthropic_messages([USER, message])
    assert messages[1]["content"] == [
        {"type": "thinking", "thinking": "object", "signature": "s0"},
        native,
        {"type": "thinking", "thinking": "no signature"},
        {"type": "tool_use", "id": "t", "name": "f", "input": {"x": 1}},
    ]


def test_images_and_documents_from_openai_content_blocks() -> None:
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {
            "type": "image_url",
            "image_url": "https://example.com/cat.jpg",
            "cache_control": {"type": "ephemeral"},
        },
        {"type": "image_url", "image_url": {"url": "data:application/pdf;base64,JVBERi0="}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0x"}},
        {"type": "file", "file": {"file_id": "file_011"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/native.png"}},
        "plain string",
    ]
    _, messages = anthropic_messages([{"role": "user", "content": content}])
    assert messages[0]["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {
            "type": "image",
            "source": {"type": "url", "url": "https://example.com/cat.jpg"},
            "cache_control": {"type": "ephemeral"},
        },
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
        },
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"},
        },
        {"type": "document", "source": {"type": "file", "file_id": "file_011"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/native.png"}},
        {"type": "text", "text": "plain string"},
    ]


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,abc"}}]},
         "must be base64"),
        ({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:;base64,abc"}}]},
         "media type"),
        ({"role": "user", "content": [{"type": "image_url", "image_url": {}}]}, "without a url"),
        ({"role": "tool", "content": "x"}, "no tool_call_id"),
        ({"role": "assistant", "tool_calls": [{"id": "t", "function": {"name": "f", "arguments": "{oops"}}]},
         "not valid JSON"),
        ({"role": "assistant", "tool_calls": [{"id": "t", "function": {"name": "f", "arguments": "[1]"}}]},
         "must be a JSON object"),
        ({"role": "assistant", "tool_calls": [{"function": {"name": "f"}}]}, "has no id"),
        ({"role": "assistant", "tool_calls": [{"id": "t"}]}, "needs function.name"),
        ({"role": "system", "content": 3}, "must hold a string"),
    ],
)  # fmt: skip
def test_messages_that_cannot_be_translated_name_the_problem(message: dict[str, Any], words: str) -> None:
    with pytest.raises(BadRequestError, match=words) as caught:
        _fields(messages=[USER, message])
    assert (caught.value.provider, caught.value.model) == ("anthropic", "claude-sonnet-4-5")


def test_max_tokens_sources() -> None:
    assert _fields(max_tokens=100)[0]["max_tokens"] == 100
    assert _fields(max_completion_tokens=200)[0]["max_tokens"] == 200
    assert _fields(max_tokens=300, max_completion_tokens=300)[0]["max_tokens"] == 300
    # The model's documented maximum output is the default (Sonnet 4.5: 64k); a thinking budget at or
    # above it gets the fallback's room for the answer on top.
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 64_000}}
    assert _fields(extra_body=thinking)[0]["max_tokens"] == 64_000 + ANTHROPIC_DEFAULT_MAX_TOKENS
    small = {"thinking": {"type": "enabled", "budget_tokens": 10_000}}
    assert _fields(extra_body=small)[0]["max_tokens"] == 64_000
    with pytest.raises(BadRequestError, match="disagree"):
        _fields(max_tokens=1, max_completion_tokens=2)


def test_sampling_stop_structured_output_and_effort() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    fields, _ = _fields(
        temperature=0.2,
        top_p=0.9,
        stop="END",
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "x", "schema": schema, "strict": True},
        },
        reasoning_effort="low",
    )
    assert (fields["temperature"], fields["top_p"], fields["stop_sequences"]) == (0.2, 0.9, ["END"])
    assert fields["output_config"] == {"format": {"type": "json_schema", "schema": schema}, "effort": "low"}
    fields, _ = _fields(stop=["a", "b"], response_format={"type": "text"})
    assert fields["stop_sequences"] == ["a", "b"]
    assert "output_config" not in fields


def test_parameters_anthropic_cannot_take_are_all_named() -> None:
    with pytest.raises(UnsupportedParamsError) as caught:
        _fields(
            n=2,
            seed=7,
            frequency_penalty=0.5,
            presence_penalty=-1.0,
            logprobs=True,
            top_logprobs=3,
            response_format={"type": "json_object"},
            reasoning_effort="minimal",
        )
    error = caught.value
    assert error.params == (
        "response_format",
        "reasoning_effort",
        "n",
        "seed",
        "frequency_penalty",
        "presence_penalty",
        "top_logprobs",
        "logprobs",
    )
    assert "drop_params=True" in error.message
    assert (error.provider, error.model, error.retryable) == ("anthropic", "claude-sonnet-4-5", False)


def test_dropping_returns_what_was_dropped_and_sends_none_of_it() -> None:
    fields, dropped = _fields(
        drop=True, n=3, seed=1, response_format={"type": "json_object"}, temperature=1.0
    )
    assert dropped == ("response_format of type json_object", "n=3", "seed")
    assert fields == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64_000,
        "messages": [USER],
        "temperature": 1.0,
    }


def test_values_without_effect_are_accepted() -> None:
    fields, dropped = _fields(n=1, frequency_penalty=0, presence_penalty=0.0, logprobs=False, top_logprobs=0)
    assert dropped == ()
    assert set(fields) == {"model", "max_tokens", "messages"}


def test_streaming_asks_for_a_stream() -> None:
    request = ChatCompletionRequest(model="m", messages=[USER])
    fields, _ = anthropic_body_fields(request, provider="anthropic", drop_params=False, stream=True)
    assert fields["stream"] is True


def test_an_assistant_turn_that_said_nothing_is_not_sent() -> None:
    refusal = AssistantMessage(refusal="I can't help with that.").to_message()
    _, messages = anthropic_messages([USER, refusal, {"role": "user", "content": "ok, something else"}])
    assert messages == [USER, {"role": "user", "content": "ok, something else"}]
    _, messages = anthropic_messages([USER, {"role": "assistant", "content": "Sure"}])
    assert messages == [USER, {"role": "assistant", "content": "Sure"}]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-opus-4-1-20250805", 32_000),
        ("claude-opus-4-20250514", 32_000),
        ("claude-opus-4-5", 64_000),
        ("anthropic/claude-haiku-4-5-20251001", 64_000),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", 64_000),
        ("claude-3-5-haiku-latest", 8_192),
        ("claude-3-haiku-20240307", 4_096),
        ("claude-opus-4-6", 128_000),
        ("my-finetune", ANTHROPIC_DEFAULT_MAX_TOKENS),
    ],
)
def test_max_tokens_defaults_to_the_models_documented_maximum(model: str, expected: int) -> None:
    assert default_max_tokens(model) == expected
    request = ChatCompletionRequest(model=model, messages=[USER])
    assert (
        anthropic_body_fields(request, provider="anthropic", drop_params=False)[0]["max_tokens"] == expected
    )


def test_empty_text_blocks_are_dropped_everywhere() -> None:
    empty = {"type": "text", "text": ""}
    call = {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        {"role": "system", "content": [empty, {"type": "text", "text": "be brief"}]},
        {"role": "user", "content": [empty, {"type": "text", "text": "hi"}, ""]},
        {"role": "assistant", "content": [empty], "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "t1", "content": [empty, {"type": "text", "text": "42"}]},
        {"role": "assistant", "content": [empty]},
    ]
    system, out = anthropic_messages(messages)
    assert system == [{"type": "text", "text": "be brief"}]
    assert out == [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "42"}]}
            ],
        },
    ]


@pytest.mark.parametrize(
    "block",
    [
        {"type": "audio", "source": {"type": "base64", "media_type": "audio/wav", "data": "UklGR"}},
        {"type": "video", "source": {"type": "url", "url": "https://x/v.mp4"}},
        {"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}},
        {"type": "audio_url", "audio_url": {"url": "https://x/a.mp3"}},
        {"type": "video_url", "video_url": {"url": "https://x/v.mp4"}},
    ],
)
def test_audio_and_video_are_refused_before_sending(block: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedCapabilityError, match=r"takes no (audio|video) input") as caught:
        _fields(messages=[{"role": "user", "content": [{"type": "text", "text": "listen"}, block]}])
    assert (caught.value.provider, caught.value.model) == ("anthropic", "claude-sonnet-4-5")
