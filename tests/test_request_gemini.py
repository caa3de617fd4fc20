"""Canonical chat requests as Gemini generateContent bodies: the exact JSON of each translation rule
(python/modelwire/request/gemini.py), and thought signatures round-tripped across a tool turn."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from modelwire.exceptions import BadRequestError, UnsupportedParamsError
from modelwire.parsing.pure.gemini import parse_gemini_content
from modelwire.request.gemini import gemini_body_fields, gemini_embedding_body
from modelwire.types import ChatCompletionRequest


def _body(drop_params: bool = False, **fields: Any) -> dict[str, Any]:
    fields.setdefault("model", "gemini-2.5-flash")
    fields.setdefault("messages", [{"role": "user", "content": "hi"}])
    body, dropped = gemini_body_fields(
        ChatCompletionRequest(**fields), provider="gemini", drop_params=drop_params
    )
    assert dropped == () or drop_params
    return orjson.loads(orjson.dumps(body))  # exactly what goes on the wire


def test_system_and_turns() -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "developer", "content": [{"type": "text", "text": "and kind"}]},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": [{"type": "text", "text": "more"}]},
    ]
    assert _body(messages=messages) == {
        "contents": [
            {"role": "user", "parts": [{"text": "hi"}]},
            {"role": "model", "parts": [{"text": "hello"}]},
            {"role": "user", "parts": [{"text": "more"}]},
        ],
        "systemInstruction": {"parts": [{"text": "be brief"}, {"text": "and kind"}]},
    }


def test_images_inline_and_by_uri() -> None:
    content = [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "gs://bucket/cat.jpeg"}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": "UklGR"}},
        {
            "type": "image",
            "source": {"type": "url", "url": "https://generativelanguage.googleapis.com/v1beta/files/abc"},
        },
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0="}},
        {"fileData": {"mimeType": "video/mp4", "fileUri": "https://youtu.be/x"}},
    ]
    parts = _body(messages=[{"role": "user", "content": content}])["contents"][0]["parts"]
    assert parts == [
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://bucket/cat.jpeg"}},
        {"inlineData": {"mimeType": "image/webp", "data": "UklGR"}},
        {"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc"}},
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}},
        {"fileData": {"mimeType": "video/mp4", "fileUri": "https://youtu.be/x"}},
    ]


def test_tools_declarations_and_native_tools() -> None:
    tools = [
        {"type": "function", "function": {"name": "get", "description": "d",
                                          "parameters": {"type": "object", "additionalProperties": False}}},
        {"type": "function", "function": {"name": "now"}},
        {"googleSearch": {}},
    ]  # fmt: skip
    assert _body(tools=tools)["tools"] == [
        {
            "functionDeclarations": [
                {"name": "get", "description": "d",
                 "parametersJsonSchema": {"type": "object", "additionalProperties": False}},
                {"name": "now"},
            ]
        },
        {"googleSearch": {}},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"functionCallingConfig": {"mode": "AUTO"}}),
        ("none", {"functionCallingConfig": {"mode": "NONE"}}),
        ("required", {"functionCallingConfig": {"mode": "ANY"}}),
        (
            {"type": "function", "function": {"name": "get"}},
            {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get"]}},
        ),
    ],
)
def test_tool_choice_modes(choice: Any, config: dict[str, Any]) -> None:
    tools = [{"type": "function", "function": {"name": "get"}}]
    assert _body(tools=tools, tool_choice=choice)["toolConfig"] == config


def test_parallel_calls_and_their_responses() -> None:
    messages = [
        {"role": "user", "content": "weather in A and B?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_mw_1", "type": "function", "function": {"name": "w", "arguments": '{"c":"A"}'}},
                {"id": "v-2", "type": "function", "function": {"name": "w", "arguments": ""}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_mw_1", "content": '{"t": 20}'},
        {"role": "tool", "tool_call_id": "v-2", "content": "sunny"},
    ]
    assert _body(messages=messages)["contents"][1:] == [
        {
            "role": "model",
            "parts": [
                {"functionCall": {"name": "w", "args": {"c": "A"}}},
                {"functionCall": {"name": "w", "args": {}, "id": "v-2"}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "w", "response": {"t": 20}}},
                {"functionResponse": {"name": "w", "response": {"result": "sunny"}, "id": "v-2"}},
            ],
        },
    ]


def test_generation_config() -> None:
    body = _body(
        temperature=0.2, top_p=0.9, max_completion_tokens=100, stop="END", n=2, seed=7,
        presence_penalty=0.5, frequency_penalty=0.1, logprobs=True, top_logprobs=3,
        extra_body={"top_k": 40, "generationConfig": {"mediaResolution": "MEDIA_RESOLUTION_LOW"},
                    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]},
    )  # fmt: skip
    assert body["generationConfig"] == {
        "temperature": 0.2, "topP": 0.9, "maxOutputTokens": 100, "stopSequences": ["END"],
        "candidateCount": 2, "seed": 7, "presencePenalty": 0.5, "frequencyPenalty": 0.1,
        "responseLogprobs": True, "logprobs": 3, "topK": 40, "mediaResolution": "MEDIA_RESOLUTION_LOW",
    }  # fmt: skip
    assert body["safetySettings"] == [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    assert "top_k" not in body


def test_structured_output() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema, "strict": True}}
    assert _body(response_format=fmt)["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseJsonSchema": schema,
    }
    assert _body(response_format={"type": "json_object"})["generationConfig"] == {
        "responseMimeType": "application/json"
    }


@pytest.mark.parametrize(
    ("model", "effort", "config"),
    [
        ("gemini-2.5-flash", "low", {"thinkingBudget": 1024, "includeThoughts": True}),
        ("gemini-2.5-pro", "high", {"thinkingBudget": 24576, "includeThoughts": True}),
        ("gemini-3-pro-preview", "low", {"thinkingLevel": "low", "includeThoughts": True}),
        ("gemini-2.5-flash", "none", {"thinkingBudget": 0}),
    ],
)
def test_thinking_config(model: str, effort: str, config: dict[str, Any]) -> None:
    assert _body(model=model, reasoning_effort=effort)["generationConfig"] == {"thinkingConfig": config}


def test_unsupported_params_raise_or_are_dropped() -> None:
    fields = {
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "parallel_tool_calls": False,
        "response_format": {"type": "grammar"},
        "reasoning_effort": "extreme",
    }
    with pytest.raises(UnsupportedParamsError) as info:
        _body(**fields)
    assert info.value.params == ("parallel_tool_calls", "response_format", "reasoning_effort")
    request = ChatCompletionRequest(
        model="gemini-3-pro", messages=[{"role": "user", "content": "x"}], **fields
    )
    body, dropped = gemini_body_fields(request, provider="gemini", drop_params=True)
    assert dropped == (
        "parallel_tool_calls=False",
        "response_format of type grammar",
        "reasoning_effort=extreme",
    )
    assert "generationConfig" not in body


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        ([{"role": "tool", "tool_call_id": "nope", "content": "x"}], "answers no earlier tool call"),
        ([{"role": "narrator", "content": "x"}], "no turn for"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,xx"}}]}],
         "must be base64"),
        ([{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{"}}]}],
         "not valid JSON"),
    ],
)  # fmt: skip
def test_bad_requests_name_the_message(messages: list[Any], match: str) -> None:
    with pytest.raises(BadRequestError, match=match):
        _body(messages=messages)


def test_thought_signatures_round_trip_across_a_tool_turn() -> None:
    answer = {
        "candidates": [{
            "content": {"role": "model", "parts": [
                {"text": "I should look.", "thought": True, "thoughtSignature": "VEhPVUdIVA=="},
                {"functionCall": {"name": "look", "args": {"q": "a"}}, "thoughtSignature": "RklSU1Q="},
                {"functionCall": {"name": "look", "args": {"q": "b"}}},
            ]},
            "finishReason": "STOP",
        }]
    }  # fmt: skip
    message = parse_gemini_content(orjson.dumps(answer)).message
    history = [
        {"role": "user", "content": "look twice"},
        message.to_message(),
        *({"role": "tool", "tool_call_id": call.id, "content": "found"} for call in message.tool_calls),
    ]
    body = _body(model="gemini-3-pro-preview", messages=orjson.loads(orjson.dumps(history)))
    assert body["contents"][1:] == [
        {
            "role": "model",
            "parts": [
                {"text": "I should look.", "thought": True, "thoughtSignature": "VEhPVUdIVA=="},
                {"functionCall": {"name": "look", "args": {"q": "a"}}, "thoughtSignature": "RklSU1Q="},
                {"functionCall": {"name": "look", "args": {"q": "b"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "look", "response": {"result": "found"}}},
                {"functionResponse": {"name": "look", "response": {"result": "found"}}},
            ],
        },
    ]


def test_a_text_signature_goes_back_on_the_text() -> None:
    message = {
        "role": "assistant",
        "content": "done",
        "thinking_blocks": [{"thinking": None, "signature": "U0k="}],
    }
    assert _body(messages=[message])["contents"] == [
        {"role": "model", "parts": [{"text": "done", "thoughtSignature": "U0k="}]}
    ]


def test_other_providers_thinking_blocks_are_left_out() -> None:
    message = {
        "role": "assistant",
        "content": "ok",
        "thinking_blocks": [
            {"type": "thinking", "thinking": "t", "signature": "anthropic"},
            {"redacted_data": "x"},
        ],
    }
    assert _body(messages=[message])["contents"] == [{"role": "model", "parts": [{"text": "ok"}]}]


def test_embedding_bodies() -> None:
    assert gemini_embedding_body("gemini-embedding-001", ["a", "b"], dimensions=8) == {
        "requests": [
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": "a"}]},
                "outputDimensionality": 8,
            },
            {
                "model": "models/gemini-embedding-001",
                "content": {"parts": [{"text": "b"}]},
                "outputDimensionality": 8,
            },
        ]
    }
    assert gemini_embedding_body("text-embedding-005", ["a"], vertex_predict=True) == {
        "instances": [{"content": "a"}]
    }
