"""The Anthropic Messages route of the local provider server: echo answers, the real SSE event sequence,
tool use, thinking, validation and auth. The official anthropic SDK (test-only) is the oracle."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import httpx
import pytest

from modelwire.testing import LocalProviderServer

HEADERS = {"x-api-key": "sk-ant-local", "anthropic-version": "2023-06-01"}
TOOL = {
    "name": "lookup",
    "description": "look something up",
    "input_schema": {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "limit": {"type": "integer"},
            "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}},
        },
        "required": ["query", "tags"],
        "$defs": {"tag": {"type": "string", "enum": ["news", "web"]}},
    },
}


def _post(
    server: LocalProviderServer, body: dict[str, Any], headers: dict[str, str] = HEADERS
) -> httpx.Response:
    return httpx.post(server.anthropic_base_url + "/v1/messages", json=body, headers=headers)


def _body(content: Any = "hello there", **extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-echo-1",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": content}],
        **extra,
    }


def _events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.split("\n\n"):
        if not block:
            continue
        kind_line, data_line = block.split("\n")
        assert kind_line.startswith("event: ")
        assert data_line.startswith("data: ")
        payload = json.loads(data_line[len("data: ") :])
        assert payload["type"] == kind_line[len("event: ") :]
        events.append((payload["type"], payload))
    return events


def test_text_answer_with_system_and_usage(local_server: LocalProviderServer) -> None:
    message = _post(local_server, _body("how are you", system="be kind")).json()
    assert message["type"] == "message"
    assert message["role"] == "assistant"
    assert message["id"].startswith("msg_")
    assert message["content"] == [{"type": "text", "text": "echo: how are you"}]
    assert message["stop_reason"] == "end_turn"
    assert message["stop_sequence"] is None
    assert message["usage"] == {
        "input_tokens": 5,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 4,
    }


def test_tool_use_follows_the_input_schema(local_server: LocalProviderServer) -> None:
    message = _post(local_server, _body("find it", tools=[TOOL])).json()
    assert message["stop_reason"] == "tool_use"
    text, tool_use = message["content"]
    assert text == {"type": "text", "text": "calling lookup"}
    assert tool_use["type"] == "tool_use"
    assert tool_use["id"].startswith("toolu_")
    assert tool_use["name"] == "lookup"
    assert tool_use["input"] == {"query": "echo-query", "tags": ["news"]}


def test_forced_tool_choice_has_no_text_and_none_has_no_tool(local_server: LocalProviderServer) -> None:
    forced = _post(
        local_server, _body("find it", tools=[TOOL], tool_choice={"type": "tool", "name": "lookup"})
    )
    assert [b["type"] for b in forced.json()["content"]] == ["tool_use"]
    none = _post(local_server, _body("find it", tools=[TOOL], tool_choice={"type": "none"})).json()
    assert none["content"] == [{"type": "text", "text": "echo: find it"}]


def test_tool_result_is_quoted(local_server: LocalProviderServer) -> None:
    first = _post(local_server, _body("find it", tools=[TOOL])).json()
    tool_id = first["content"][-1]["id"]
    body = _body("find it", tools=[TOOL])
    body["messages"] += [
        {"role": "assistant", "content": first["content"]},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": tool_id,
                    "content": [{"type": "text", "text": "found: 3 pages"}],
                }
            ],
        },
    ]
    message = _post(local_server, body).json()
    assert message["content"] == [{"type": "text", "text": "tool result: found: 3 pages"}]
    assert message["stop_reason"] == "end_turn"


def test_thinking_block_comes_first_with_a_signature(local_server: LocalProviderServer) -> None:
    body = _body("think", thinking={"type": "enabled", "budget_tokens": 1024})
    thinking, text = _post(local_server, body).json()["content"]
    assert thinking["type"] == "thinking"
    assert thinking["thinking"] == "thinking about: echo: think"
    assert len(thinking["signature"]) > 20
    assert text == {"type": "text", "text": "echo: think"}


def test_max_tokens_and_stop_sequences(local_server: LocalProviderServer) -> None:
    short = _post(local_server, _body("a b c d", max_tokens=2)).json()
    assert (short["content"][0]["text"], short["stop_reason"]) == ("echo: a", "max_tokens")
    stopped = _post(local_server, _body("a b END c", stop_sequences=["END"])).json()
    assert stopped["content"][0]["text"] == "echo: a b "
    assert (stopped["stop_reason"], stopped["stop_sequence"]) == ("stop_sequence", "END")


def test_stream_has_the_real_event_sequence(local_server: LocalProviderServer) -> None:
    response = _post(local_server, _body("find it", tools=[TOOL], stream=True))
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    kinds = [k for k, _ in events]
    assert kinds[0] == "message_start"
    assert kinds[1:3] == ["content_block_start", "ping"]
    assert kinds[-2:] == ["message_delta", "message_stop"]
    start = events[0][1]["message"]
    assert (start["content"], start["stop_reason"], start["usage"]["output_tokens"]) == ([], None, 1)
    blocks = [p["content_block"] for k, p in events if k == "content_block_start"]
    assert [b["type"] for b in blocks] == ["text", "tool_use"]
    assert blocks[1]["input"] == {}
    json_parts = [
        p["delta"]["partial_json"]
        for k, p in events
        if k == "content_block_delta" and p["delta"]["type"] == "input_json_delta"
    ]
    assert json_parts[0] == ""
    assert json.loads("".join(json_parts)) == {"query": "echo-query", "tags": ["news"]}
    stops = [p["index"] for k, p in events if k == "content_block_stop"]
    assert stops == [0, 1]
    delta = events[-2][1]
    assert delta["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    plain = _post(local_server, _body("find it", tools=[TOOL])).json()
    assert delta["usage"] == plain["usage"]


def test_sdk_stream_accumulates_to_the_plain_answer(local_server: LocalProviderServer) -> None:
    kwargs: Any = {
        "model": "claude-echo-1",
        "max_tokens": 256,
        "tools": [TOOL],
        "messages": [{"role": "user", "content": "find it"}],
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }
    url = local_server.anthropic_base_url
    with anthropic.Anthropic(base_url=url, api_key="sk-ant-local", max_retries=0) as client:
        plain = client.messages.create(**kwargs)
        with client.messages.stream(**kwargs) as stream:
            streamed = stream.get_final_message()

    def blocks(message: Any) -> list[dict[str, Any]]:
        return [{k: v for k, v in b.model_dump().items() if k != "parsed_output"} for b in message.content]

    assert [b["type"] for b in blocks(plain)] == ["thinking", "text", "tool_use"]
    assert blocks(streamed) == blocks(plain)
    assert streamed.usage == plain.usage
    assert streamed.stop_reason == plain.stop_reason == "tool_use"
    request = local_server.last_request
    # Recent SDK versions send the key as a bearer token; both are Anthropic auth.
    assert "sk-ant-local" in (request.header("x-api-key"), (request.header("authorization") or "")[7:])
    assert request.header("anthropic-version")


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        (
            {"anthropic-version": "2023-06-01"},
            401,
            {"type": "authentication_error", "message": "x-api-key header is required"},
        ),
        (
            {"x-api-key": "k"},
            400,
            {"type": "invalid_request_error", "message": "anthropic-version: header is required"},
        ),
    ],
)
def test_missing_headers_get_anthropics_errors(
    local_server: LocalProviderServer, headers: dict[str, str], status: int, error: dict[str, str]
) -> None:
    response = _post(local_server, _body(), headers=headers)
    assert response.status_code == status
    payload = response.json()
    assert payload["type"] == "error"
    assert payload["error"] == error
    assert payload["request_id"] == response.headers["request-id"]


def test_bearer_token_is_accepted_as_auth(local_server: LocalProviderServer) -> None:
    headers = {"authorization": "Bearer token", "anthropic-version": "2023-06-01"}
    assert _post(local_server, _body(), headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_tokens": None}, "max_tokens: Field required"),
        ({"max_tokens": 0}, "max_tokens: Input should be"),
        ({"messages": []}, "messages: at least one message is required"),
    ],
)
def test_invalid_bodies_get_invalid_request_errors(
    local_server: LocalProviderServer, change: dict[str, Any], message: str
) -> None:
    body = {k: v for k, v in {**_body(), **change}.items() if v is not None}
    response = _post(local_server, body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["message"].startswith(message)


def test_async_client_reads_the_stream_event_by_event(local_server: LocalProviderServer) -> None:
    local_server.configure(stream_event_delay=0.0)

    async def main() -> list[str]:
        async with (
            httpx.AsyncClient(base_url=local_server.anthropic_base_url, headers=HEADERS) as client,
            client.stream("POST", "/v1/messages", json=_body("a b c", stream=True)) as response,
        ):
            return [
                line[len("event: ") :] async for line in response.aiter_lines() if line.startswith("event: ")
            ]

    kinds = asyncio.run(main())
    assert kinds[0] == "message_start"
    assert kinds.count("content_block_delta") == 4  # "echo: ", "a ", "b ", "c"
    assert kinds[-1] == "message_stop"
