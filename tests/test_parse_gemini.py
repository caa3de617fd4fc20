"""Gemini generateContent and embeddings parsing, rule by rule (docs/parsing-rules-gemini.md), and the
corpus's Gemini and Vertex bodies on both backends."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest

from corpus_files import Recording
from gemini_support import BACKENDS, BODIES, EMBEDDINGS, LOADED
from modelwire import parsing
from modelwire.exceptions import ContentPolicyError, ResponseParseError
from modelwire.types import GENERATED_ID_PREFIX, ImagePayload, ThinkingBlock, Usage
from parse_support import normalise_ids

BLOCKED = "vertex/generate_content/pydantic-ai__test_google_model_armor_prompt_template_text_gets_blocked__i1"


def _body(**fields: Any) -> bytes:
    return orjson.dumps(fields)


def _candidate(*parts: dict[str, Any], finish: Any = "STOP", **more: Any) -> dict[str, Any]:
    return {"content": {"role": "model", "parts": list(parts)}, "finishReason": finish, **more}


@pytest.mark.parametrize("recording", BODIES, ids=lambda r: r.id)
def test_corpus_bodies_parse_alike_on_both_backends(recording: Recording) -> None:
    outcomes = []
    for backend in LOADED:
        try:
            outcomes.append(normalise_ids(backend.parse_gemini_content(recording.body, recording.provider)))
        except ContentPolicyError as exc:
            outcomes.append((type(exc), exc.message, exc.provider_code))
    assert all(o == outcomes[0] for o in outcomes)
    if recording.id == BLOCKED:
        assert outcomes[0][0] is ContentPolicyError
        assert outcomes[0][2] == "MODEL_ARMOR"
    else:
        response = outcomes[0]
        assert response.choices, recording.id
        assert response.provider == recording.provider
        assert response.usage is not None
        assert response.usage.input_tokens


@pytest.mark.parametrize("recording", EMBEDDINGS, ids=lambda r: r.id)
def test_corpus_embeddings_parse_alike_on_both_backends(recording: Recording) -> None:
    results = [backend.parse_gemini_embeddings(recording.body, "vertex") for backend in LOADED]
    assert all(r == results[0] for r in results)
    raw = orjson.loads(recording.body)
    rows = (
        [raw["embedding"]["values"]]
        if "embedding" in raw
        else [e["values"] for e in raw["embeddings"]]
        if "embeddings" in raw
        else [p["embeddings"]["values"] for p in raw["predictions"]]
    )
    assert results[0].shape == (len(rows), len(rows[0]))
    assert np.array_equal(np.asarray(results[0].matrix), np.array(rows, dtype=np.float32))


def test_public_entry_points_are_bound() -> None:
    assert callable(parsing.parse_gemini_content)
    assert callable(parsing.parse_gemini_embeddings)


@pytest.mark.parametrize("backend", BACKENDS)
class TestContent:
    def test_text_parts_join_and_thoughts_are_reasoning_with_signatures(self, backend: Any) -> None:
        body = _body(
            candidates=[
                _candidate(
                    {"text": "plan ", "thought": True},
                    {"text": "more", "thought": True, "thoughtSignature": "c2ln"},
                    {"text": "Hello, "},
                    {"text": "world", "thoughtSignature": "dGV4dA=="},
                )
            ],
            responseId="r1",
            modelVersion="gemini-2.5-flash",
        )
        response = backend.parse_gemini_content(body)
        message = response.message
        assert (response.id, response.model, response.provider) == ("r1", "gemini-2.5-flash", "gemini")
        assert message.content == "Hello, world"
        assert message.reasoning_content == "plan more"
        assert message.thinking_blocks == [
            ThinkingBlock("plan more", "c2ln"),
            ThinkingBlock(None, "dGV4dA=="),
        ]
        assert (response.finish_reason, response.choices[0].native_finish_reason) == ("stop", "STOP")

    def test_function_calls_keep_order_arguments_and_signatures(self, backend: Any) -> None:
        body = _body(
            candidates=[
                _candidate(
                    {"functionCall": {"name": "a", "args": {"x": [1, 2]}}, "thoughtSignature": "U0lH"},
                    {"functionCall": {"name": "b", "id": "call-b"}},
                )
            ]
        )
        message = backend.parse_gemini_content(body).message
        first, second = message.tool_calls
        assert first.id.startswith(GENERATED_ID_PREFIX)
        assert (first.name, first.arguments_json, first.arguments) == ("a", '{"x":[1,2]}', {"x": [1, 2]})
        assert (second.id, second.name, second.arguments_json) == ("call-b", "b", "{}")
        assert message.thinking_blocks == [ThinkingBlock(None, "U0lH")]
        assert message.content is None

    def test_candidates_become_choices_with_their_index(self, backend: Any) -> None:
        body = _body(
            candidates=[_candidate({"text": "a"}), _candidate({"text": "b"}, finish="MAX_TOKENS", index=1)]
        )
        choices = backend.parse_gemini_content(body).choices
        assert [(c.index, c.message.content, c.finish_reason) for c in choices] == [
            (0, "a", "stop"),
            (1, "b", "length"),
        ]

    @pytest.mark.parametrize(
        ("native", "canonical"),
        [
            ("SAFETY", "content_filter"),
            ("RECITATION", "content_filter"),
            ("PROHIBITED_CONTENT", "content_filter"),
            ("BLOCKLIST", "content_filter"),
            ("SPII", "content_filter"),
            ("IMAGE_SAFETY", "content_filter"),
            ("MAX_TOKENS", "length"),
            ("OTHER", "other"),
            (3, "content_filter"),  # enum-encoding=int
            (1, "stop"),
        ],
    )
    def test_finish_reasons(self, backend: Any, native: Any, canonical: str) -> None:
        choice = backend.parse_gemini_content(_body(candidates=[_candidate(finish=native)])).choices[0]
        assert choice.finish_reason == canonical
        assert choice.native_finish_reason == (
            native if isinstance(native, str) else choice.native_finish_reason
        )
        assert isinstance(choice.native_finish_reason, str)

    def test_malformed_function_call_is_a_typed_error(self, backend: Any) -> None:
        body = _body(
            candidates=[
                _candidate(finish="MALFORMED_FUNCTION_CALL", finishMessage="Malformed function call: x(")
            ]
        )
        with pytest.raises(ResponseParseError, match=r"malformed function call .*x\(") as info:
            backend.parse_gemini_content(body, "vertex")
        assert info.value.path == "candidates[0].finishReason"
        assert info.value.provider == "vertex"
        assert info.value.retryable

    def test_a_blocked_prompt_is_a_content_policy_error(self, backend: Any) -> None:
        body = _body(promptFeedback={"blockReason": "SAFETY", "blockReasonMessage": "no"}, usageMetadata={})
        with pytest.raises(ContentPolicyError, match=r"blocked \(SAFETY\): no") as info:
            backend.parse_gemini_content(body)
        assert info.value.provider_code == "SAFETY"
        assert not info.value.retryable

    def test_no_candidates_without_a_block_is_an_empty_response(self, backend: Any) -> None:
        response = backend.parse_gemini_content(_body(usageMetadata={"promptTokenCount": 3}))
        assert response.choices == []
        assert response.usage == Usage(3, None, None)

    def test_an_error_object_is_named(self, backend: Any) -> None:
        body = _body(error={"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"})
        with pytest.raises(ResponseParseError, match="holds an error instead of a result: bad"):
            backend.parse_gemini_content(body)

    def test_usage_counts_thoughts_in_output_and_cache_in_input(self, backend: Any) -> None:
        usage_metadata = {
            "promptTokenCount": 100,
            "cachedContentTokenCount": 60,
            "candidatesTokenCount": 10,
            "thoughtsTokenCount": 30,
            "toolUsePromptTokenCount": 5,
            "totalTokenCount": 145,
            "serviceTier": "standard",
        }
        response = backend.parse_gemini_content(
            _body(candidates=[_candidate()], usageMetadata=usage_metadata)
        )
        assert response.usage == Usage(105, 40, 145, 30, 60, None, "provider")
        assert response.service_tier == "standard"

    def test_inline_images_are_images(self, backend: Any) -> None:
        body = _body(
            candidates=[
                _candidate(
                    {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}, {"text": "here"}
                )
            ]
        )
        message = backend.parse_gemini_content(body).message
        assert message.images == [ImagePayload(b64_data="iVBORw0KGgo=", mime_type="image/png")]
        assert message.content == "here"

    @pytest.mark.parametrize(
        ("fields", "path", "message"),
        [
            ({"candidates": {}}, "candidates", "expected an array, got object"),
            ({"candidates": [1]}, "candidates[0]", "expected an object, got integer"),
            ({"candidates": [{"content": {"parts": [{"text": 1}]}}]},
             "candidates[0].content.parts[0].text", None),
            ({"candidates": [{"content": {"parts": [{"functionCall": {}}]}}]},
             "candidates[0].content.parts[0].functionCall.name", "missing required field"),
            ({"candidates": [{"finishReason": 1.5}]}, "candidates[0].finishReason", None),
            ({"candidates": [{"content": {"parts": [{"text": "a", "thought": "yes"}]}}]},
             "candidates[0].content.parts[0].thought", "expected a boolean, got string"),
            ({"usageMetadata": {"promptTokenCount": "three"}}, "usageMetadata.promptTokenCount", None),
            ({"candidates": [{"content": {"parts": [
                {"functionCall": {"name": "f", "willContinue": True}}]}}]},
             "candidates[0].content.parts[0].functionCall", "partialArgs"),
            ({"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "willContinue": 1}}]}}]},
             "candidates[0].content.parts[0].functionCall.willContinue", "expected a boolean, got integer"),
            ({"candidates": [{"content": {"parts": [{"functionCall": {"name": None}}]}}]},
             "candidates[0].content.parts[0].functionCall.name", "expected a string, got null"),
        ],
    )  # fmt: skip
    def test_shape_faults_name_the_field(
        self, backend: Any, fields: dict[str, Any], path: str, message: str | None
    ) -> None:
        with pytest.raises(ResponseParseError) as info:
            backend.parse_gemini_content(orjson.dumps(fields))
        assert info.value.path == path
        if message is not None:
            assert message in info.value.message


@pytest.mark.parametrize("backend", BACKENDS)
class TestEmbeddings:
    def test_embed_content_is_one_row(self, backend: Any) -> None:
        result = backend.parse_gemini_embeddings(_body(embedding={"values": [0.5, -1.0]}))
        assert (result.shape, result.vectors, result.usage) == ((1, 2), [[0.5, -1.0]], None)

    def test_batch_rows_keep_input_order_and_usage(self, backend: Any) -> None:
        body = _body(
            embeddings=[{"values": [1, 2]}, {"values": [3, 4]}], usageMetadata={"promptTokenCount": 7}
        )
        result = backend.parse_gemini_embeddings(body, "gemini")
        assert result.vectors == [[1.0, 2.0], [3.0, 4.0]]
        assert result.usage == Usage(7, None, 7)

    def test_vertex_predictions_sum_token_counts(self, backend: Any) -> None:
        predictions = [
            {"embeddings": {"values": [1.0], "statistics": {"token_count": 2}}},
            {"embeddings": {"values": [2.0], "statistics": {"token_count": 3, "truncated": False}}},
        ]
        result = backend.parse_gemini_embeddings(_body(predictions=predictions), "vertex")
        assert result.vectors == [[1.0], [2.0]]
        assert result.usage == Usage(5, None, 5)

    @pytest.mark.parametrize(
        ("fields", "path"),
        [
            ({"embeddings": [{"values": [1]}, {"values": [1, 2]}]}, "embeddings[1].values"),
            ({"embeddings": [{"values": ["x"]}]}, "embeddings[0].values[0]"),
            ({"embedding": {}}, "embedding.values"),
            ({"predictions": [{}]}, "predictions[0].embeddings"),
            ({"nothing": 1}, "embeddings"),
            ({"embedding": {"values": [1e300]}}, "embedding.values[0]"),
        ],
    )
    def test_shape_faults(self, backend: Any, fields: dict[str, Any], path: str) -> None:
        with pytest.raises(ResponseParseError) as info:
            backend.parse_gemini_embeddings(orjson.dumps(fields))
        assert info.value.path == path
