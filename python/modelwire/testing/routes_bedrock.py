"""Bedrock Runtime's Converse (``POST /model/{modelId}/converse``) and ConverseStream
(``/converse-stream``): default answers, the AWS event-stream framing, SigV4 checks, Bedrock's errors.

Answers follow :mod:`modelwire.testing.echo` (an echo of the last user text, a call of the first tool
on offer, tool results quoted), with a ``reasoningContent`` block first when the request enables
Anthropic thinking (``additionalModelRequestFields.thinking``). Streams are real event-stream messages
(prelude, headers, payload, both CRC32s): ``messageStart``, ``contentBlockStart`` (tool use),
``contentBlockDelta``, ``contentBlockStop``, ``messageStop``, ``metadata``. :func:`exception_stream`
scripts a stream that fails with an exception message (``throttlingException`` ...) after some text.

With ``require_auth``, a request must carry a Bedrock API key (``Authorization: Bearer``) or a SigV4
``Authorization`` whose credential scope names the server's ``aws_region`` and the ``bedrock`` service,
signing at least ``host`` and ``x-amz-date`` (the signature itself is not verified: the server knows no
secret key).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import zlib
from typing import Any
from urllib.parse import unquote

from modelwire.testing import echo
from modelwire.testing.dialects import ErrorShapes, register
from modelwire.testing.dialects import ServerDialect as _ServerDialect
from modelwire.testing.faults import Fault
from modelwire.testing.records import Provider, Route
from modelwire.testing.routing import Answer, Call, RouteMatch, json_answer

__all__ = ["BEDROCK_ERRORS", "converse", "event_message", "exception_message", "exception_stream"]

EVENT_STREAM = "application/vnd.amazon.eventstream"
_PATH = re.compile(r"^/model/([^/]+)/(converse|converse-stream)$")
_STOP_REASON = {None: "end_turn", "stop": "stop_sequence", "length": "max_tokens", "tool": "tool_use"}
_SCOPE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


# --- the event-stream framing ---------------------------------------------------------------------------


def _header(name: str, value: str) -> bytes:
    raw_name, raw = name.encode(), value.encode()
    return bytes([len(raw_name)]) + raw_name + b"\x07" + struct.pack(">H", len(raw)) + raw


def _message(headers: list[tuple[str, str]], payload: bytes) -> bytes:
    block = b"".join(_header(name, value) for name, value in headers)
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """One ConverseStream event as Bedrock frames it."""
    headers = [(":event-type", event_type), (":content-type", "application/json"), (":message-type", "event")]
    return _message(headers, json.dumps(payload, separators=(",", ":")).encode())


def exception_message(exception_type: str, message: str) -> bytes:
    """An exception inside a stream (``throttlingException``, ``modelStreamErrorException``, ...)."""
    headers = [
        (":exception-type", exception_type),
        (":content-type", "application/json"),
        (":message-type", "exception"),
    ]
    return _message(headers, json.dumps({"message": message}).encode())


def exception_stream(
    text: str = "partial answer", exception_type: str = "throttlingException", message: str | None = None
) -> Fault:
    """A scripted ConverseStream that sends ``text`` and then fails with an exception message."""
    events = [event_message("messageStart", {"role": "assistant"})]
    events += [
        event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
        for piece in echo.pieces(text)
    ]
    events.append(exception_message(exception_type, message or "Too many requests, please wait."))
    return Fault(status=200, headers=(("content-type", EVENT_STREAM),), events=tuple(events))


# --- answers --------------------------------------------------------------------------------------------


def _bad(call: Call, message: str) -> Answer:
    return call.error(400, {"message": message}, [("x-amzn-errortype", "ValidationException:")])


def _object(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one: malformed fields are ignored, never a crash."""
    return value if isinstance(value, dict) else {}


def _tool(body: dict[str, Any]) -> tuple[str, Any] | None:
    config = _object(body.get("toolConfig"))
    specs = [t.get("toolSpec") for t in echo.items(config.get("tools")) if isinstance(t, dict)]
    tools = [s for s in specs if isinstance(s, dict) and isinstance(s.get("name"), str)]
    named = _object(_object(config.get("toolChoice")).get("tool"))
    if named:
        tools = [t for t in tools if t["name"] == named.get("name")] or tools
    if not tools:
        return None
    return tools[0]["name"], _object(tools[0].get("inputSchema")).get("json") or {}


