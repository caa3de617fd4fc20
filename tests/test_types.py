"""The canonical types: equality by field, lazy derived state, tool-call arguments, usage sums."""

from __future__ import annotations

import pickle
from array import array
from typing import Any

import numpy as np
import pytest

from modelwire import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    EmbeddingResponse,
    ImagePayload,
    ThinkingBlock,
    ToolArgumentsError,
    ToolCall,
    Usage,
)
from modelwire.types import GENERATED_ID_PREFIX, new_tool_call_id


def test_records_compare_by_field_and_ignore_retained_body() -> None:
    a = ChatCompletionResponse(id="x", choices=[], body=b'{"id":"x"}')
    b = ChatCompletionResponse(id="x", choices=[], body=b'{"id": "x"}')
    assert a == b
    assert a != ChatCompletionResponse(id="y")
    assert a != "x"


def test_raw_is_decoded_lazily_from_the_body() -> None:
    response = ChatCompletionResponse(id="x", body=b'{"id":"x","extra":[1,2]}')
    assert response._raw is not None  # the sentinel, not decoded yet
    assert response.raw == {"id": "x", "extra": [1, 2]}
    assert response.raw is response.raw


def test_message_is_the_first_choice_or_empty() -> None:
    first = AssistantMessage(content="hi")
    response = ChatCompletionResponse(
        choices=[
            ChatCompletionChoice(0, first, "stop", "stop"),
            ChatCompletionChoice(1, AssistantMessage("bye")),
        ]
    )
    assert response.message is first
    assert response.finish_reason == "stop"
    assert ChatCompletionResponse().message == AssistantMessage()


def test_repr_omits_empty_fields_and_images_show_size_not_bytes() -> None:
    assert repr(Usage(input_tokens=3)) == "Usage(input_tokens=3)"
    image = ImagePayload(b64_data="A" * 5000, mime_type="image/png")
    assert "AAAA" not in repr(image)
    assert "5000 base64 chars" in repr(image)


def test_tool_call_arguments_parse_once_and_keep_the_exact_string() -> None:
    call = ToolCall("call_1", "get", '{"city": "Paris", "n": 2}')
    assert call.arguments == {"city": "Paris", "n": 2}
    assert call.arguments is call.arguments
    assert call.arguments_json == '{"city": "Paris", "n": 2}'
    assert ToolCall("c", "noargs", "  ").arguments == {}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [('{"city": ', "not valid JSON"), ("[1, 2]", "JSON array, not an object"), ("null", "null")],
)
def test_invalid_tool_arguments_raise_a_typed_error(text: str, fragment: str) -> None:
    call = ToolCall("call_1", "get_weather", text)
    with pytest.raises(ToolArgumentsError, match=fragment) as info:
        _ = call.arguments
    assert info.value.tool_name == "get_weather"
    assert info.value.call_id == "call_1"
    assert isinstance(info.value, ValueError)


def test_generated_tool_call_ids_are_unique_and_marked() -> None:
    ids = {new_tool_call_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith(GENERATED_ID_PREFIX) and len(i) == len(GENERATED_ID_PREFIX) + 24 for i in ids)


def test_to_message_round_trips_tool_calls_and_thinking() -> None:
    message = AssistantMessage(
        content=None,
        tool_calls=[ToolCall("call_1", "f", '{"a":1}')],
        thinking_blocks=[ThinkingBlock("because", "sig"), ThinkingBlock(redacted_data="enc")],
    )
    assert message.to_message() == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
        ],
        "thinking_blocks": [
            {"thinking": "because", "signature": "sig", "redacted_data": None},
            {"thinking": None, "signature": None, "redacted_data": "enc"},
        ],
    }


def test_usage_addition_keeps_none_when_nobody_reported() -> None:
    total = Usage(input_tokens=3, output_tokens=1) + Usage(input_tokens=2, cache_read_tokens=5)
    assert total == Usage(input_tokens=5, output_tokens=1, cache_read_tokens=5)
    assert total.reasoning_tokens is None


def test_embedding_buffer_is_shared_with_numpy_without_a_copy() -> None:
    values = np.arange(6, dtype=np.float32)
    response = EmbeddingResponse(values.tobytes(), count=2, dimensions=3, model="m")
    matrix = np.asarray(response.matrix)
    assert matrix.shape == (2, 3)
    assert matrix.dtype == np.float32
    assert not matrix.flags.owndata  # a view over response.buffer
    assert np.shares_memory(matrix, np.frombuffer(response.buffer, dtype=np.float32))
    assert response.vectors == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert len(response) == 2


def test_empty_embedding_response_and_size_mismatch() -> None:
    empty = EmbeddingResponse(b"", count=0, dimensions=0)
    assert empty.vectors == []
    assert len(empty.matrix) == 0
    with pytest.raises(ValueError, match="expected 2 x 3"):
        EmbeddingResponse(b"\0" * 20, count=2, dimensions=3)


def test_canonical_types_pickle() -> None:
    response = ChatCompletionResponse(
        id="x",
        choices=[ChatCompletionChoice(0, AssistantMessage("hi", tool_calls=[ToolCall("a", "b", "{}")]))],
        usage=Usage(1, 2, 3),
    )
    assert pickle.loads(pickle.dumps(response)) == response


def test_data_designer_constructors_build_the_same_objects() -> None:
    message = AssistantMessage("hi")
    response = ChatCompletionResponse(message=message, usage=Usage(1, 2, 3))
    assert response.choices == [ChatCompletionChoice(0, message)]
    assert (response.message, response.messages, response.usage) == (message, [message], Usage(1, 2, 3))
    two = [
        ChatCompletionChoice(message=message),
        ChatCompletionChoice(index=1, message=AssistantMessage("b")),
    ]
    assert ChatCompletionResponse(message=message, choices=two).messages == [message, AssistantMessage("b")]
    assert ChatCompletionChoice(message=message).index == 0


@pytest.mark.parametrize(
    "build",
    [
        lambda: ChatCompletionResponse(AssistantMessage("hi")),  # type: ignore[misc]
        lambda: ChatCompletionResponse(message="hi"),  # type: ignore[arg-type]
        lambda: ChatCompletionChoice(AssistantMessage("hi")),  # type: ignore[arg-type, call-arg]
        lambda: ChatCompletionChoice(0),
        lambda: EmbeddingResponse(),
        lambda: EmbeddingResponse(b"", 0, 0, vectors=[[1.0]]),
    ],
)
def test_constructors_refuse_what_would_build_a_wrong_object(build: Any) -> None:
    with pytest.raises(TypeError):
        build()


def test_message_and_choices_must_agree() -> None:
    choices = [ChatCompletionChoice(0, AssistantMessage("a"))]
    with pytest.raises(ValueError, match="first choice"):
        ChatCompletionResponse(message=AssistantMessage("b"), choices=choices)


def test_embeddings_from_vectors() -> None:
    response = EmbeddingResponse(vectors=[[1.0, 0.1], [2.0, 3.0]], raw={"data": []})
    assert (response.count, response.dimensions, response.vectors) == (2, 2, [[1.0, 0.1], [2.0, 3.0]])
    assert array("f", response.buffer).tolist()[2:] == [2.0, 3.0]
    assert response.raw == {"data": []}
    assert EmbeddingResponse(vectors=[]).shape == (0, 0)
    with pytest.raises(ValueError, match="vector 1 has 1 values"):
        EmbeddingResponse(vectors=[[1.0, 2.0], [1.0]])
