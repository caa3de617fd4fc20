"""LMI's retry/fallback scenarios, shared by the interop tests: what the local server answers model-a (the
primary) and model-b (the fallback) of a two-model chain with ``max_retries=1``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelwire.testing import Route, faults
from modelwire.testing.provider_errors import openai_error

KEY = "sk-interop-lmi-test"
MAX_RETRIES = 1


def _chat(content: str, finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-interop",
        "object": "chat.completion",
        "created": 1,
        "model": "model-a",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@dataclass(frozen=True)
class Scenario:
    """``faults`` for model-a; ``validator`` rejects what it rejects; ``answered_by`` the model whose answer
    comes back (None: the call fails); ``requests`` per model, as each library sends them."""

    name: str
    faults: Callable[[], list[faults.Fault]]
    answered_by: str | None
    requests: dict[str, int]
    lmi_requests: dict[str, int] | None = None  # where LMI (through LiteLLM) sends a different number
    validator: Callable[[str | None], bool] | None = None
    why: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


SCENARIOS = [
    Scenario(
        "refusal fallback",
        lambda: [faults.respond(200, _chat("", "content_filter"))],
        "model-b",
        {"model-a": 1, "model-b": 1},
    ),
    Scenario(
        "context window",
        lambda: [faults.preset("context_window")],
        "model-b",
        {"model-a": 1, "model-b": 1},
    ),
    Scenario(
        "content filter",
        lambda: [faults.preset("content_filter")],
        "model-b",
        {"model-a": 1, "model-b": 1},
    ),
    Scenario(
        "auth",
        lambda: [faults.preset("auth")],
        "model-b",
        {"model-a": 1, "model-b": 1},
    ),
    Scenario(
        "rate limit",
        lambda: [faults.rate_limited()] * (MAX_RETRIES + 1) * 3,
        "model-b",
        {"model-a": MAX_RETRIES + 1, "model-b": 1},
        # LiteLLM's OpenAI client retries a 429 twice more inside every LMI attempt.
        lmi_requests={"model-a": 3 * (MAX_RETRIES + 1), "model-b": 1},
    ),
    Scenario(
        "validator failure",
        list,
        "model-b",
        {"model-a": MAX_RETRIES + 1, "model-b": 1},
        validator=lambda model: model == "model-b",
    ),
    Scenario(
        "plain bad request",
        lambda: [faults.respond(400, openai_error("'messages' is malformed"))],
        None,
        {"model-a": 1},
    ),
    Scenario(
        "provider quirk 400",
        lambda: [faults.respond(400, openai_error("messages: too much media"))],
        "model-b",
        {"model-a": 1, "model-b": 1},
    ),
]


def enqueue(server: Any, scenario: Scenario) -> None:
    queued = scenario.faults()
    if queued:
        server.enqueue(Route.CHAT, *queued, model="model-a")


def counts(server: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for request in server.requests:
        out[request.model] = out.get(request.model, 0) + 1
    return out