def _results(message: dict[str, Any]) -> list[str]:
    blocks = [b.get("toolResult") for b in echo.items(message.get("content")) if isinstance(b, dict)]
    return [echo.text_of(r.get("content")) for r in blocks if isinstance(r, dict)]


def _failed(message: dict[str, Any]) -> bool:
    blocks = [b.get("toolResult") for b in echo.items(message.get("content")) if isinstance(b, dict)]
    return any(isinstance(r, dict) and r.get("status") == "error" for r in blocks)


def _reply(body: dict[str, Any], messages: list[Any]) -> echo.Reply:
    last = messages[-1] if isinstance(messages[-1], dict) else {}
    results = _results(last) if last.get("role") == "user" else []
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user" and not _results(m)]
    inference = _object(body.get("inferenceConfig"))
    max_tokens = inference.get("maxTokens")
    choice = _object(_object(body.get("toolConfig")).get("toolChoice"))
    # A forced tool whose call failed (an error result: a structured-output re-ask) is called again.
    if ("tool" in choice or "any" in choice) and _failed(last):
        results = []
    return echo.plan_reply(
        user_text=echo.text_of(users[-1].get("content")) if users else None,
        tool_results=results or None,
        tool=_tool(body) if last.get("role") == "user" and not results else None,
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
        stops=[s for s in echo.items(inference.get("stopSequences")) if isinstance(s, str)],
    )


