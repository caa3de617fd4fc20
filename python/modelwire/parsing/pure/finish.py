"""Finish reasons: every provider's vocabulary mapped onto :data:`modelwire.types.FinishReason`.

The Rust parser carries the same table (``rust/modelwire-core/src/finish.rs``); a test checks that both
map every value listed here, and a sample of others, identically.
"""

from __future__ import annotations

from typing import Final

from modelwire.types import FinishReason

__all__ = ["FINISH_REASON_TABLE", "normalise_finish_reason"]

_CONTENT_FILTER = (
    "content_filter", "content_filtered", "safety", "recitation", "blocklist", "prohibited_content", "spii",
    "image_safety", "guardrail_intervened", "model_armor", "language",
)  # fmt: skip
FINISH_REASON_TABLE: Final[dict[str, FinishReason]] = {
    **dict.fromkeys(
        ("stop", "end_turn", "stop_sequence", "eos", "eos_token", "end", "complete", "completed", "finish"),
        "stop",
    ),
    **dict.fromkeys(
        (
            "length",
            "max_tokens",
            "max_output_tokens",
            "max_completion_tokens",
            "model_length",
            "token_limit",
        ),
        "length",
    ),
    **dict.fromkeys(
        ("model_context_window_exceeded", "context_window_exceeded", "context_length_exceeded"),
        "context_window_exceeded",
    ),
    **dict.fromkeys(("tool_calls", "tool_call", "tool_use", "function_call"), "tool_calls"),
    **dict.fromkeys(
        (
            "content_filter",
            "content_filtered",
            "safety",
            "recitation",
            "blocklist",
            "prohibited_content",
            "spii",
            "image_safety",
            "image_prohibited_content",
            "image_recitation",
            "guardrail_intervened",
            "model_armor",
            "language",
        ),
        "content_filter",
    ),
    "refusal": "refusal",
    "pause_turn": "pause",
    "error": "error",
    "failed": "error",  # a Responses API status
    "malformed_function_call": "error",
}


def normalise_finish_reason(native: str | None) -> FinishReason | None:
    """The canonical reason for a provider's value (``None`` for ``None`` or ``""``).

    Matching ignores ASCII case only, so Gemini's ``STOP`` maps like ``stop`` while a non-ASCII value is
    simply ``"other"`` (the same answer in every Unicode version, in Rust and Python).
    """
    if not native:
        return None
    if not native.isascii():
        return "other"
    return FINISH_REASON_TABLE.get(native.lower(), "other")
