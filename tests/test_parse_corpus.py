"""Every recorded chat completion, embedding and image response parses the same with both parsers."""

from __future__ import annotations

import pytest

import modelwire.parsing
from corpus_files import Recording, recordings
from modelwire import ResponseParseError
from parse_support import CORPUS_KINDS, KINDS, both, error_signature, outcome

# Files of these kinds that are not a result in the OpenAI format; both parsers must reject them alike.
NOT_A_RESULT = {
    "azure_openai/chat_completions/openllmetry__test_prompt_content_filtering__i0.json": "holds an error",
    "openai/chat_completions/openinference__test_agent__i1.json": "empty response body",
    "cohere/embeddings/pydantic-ai__TestCohere.test_query__i0.json": "missing required field",
    "cohere/embeddings/vercel-ai__cohere-embedding.json": "missing required field",
    "gemini/embeddings/llm-gemini__test_embedding_batch__i0.json": "missing required field",
    "gemini/embeddings/openinference__test_async_embed_content__i0.json": "missing required field",
    "vertex/embeddings/pydantic-ai__test_google_task_prefix_vertex__i0.json": "missing required field",
    "vertex/embeddings/vercel-ai__google-vertex-embedding.json": "missing required field",
}

CASES = [pytest.param(r, id=r.id) for r in recordings(*CORPUS_KINDS)]


def _parse_name(recording: Recording) -> str:
    return KINDS[CORPUS_KINDS[recording.kind]]


@pytest.mark.parametrize("recording", CASES)
def test_active_backend_parses_or_rejects_as_listed(recording: Recording) -> None:
    parse = getattr(modelwire.parsing, _parse_name(recording))
    if recording.path in NOT_A_RESULT:
        with pytest.raises(ResponseParseError, match=NOT_A_RESULT[recording.path]) as info:
            parse(recording.body, recording.provider)
        assert info.value.provider == recording.provider
        return
    result = parse(recording.body, recording.provider)
    assert result.provider == recording.provider
    assert result.body is recording.body or result.body == recording.body


@pytest.mark.parametrize("recording", CASES)
def test_rust_and_twin_agree(recording: Recording) -> None:
    pure, rust = both()
    name = _parse_name(recording)
    kind_a, a = outcome(getattr(pure, name), recording.body, recording.provider)
    kind_b, b = outcome(getattr(rust, name), recording.body, recording.provider)
    assert kind_a == kind_b, (a, b)
    if kind_a == "ok":
        assert a == b
        assert repr(a) == repr(b)
    else:
        assert error_signature(a) == error_signature(b)


def test_the_corpus_covers_every_kind() -> None:
    counts = {kind: sum(1 for _ in recordings(kind)) for kind in CORPUS_KINDS}
    assert counts["chat_completions"] > 100
    assert counts["embeddings"] > 10
    assert counts["images"] >= 3
