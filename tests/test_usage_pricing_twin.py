"""The counts prices need (cache writes by TTL, modality counts) read alike by the Rust core and the twin,
including the shapes they reject or skip (docs/parsing-rules-*.md; docs/cost.md)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from parse_support import both, error_signature, outcome

ANTHROPIC = {"id": "msg_1", "model": "claude-haiku-4-5", "content": [{"type": "text", "text": "hi"}],
             "stop_reason": "end_turn"}  # fmt: skip
GEMINI = {"candidates": [{"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}]}
BEDROCK = {
    "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
    "stopReason": "end_turn",
}

# (function, body template, usage member, usage value)
CASES: list[tuple[str, dict[str, Any], str, Any]] = [
    ("parse_anthropic_message", ANTHROPIC, "usage",
     {"input_tokens": 3, "output_tokens": 2, "cache_creation_input_tokens": 30,
      "cache_creation": {"ephemeral_5m_input_tokens": 10, "ephemeral_1h_input_tokens": 20}}),
    ("parse_anthropic_message", ANTHROPIC, "usage",
     {"input_tokens": 3, "output_tokens": 2, "cache_creation": [1]}),  # not an object: skipped
    ("parse_anthropic_message", ANTHROPIC, "usage",
     {"input_tokens": 3, "output_tokens": 2, "cache_creation": {"ephemeral_1h_input_tokens": "x"}}),
    ("parse_bedrock_converse", BEDROCK, "usage",
     {"inputTokens": 3, "outputTokens": 2, "totalTokens": 35, "cacheWriteInputTokens": 30,
      "cacheDetails": [{"ttl": "1h", "inputTokens": 20}, {"ttl": "5m", "inputTokens": 10}, {"ttl": "2d"}]}),
    ("parse_bedrock_converse", BEDROCK, "usage",
     {"inputTokens": 3, "outputTokens": 2, "cacheDetails": [{"ttl": 5, "inputTokens": 1}]}),
    ("parse_bedrock_converse", BEDROCK, "usage", {"inputTokens": 3, "outputTokens": 2, "cacheDetails": {}}),
    ("parse_bedrock_converse", BEDROCK, "usage",
     {"inputTokens": 3, "outputTokens": 2, "cacheDetails": [None, {"ttl": "5m", "inputTokens": 1.5}]}),
    ("parse_gemini_content", GEMINI, "usageMetadata",
     {"promptTokenCount": 100, "candidatesTokenCount": 10, "cachedContentTokenCount": 40,
      "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 20},
                              {"modality": "AUDIO", "tokenCount": 30},
                              {"modality": "IMAGE", "tokenCount": 25},
                              {"modality": "DOCUMENT", "tokenCount": 5},
                              {"modality": 3, "tokenCount": 20}],
      "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 4}, {"modality": 2, "tokenCount": 6}],
      "cacheTokensDetails": [{"modality": 4, "tokenCount": 30}, {"modality": "VIDEO", "tokenCount": 10}]}),
    ("parse_gemini_content", GEMINI, "usageMetadata",
     {"promptTokenCount": 1, "promptTokensDetails": [{"modality": 99, "tokenCount": 1},
                                                     {"modality": "NEW", "tokenCount": 1}]}),
    ("parse_gemini_content", GEMINI, "usageMetadata",
     {"promptTokenCount": 1, "promptTokensDetails": "TEXT"}),
    ("parse_gemini_content", GEMINI, "usageMetadata",
     {"promptTokenCount": 1, "cacheTokensDetails": [{"modality": 1.5, "tokenCount": "x"}]}),
    ("parse_gemini_content", GEMINI, "usageMetadata",
     {"promptTokenCount": 1, "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": "x"}, 7]}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_both_backends_read_the_priced_counts_alike(case: tuple[str, dict[str, Any], str, Any]) -> None:
    function, template, member, value = case
    body = orjson.dumps({**template, member: value})
    pure, rust = both()
    expected = outcome(getattr(pure, function), body, function.split("_")[1])
    got = outcome(getattr(rust, function), body, function.split("_")[1])
    assert expected[0] == got[0]
    if expected[0] == "ok":
        assert got[1] == expected[1]
    else:
        assert error_signature(got[1]) == error_signature(expected[1])


def test_the_priced_counts_are_what_the_rules_say() -> None:
    pure, _ = both()
    usage = pure.parse_gemini_content(orjson.dumps({**GEMINI, "usageMetadata": CASES[7][3]})).usage
    assert (usage.input_audio_tokens, usage.input_image_tokens, usage.input_video_tokens) == (30, 30, 20)
    assert (usage.output_audio_tokens, usage.output_image_tokens) == (4, 6)
    assert (usage.cache_audio_read_tokens, usage.cache_image_read_tokens, usage.cache_video_read_tokens) == (
        30,
        None,
        10,
    )
    bedrock = pure.parse_bedrock_converse(orjson.dumps({**BEDROCK, "usage": CASES[3][3]})).usage
    assert (bedrock.cache_write_tokens, bedrock.cache_write_5m_tokens, bedrock.cache_write_1h_tokens) == (
        30,
        10,
        20,
    )
    skipped = pure.parse_anthropic_message(orjson.dumps({**ANTHROPIC, "usage": CASES[1][3]}))
    assert skipped.usage.cache_write_5m_tokens is None
    assert skipped.skipped == ["usage.cache_creation"]
