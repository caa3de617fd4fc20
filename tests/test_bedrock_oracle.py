"""botocore's bedrock-runtime client (a test-only oracle) reads every recorded Converse body and
ConverseStream event stream, served to it in place of AWS; what it reads agrees with modelwire's parser
and folder: texts, tool calls, reasoning with signatures, stop reason and token counts."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from botocore.awsrequest import AWSResponse
from botocore.parsers import ResponseParserError
from botocore.session import Session

from corpus_files import Recording, recordings
from modelwire.parsing import parse_bedrock_converse
from modelwire.parsing.stream import BedrockStreamFolder

CONVERSE = list(recordings("converse", providers=("bedrock",)))
STREAMS = list(recordings("converse_stream", providers=("bedrock",)))
HI = [{"role": "user", "content": [{"text": "hi"}]}]


class _Raw:
    """The raw HTTP body botocore reads from."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self.data

    def read(self, *_: Any, **__: Any) -> bytes:
        data, self.data = self.data, b""
        return data

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


def _botocore(body: bytes, content_type: str) -> Any:
    client = Session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="AKIDORACLE",
        aws_secret_access_key="x" * 20,
    )
    reply = lambda request, **_: AWSResponse(request.url, 200, {"content-type": content_type}, _Raw(body))  # noqa: E731
    client.meta.events.register("before-send", reply)
    return client


def _expected(message: dict[str, Any], stop: str | None, usage: dict[str, int] | None) -> dict[str, Any]:
    texts, calls, thinking = [], [], []
    for block in message["content"]:
        if "text" in block:
            texts.append(block["text"])
        tool = block.get("toolUse")
        if tool is not None and tool.get("type") != "server_tool_use":
            calls.append((tool["toolUseId"], tool["name"], tool["input"]))
        reasoning = block.get("reasoningContent") or {}
        if "reasoningText" in reasoning:
            thinking.append(
                (reasoning["reasoningText"].get("text"), reasoning["reasoningText"].get("signature"))
            )
        if "redactedContent" in reasoning:
            thinking.append(("redacted", base64.b64encode(reasoning["redactedContent"]).decode()))
    return {
        "text": "".join(texts) or None,
        "calls": calls,
        "thinking": thinking,
        "stop": stop,
        "usage": usage,
    }


def _ours(response: Any) -> dict[str, Any]:
    message = response.message
    usage = response.usage
    counts = None
    if usage is not None:
        cached = (usage.cache_read_tokens or 0) + (usage.cache_write_tokens or 0)
        counts = {
            "inputTokens": usage.input_tokens - cached,  # Converse counts cache reads and writes apart
            "outputTokens": usage.output_tokens,
            "totalTokens": usage.total_tokens,
        }
        if usage.cache_read_tokens is not None:
            counts["cacheReadInputTokens"] = usage.cache_read_tokens
        if usage.cache_write_tokens is not None:
            counts["cacheWriteInputTokens"] = usage.cache_write_tokens
    thinking = [
        ("redacted", b.redacted_data) if b.redacted else (b.thinking, b.signature)
        for b in message.thinking_blocks
    ]
    return {
        "text": message.content,
        "calls": [(c.id, c.name, c.arguments) for c in message.tool_calls],
        "thinking": thinking,
        "stop": response.choices[0].native_finish_reason,
        "usage": counts,
    }


def _usage(usage: dict[str, Any] | None) -> dict[str, int] | None:
    names = ("inputTokens", "outputTokens", "totalTokens", "cacheReadInputTokens", "cacheWriteInputTokens")
    return None if usage is None else {k: v for k, v in usage.items() if k in names}


# vercel/ai's fixture adds "type" beside each text block: botocore refuses a union with two members set;
# modelwire reads the text (the rules read members, not a tag).
BOTOCORE_REFUSES = {"bedrock/converse/vercel-ai__amazon-bedrock-json-with-tools.1"}


@pytest.mark.parametrize("recording", CONVERSE, ids=lambda r: r.id)
def test_botocore_reads_converse_bodies_as_we_do(recording: Recording) -> None:
    client = _botocore(recording.body, "application/json")
    if recording.id in BOTOCORE_REFUSES:
        with pytest.raises(ResponseParserError, match="one and only one member"):
            client.converse(modelId="m", messages=HI)
        assert parse_bedrock_converse(recording.body).message.content == (
            "Calling multiple tools.Finally the JSON response."
        )
        return
    read = client.converse(modelId="m", messages=HI)
    expected = _expected(read["output"]["message"], read.get("stopReason"), _usage(read.get("usage")))
    assert _ours(parse_bedrock_converse(recording.body)) == expected


@pytest.mark.parametrize("recording", STREAMS, ids=lambda r: r.id)
def test_botocore_reads_event_streams_as_we_fold_them(recording: Recording) -> None:
    read = _botocore(recording.body, "application/vnd.amazon.eventstream")
    events = list(read.converse_stream(modelId="m", messages=HI)["stream"])
    blocks: dict[int, dict[str, Any]] = {}
    stop = usage = None
    for event in events:
        ((kind, data),) = event.items()
        if kind == "contentBlockStart" and "toolUse" in data["start"]:
            blocks[data["contentBlockIndex"]] = {"toolUse": {**data["start"]["toolUse"], "input": ""}}
        elif kind == "contentBlockDelta":
            block = blocks.setdefault(data["contentBlockIndex"], {})
            delta = data["delta"]
            if "text" in delta:
                block["text"] = block.get("text", "") + delta["text"]
            if "toolUse" in delta and "toolUse" in block:
                block["toolUse"]["input"] += delta["toolUse"]["input"]
            for key, value in delta.get("reasoningContent", {}).items():
                text = block.setdefault("reasoningContent", {"reasoningText": {}})["reasoningText"]
                text[key] = text.get(key, "") + value if key == "text" else value
        elif kind == "messageStop":
            stop = data["stopReason"]
        elif kind == "metadata":
            usage = _usage(data.get("usage"))
    for block in blocks.values():
        if "toolUse" in block:
            block["toolUse"]["input"] = orjson.loads(block["toolUse"]["input"] or "{}")
    message = {"content": [blocks[i] for i in sorted(blocks)]}
    folder = BedrockStreamFolder("bedrock")
    folder.feed(recording.body)
    folder.finish()
    assert _ours(folder.response()) == _expected(message, stop, usage)