def _content(call: Call, reply: echo.Reply) -> list[dict[str, Any]]:
    fields = call.body.get("additionalModelRequestFields")
    thinking = isinstance(fields, dict) and isinstance(fields.get("thinking"), dict)
    blocks: list[dict[str, Any]] = []
    if thinking:
        text = "thinking about: " + (reply.text or f"calling {reply.tool_name}")
        signature = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode("ascii")
        blocks.append({"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}})
    if reply.tool_name is None:
        blocks.append({"text": reply.text})
        return blocks
    tool_id = "tooluse_" + call.fingerprint("tool")
    arguments = json.loads(reply.tool_arguments or "{}")
    blocks.append({"toolUse": {"toolUseId": tool_id, "name": reply.tool_name, "input": arguments}})
    return blocks


def _words(block: dict[str, Any]) -> int:
    if "toolUse" in block:
        return max(1, echo.words(json.dumps(block["toolUse"]["input"], separators=(",", ":"))))
    if "reasoningContent" in block:
        return echo.words(block["reasoningContent"]["reasoningText"]["text"])
    return echo.words(block["text"])


def converse(call: Call) -> Answer:
    body = call.body
    if not isinstance(body, dict):
        return _bad(call, "Malformed input request: the body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _bad(call, "A conversation must start with a user message.")
    if "model" in body or "stream" in body:
        extra = "model" if "model" in body else "stream"
        return _bad(call, f"Malformed input request: extraneous key [{extra}] is not permitted")
    reply = _reply(body, messages)
    blocks = _content(call, reply)
    prompt = echo.words(echo.text_of(body.get("system"))) + sum(
        echo.words(echo.text_of(m.get("content"))) for m in messages if isinstance(m, dict)
    )
    output = sum(_words(block) for block in blocks)
    usage = {"inputTokens": prompt, "outputTokens": output, "totalTokens": prompt + output}
    stop = _STOP_REASON[reply.ended]
    if call.request.path.endswith("/converse-stream"):
        headers = [("content-type", EVENT_STREAM), *call.id_headers()]
        return Answer(200, headers, events=_stream(blocks, stop, usage))
    answer = {
        "output": {"message": {"role": "assistant", "content": blocks}},
        "stopReason": stop,
        "usage": usage,
        "metrics": {"latencyMs": 1},
    }
    return json_answer(200, answer, call.id_headers())


def _stream(blocks: list[dict[str, Any]], stop: str, usage: dict[str, int]) -> list[bytes]:
    events = [event_message("messageStart", {"role": "assistant"})]
    for index, block in enumerate(blocks):
        deltas: list[dict[str, Any]]
        if "toolUse" in block:
            tool = block["toolUse"]
            start = {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}}
            events.append(event_message("contentBlockStart", {"contentBlockIndex": index, "start": start}))
            arguments = json.dumps(tool["input"], separators=(",", ":"))
            deltas = [{"toolUse": {"input": piece}} for piece in echo.fragments(arguments)]
        elif "reasoningContent" in block:
            reasoning = block["reasoningContent"]["reasoningText"]
            deltas = [{"reasoningContent": {"text": p}} for p in echo.pieces(reasoning["text"])]
            deltas.append({"reasoningContent": {"signature": reasoning["signature"]}})
        else:
            deltas = [{"text": piece} for piece in echo.pieces(block["text"])]
        events += [
            event_message("contentBlockDelta", {"contentBlockIndex": index, "delta": d}) for d in deltas
        ]
        events.append(event_message("contentBlockStop", {"contentBlockIndex": index}))
    events.append(event_message("messageStop", {"stopReason": stop}))
    events.append(event_message("metadata", {"usage": usage, "metrics": {"latencyMs": 1}}))
    return events


# --- the dialect these routes serve -----------------------------------------------------------------


def _match(path: str) -> RouteMatch | None:
    found = _PATH.match(path)
    if found is None:
        return None
    return RouteMatch(Route.CONVERSE, Provider.BEDROCK, deployment=unquote(found.group(1)))


def _check(call: Call) -> Answer | None:
    """A SigV4 ``Authorization`` must be scoped to the server's region and the bedrock service."""
    if not call.config.require_auth:
        return None
    headers = call.request.headers
    scheme, _, rest = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return None
    scope = _SCOPE.search(rest) if scheme == "AWS4-HMAC-SHA256" else None
    signed = rest.partition("SignedHeaders=")[2].partition(",")[0].split(";")
    date = headers.get("x-amz-date", "")
    problem = None
    if scope is None or "Signature=" not in rest:
        problem = "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters."
    elif scope.group(3) != call.config.aws_region:
        problem = f"Credential should be scoped to a valid region, not '{scope.group(3)}'."
    elif scope.group(4) != "bedrock":
        problem = f"Credential should be scoped to correct service: 'bedrock', not '{scope.group(4)}'."
    elif "host" not in signed or "x-amz-date" not in signed or not date.startswith(scope.group(2)):
        problem = "The request signature does not cover host and x-amz-date, or the date does not match."
    if problem is None:
        return None
    kind = "IncompleteSignatureException" if scope is None else "InvalidSignatureException"
    return call.error(403, {"message": problem}, [("x-amzn-errortype", f"{kind}:")])


_PRESETS = {
    "bad_request": (400, "ValidationException", "Malformed input request, please reformat your input."),
    "auth": (403, "UnrecognizedClientException", "The security token included in the request is invalid."),
    "permission": (403, "AccessDeniedException", "You don't have access to the model with this model ID."),
    "not_found": (404, "ResourceNotFoundException", "The provided model identifier is invalid."),
    "too_large": (400, "ValidationException", "Input is too long for requested model."),
    "context_window": (400, "ValidationException", "Input is too long for requested model."),
    "content_filter": (400, "ValidationException", "The content was blocked by a guardrail."),
    "rate_limit": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "quota": (429, "ServiceQuotaExceededException", "Your request exceeds the service quota."),
    "server": (500, "InternalServerException", "The server encountered an internal error."),
    "overloaded": (503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
    "timeout": (408, "ModelTimeoutException", "Model has timed out in processing the request."),
}  # fmt: skip


def _preset(preset: str, model: str) -> tuple[int, dict[str, Any]]:
    status, kind, message = _PRESETS[preset]
    # The real answer names the exception in x-amzn-errortype; generated bodies carry it as __type.
    return status, {"message": message, "__type": kind}


BEDROCK_ERRORS = ErrorShapes(
    preset=_preset,
    missing_key=lambda: (
        403,
        {"message": "Missing Authentication Token", "__type": "MissingAuthenticationToken"},
    ),
    invalid_key=lambda key: (
        403,
        {
            "message": "The security token included in the request is invalid.",
            "__type": "UnrecognizedClientException",
        },
    ),
    invalid_request=lambda message, param, code: (400, {"message": message, "__type": "ValidationException"}),
    unknown_route=lambda method, path: (404, {"message": "Not Found", "__type": "UnknownOperationException"}),
)


def _rate_limit_headers(wait_ms: int, per_minute: int) -> list[tuple[str, str]]:
    return [("x-amzn-errortype", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/")]


register(
    _ServerDialect(
        Provider.BEDROCK,
        _match,
        {Route.CONVERSE: converse},
        BEDROCK_ERRORS,
        prefixes=("/model/",),
        recorded=(("/converse", Route.CONVERSE), ("/converse-stream", Route.CONVERSE)),
        request_id_headers=("x-amzn-requestid",),
        check=_check,
        rate_limit_headers=_rate_limit_headers,
    )
)
