"""Every corpus Anthropic Messages response, replayed through the local server to AnthropicClient, parsed,
and its assistant message sent back as the next request's history: text, tool calls, thinking and
redacted thinking (with their signatures) must reach the wire as Anthropic sent them."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from corpus_files import Recording, recordings
from modelwire.parsing.anthropic import parse_anthropic_message
from modelwire.providers import AnthropicClient
from modelwire.testing import LocalProviderServer
from modelwire.types import ChatCompletionRequest

KEY = "sk-ant-roundtrip-0123456789abcdef"
MESSAGES = [r for r in recordings("messages", providers=("anthropic",)) if (r.status or 200) == 200]
QUESTION = {"role": "user", "content": "go on"}


def _expected_assistant(raw: dict[str, Any]) -> Any:
    """What the assistant turn must look like on the wire, from the recorded response itself."""
    blocks = raw["content"]
    thinking = [b for b in blocks if b["type"] in ("thinking", "redacted_thinking")]
    calls = [
        {"type": "tool_use", "id": b["id"], "name": b["name"], "input": b["input"]}
        for b in blocks
        if b["type"] == "tool_use"
    ]
    text = "".join(b["text"] for b in blocks if b["type"] == "text")
    if not thinking and not calls:
        return text or None
    return [*thinking, *([{"type": "text", "text": text}] if text else []), *calls]


def _next_request(first: ChatCompletionRequest, response: Any) -> ChatCompletionRequest:
    history = [*first.messages, response.message.to_message()]
    history += [
        {"role": "tool", "tool_call_id": c.id, "content": "done"} for c in response.message.tool_calls
    ]
    if not response.message.tool_calls:
        history.append({"role": "user", "content": "thanks"})
    return ChatCompletionRequest(model=first.model, messages=history)


def _check(server: LocalProviderServer, recording: Recording, response: Any) -> None:
    assert response == parse_anthropic_message(recording.body)
    raw = orjson.loads(recording.body)
    sent = server.last_request.json["messages"]
    assert sent[0] == QUESTION
    expected = _expected_assistant(raw)
    if expected is None:
        assert sent[1]["role"] == "user"  # nothing was said, so no (empty) assistant turn is sent
        return
    assert sent[1] == {"role": "assistant", "content": expected}
    results = [
        {"type": "tool_result", "tool_use_id": c.id, "content": "done"} for c in response.message.tool_calls
    ]
    if results:
        assert sent[2] == {"role": "user", "content": results}


@pytest.mark.parametrize("recording", MESSAGES, ids=lambda r: r.id)
def test_round_trip_sync(local_server: LocalProviderServer, recording: Recording) -> None:
    first = ChatCompletionRequest(model="claude-sonnet-4-5", messages=[QUESTION])
    with AnthropicClient(base_url=local_server.anthropic_base_url, api_key=KEY) as client:
        local_server.replay(recording, model="claude-sonnet-4-5")
        response = client.completion(first)
        follow_up = client.completion(_next_request(first, response))
    _check(local_server, recording, response)
    assert follow_up.message.content is not None
    assert follow_up.message.content.startswith(("echo: ", "tool result: "))


def test_round_trip_async_on_every_recording_in_one_loop(local_server: LocalProviderServer) -> None:
    async def run() -> None:
        async with AnthropicClient(base_url=local_server.anthropic_base_url, api_key=KEY) as client:
            for recording in MESSAGES:
                first = ChatCompletionRequest(model="claude-sonnet-4-5", messages=[QUESTION])
                local_server.replay(recording, model="claude-sonnet-4-5")
                response = await client.acompletion(first)
                await client.acompletion(_next_request(first, response))
                _check(local_server, recording, response)

    asyncio.run(run())


def test_the_corpus_covers_every_kind_of_block_and_stop() -> None:
    kinds: set[str] = set()
    stops: set[str] = set()
    for recording in MESSAGES:
        raw = orjson.loads(recording.body)
        kinds.update(block["type"] for block in raw["content"])
        stops.add(raw["stop_reason"])
    assert {"text", "tool_use", "thinking", "redacted_thinking"} <= kinds
    assert {"end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal"} <= stops
