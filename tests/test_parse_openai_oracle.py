"""Where the official openai SDK can read a recorded body, it agrees with ours (the SDK is an oracle only)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pydantic
import pytest
from openai.types import CreateEmbeddingResponse, ImagesResponse
from openai.types.chat import ChatCompletion

import modelwire.parsing
from corpus_files import Recording, recordings
from modelwire.types import GENERATED_ID_PREFIX


def _sdk(model: type[pydantic.BaseModel], recording: Recording) -> Any:
    try:
        return model.model_validate_json(recording.body)
    except (pydantic.ValidationError, ValueError):
        return None


def _cases(kind: str, model: type[pydantic.BaseModel]) -> list[Any]:
    cases = [pytest.param(r, id=r.id) for r in recordings(kind) if _sdk(model, r) is not None]
    assert cases, f"the SDK could read none of the {kind} recordings"
    return cases


@pytest.mark.parametrize("recording", _cases("chat_completions", ChatCompletion))
def test_chat_completions_agree_with_the_sdk(recording: Recording) -> None:
    sdk: ChatCompletion = _sdk(ChatCompletion, recording)
    ours = modelwire.parsing.parse_chat_completion(recording.body, recording.provider)
    assert (ours.id, ours.model, ours.created) == (sdk.id, sdk.model, sdk.created)
    assert len(ours.choices) == len(sdk.choices)
    for mine, theirs in zip(ours.choices, sdk.choices, strict=True):
        assert mine.index == theirs.index
        assert mine.message.content == theirs.message.content
        assert mine.message.refusal == (theirs.message.refusal or None)
        expected_finish = {"function_call": "tool_calls"}.get(theirs.finish_reason, theirs.finish_reason)
        assert mine.finish_reason == (expected_finish or None)
        assert mine.native_finish_reason == (theirs.finish_reason or None)
        sdk_calls = [(c.id, c.function.name, c.function.arguments) for c in theirs.message.tool_calls or ()]
        legacy = theirs.message.function_call
        if not sdk_calls and legacy is not None and legacy.name:
            sdk_calls = [("", legacy.name, legacy.arguments)]
        our_calls = [(c.id, c.name, c.arguments_json) for c in mine.message.tool_calls]
        assert len(our_calls) == len(sdk_calls)
        for (our_id, *rest), (sdk_id, *sdk_rest) in zip(our_calls, sdk_calls, strict=True):
            assert rest == sdk_rest
            assert our_id == sdk_id or (not sdk_id and our_id.startswith(GENERATED_ID_PREFIX))
    if sdk.usage is None:
        assert ours.usage is None
        return
    assert ours.usage is not None
    usage = sdk.usage
    assert (ours.usage.input_tokens, ours.usage.output_tokens, ours.usage.total_tokens) == (
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.total_tokens,
    )
    if usage.completion_tokens_details and usage.completion_tokens_details.reasoning_tokens is not None:
        assert ours.usage.reasoning_tokens == usage.completion_tokens_details.reasoning_tokens
    if usage.prompt_tokens_details and usage.prompt_tokens_details.cached_tokens is not None:
        assert ours.usage.cache_read_tokens == usage.prompt_tokens_details.cached_tokens


def test_the_sdk_reads_most_of_the_chat_corpus() -> None:
    assert len(_cases("chat_completions", ChatCompletion)) > 80


@pytest.mark.parametrize("recording", _cases("embeddings", CreateEmbeddingResponse))
def test_float_embeddings_agree_with_the_sdk(recording: Recording) -> None:
    sdk: CreateEmbeddingResponse = _sdk(CreateEmbeddingResponse, recording)
    ours = modelwire.parsing.parse_embeddings(recording.body, recording.provider)
    by_index = sorted(sdk.data, key=lambda item: item.index)
    expected = np.asarray([item.embedding for item in by_index], dtype=np.float32)
    assert np.array_equal(np.asarray(ours.matrix), expected)
    assert ours.model == sdk.model
    assert ours.usage is not None
    assert ours.usage.input_tokens == sdk.usage.prompt_tokens


@pytest.mark.parametrize("recording", _cases("images", ImagesResponse))
def test_images_agree_with_the_sdk(recording: Recording) -> None:
    sdk: ImagesResponse = _sdk(ImagesResponse, recording)
    ours = modelwire.parsing.parse_image_generation(recording.body, recording.provider)
    assert ours.created == sdk.created
    expected = [(i.b64_json, i.url, i.revised_prompt) for i in sdk.data or ()]
    assert [(i.b64_data, i.url, i.revised_prompt) for i in ours.images] == expected
