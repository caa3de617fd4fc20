"""Shared by the parsing tests: both implementations side by side, and id normalisation."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import pytest
from hypothesis import strategies as st

from modelwire import _backend
from modelwire.parsing import pure
from modelwire.types import GENERATED_ID_PREFIX, ChatCompletionResponse

# The Rust module when it is built (whatever the active backend), so both run in one process.
try:
    from modelwire import _core as rust
except ImportError:  # running from a source tree without the extension
    rust = None

KINDS = {
    "chat": "parse_chat_completion",
    "embeddings": "parse_embeddings",
    "images": "parse_image_generation",
}
CORPUS_KINDS = {"chat_completions": "chat", "embeddings": "embeddings", "images": "images"}


def implementations() -> list[Any]:
    """pytest params: the twin, and the Rust module when it is importable."""
    params = [pytest.param(pure, id="python")]
    params.append(
        pytest.param(rust, id="rust", marks=pytest.mark.skipif(rust is None, reason="extension not built"))
    )
    return params


def both() -> tuple[ModuleType, ModuleType]:
    if rust is None:
        pytest.skip("the Rust extension is not built")
    return pure, rust


def active_backend() -> str:
    return _backend.BACKEND


def normalise_ids(result: Any) -> Any:
    """Generated tool-call ids are random: replace them by their position so results compare."""
    if isinstance(result, ChatCompletionResponse):
        counter = 0
        for choice in result.choices:
            for call in choice.message.tool_calls:
                if call.id.startswith(GENERATED_ID_PREFIX):
                    call.id = f"{GENERATED_ID_PREFIX}#{counter}"
                    counter += 1
    return result


def outcome(parse: Any, body: bytes, provider: str = "openai") -> tuple[str, Any]:
    """("ok", normalised result) or ("error", exception) so two implementations can be compared."""
    try:
        return "ok", normalise_ids(parse(body, provider))
    except Exception as exc:
        return "error", exc


def error_signature(exc: BaseException) -> tuple[Any, ...]:
    return (type(exc), getattr(exc, "message", str(exc)), getattr(exc, "path", None))


# An Anthropic message with one block of each kind and every usage field: the base the mutation tests change.
ANTHROPIC_TEMPLATE = {
    "id": "msg", "model": "m", "stop_reason": "tool_use", "stop_sequence": None,
    "stop_details": {"type": "refusal", "explanation": "e"},
    "content": [
        {"type": "thinking", "thinking": "t", "signature": "s"},
        {"type": "redacted_thinking", "data": "d"},
        {"type": "text", "text": "a"},
        {"type": "tool_use", "id": "toolu", "name": "f", "input": {"x": 1}},
    ],
    "usage": {"input_tokens": 1, "output_tokens": 2, "cache_read_input_tokens": 3,
              "cache_creation_input_tokens": 4, "output_tokens_details": {"thinking_tokens": 1},
              "service_tier": "standard"},
}  # fmt: skip


def mutate(draw: st.DrawFn, body: bytes, pieces: Sequence[bytes]) -> bytes:
    """One to three byte-level edits of ``body``: truncate, replace a byte, insert one of ``pieces``, delete a
    run, duplicate a run. What real damage looks like: cut connections, flipped bytes, spliced bodies."""
    for _ in range(draw(st.integers(1, 3))):
        if not body:
            break
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["truncate", "replace", "insert", "delete", "duplicate"]))
        if action == "truncate":
            body = body[:at]
        elif action == "replace" and at < len(body):
            body = body[:at] + bytes([draw(st.integers(0, 255))]) + body[at + 1 :]
        elif action == "insert":
            body = body[:at] + draw(st.sampled_from(pieces)) + body[at:]
        elif action == "delete":
            body = body[:at] + body[at + draw(st.integers(1, 8)) :]
        else:
            end = min(len(body), at + draw(st.integers(1, 40)))
            body = body[:end] + body[at:end] + body[end:]
    return body
