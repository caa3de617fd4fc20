"""The google-genai SDK (a test-only oracle) reads the same corpus bytes: text, function calls, usage and
finish reasons agree with modelwire's, for bodies and for streams folded chunk by chunk."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from corpus_files import Recording
from gemini_support import BODIES, LOADED, STREAMS, Stream, fold
from test_stream_gemini import PARTIAL_ARGS

genai_types = pytest.importorskip("google.genai.types")
BLOCKED_BODIES = [r for r in BODIES if not orjson.loads(r.body).get("candidates")]


def _sdk_read(body: bytes) -> Any:
    """How the SDK itself reads a response (``_from_response`` drops fields newer than the SDK); bytes it
    cannot read (``enum-encoding=int`` bodies: integer finish reasons) are skipped, the oracle has no say."""
    try:
        return genai_types.GenerateContentResponse._from_response(response=orjson.loads(body), kwargs={})
    except (AttributeError, ValueError) as exc:
        pytest.skip(f"google-genai cannot read these bytes: {exc!r}")


def _sdk_view(responses: list[Any]) -> dict[str, Any]:
    """What the SDK says, accumulated over one response or a stream's chunks."""
    text: dict[int, str] = {}
    calls: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    finish: dict[int, str] = {}
    for response in responses:
        for position, candidate in enumerate(response.candidates or ()):
            index = candidate.index if candidate.index is not None else position
            for part in (candidate.content.parts if candidate.content else None) or ():
                if part.text is not None and not part.thought:
                    text[index] = text.get(index, "") + part.text
                if part.function_call is not None:
                    calls.setdefault(index, []).append(
                        (part.function_call.name, part.function_call.args or {})
                    )
            if candidate.finish_reason is not None:
                finish[index] = candidate.finish_reason.value
    usage = responses[-1].usage_metadata
    return {
        "text": text,
        "calls": calls,
        "finish": finish,
        "usage": None
        if usage is None
        else (
            usage.prompt_token_count,
            usage.candidates_token_count,
            usage.thoughts_token_count,
            usage.cached_content_token_count,
            usage.total_token_count,
        ),
    }


def _our_view(response: Any, usage_raw: dict[str, Any] | None) -> dict[str, Any]:
    text = {c.index: c.message.content for c in response.choices if c.message.content is not None}
    calls = {
        c.index: [(t.name, t.arguments) for t in c.message.tool_calls]
        for c in response.choices
        if c.message.tool_calls
    }
    finish = {c.index: c.native_finish_reason for c in response.choices if c.native_finish_reason}
    usage = response.usage
    view_usage = None
    if usage_raw is not None and usage is not None:
        thoughts = usage.reasoning_tokens
        candidates = (
            None if usage_raw.get("candidatesTokenCount") is None else usage.output_tokens - (thoughts or 0)
        )
        tool = usage_raw.get("toolUsePromptTokenCount") or 0
        view_usage = (
            usage.input_tokens - tool,
            candidates,
            thoughts,
            usage.cache_read_tokens,
            usage.total_tokens,
        )
    return {"text": text, "calls": calls, "finish": finish, "usage": view_usage}


@pytest.mark.parametrize("recording", [r for r in BODIES if r not in BLOCKED_BODIES], ids=lambda r: r.id)
def test_bodies_agree_with_google_genai(recording: Recording) -> None:
    sdk = _sdk_view([_sdk_read(recording.body)])
    usage_raw = orjson.loads(recording.body).get("usageMetadata")
    for backend in LOADED:
        ours = _our_view(backend.parse_gemini_content(recording.body, recording.provider), usage_raw)
        assert ours == sdk


@pytest.mark.parametrize("stream", [s for s in STREAMS if s.id not in PARTIAL_ARGS], ids=lambda s: s.id)
def test_streams_agree_with_google_genai(stream: Stream) -> None:
    chunks = [line[5:].strip() for line in stream.body.splitlines() if line.startswith(b"data:")]
    sdk = _sdk_view([_sdk_read(chunk) for chunk in chunks])
    usage_raw = orjson.loads(chunks[-1]).get("usageMetadata")
    for backend in LOADED:
        folded = fold(backend, [stream.body], stream.provider)
        assert _our_view(folded.response, usage_raw) == sdk
