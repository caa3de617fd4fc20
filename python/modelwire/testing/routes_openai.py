"""Default answers of the OpenAI-compatible routes (and their Azure twins): chat, embeddings, images; the
Responses API route's answers live in ``routes_responses``."""

from __future__ import annotations

import base64
import json
from typing import Any

from modelwire.testing import echo, provider_errors
from modelwire.testing.dialects import ServerDialect, register
from modelwire.testing.records import Provider, Route
from modelwire.testing.routes_responses import responses
from modelwire.testing.routing import Answer, Call, RouteMatch, json_answer, sse_answer

__all__ = ["chat", "embeddings", "images"]

_FINISH = {None: "stop", "stop": "stop", "length": "length", "tool": "tool_calls"}
_FILTER_OK = {
    name: {"filtered": False, "severity": "safe"} for name in ("hate", "self_harm", "sexual", "violence")
}


def _bad(call: Call, message: str, param: str | None = None, code: str | None = None) -> Answer:
    return call.error(*provider_errors.invalid_request(call.provider, message, param=param, code=code))


def _missing(call: Call, name: str) -> Answer:
    return _bad(call, f"Missing required parameter: '{name}'.", name, "missing_required_parameter")


def _tool(body: dict[str, Any]) -> tuple[str, Any] | None:
    functions = [t.get("function") for t in echo.items(body.get("tools")) if isinstance(t, dict)]
    tools: list[dict[str, Any]] = [
        f for f in functions if isinstance(f, dict) and isinstance(f.get("name"), str)
    ]
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        wanted = choice["function"].get("name")
        tools = [t for t in tools if t["name"] == wanted] or tools
    return tools[0]["name"], tools[0].get("parameters")


def _structured(body: dict[str, Any]) -> Any:
    fmt = body.get("response_format")
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_object":
        return {}
    if fmt.get("type") == "json_schema" and isinstance(fmt.get("json_schema"), dict):
        return fmt["json_schema"].get("schema") or {}
    return None


def _reply(body: dict[str, Any], messages: list[Any]) -> echo.Reply:
    trailing_tools: list[str] = []
    for message in reversed(messages):
        if not (isinstance(message, dict) and message.get("role") == "tool"):
            break
        trailing_tools.insert(0, echo.text_of(message.get("content")))
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    last_is_user = isinstance(messages[-1], dict) and messages[-1].get("role") == "user"
    stop = body.get("stop")
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    return echo.plan_reply(
        user_text=echo.text_of(users[-1].get("content")) if users else None,
        tool_results=trailing_tools or None,
        tool=_tool(body) if last_is_user else None,
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
        stops=[stop] if isinstance(stop, str) else [s for s in echo.items(stop) if isinstance(s, str)],
        structured=_structured(body),
    )


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def chat(call: Call) -> Answer:
    body = call.body
    messages = body.get("messages")
    if not isinstance(body.get("model"), str) and call.match.deployment is None:
        return _bad(call, "you must provide a model parameter")
    if messages is None:
        return _missing(call, "messages")
    if not isinstance(messages, list) or not messages:
        message = "Invalid 'messages': empty array. Expected an array with minimum length 1."
        return _bad(call, message, "messages", "empty_array")
    n = body.get("n") or 1
    if not isinstance(n, int) or not 1 <= n <= 128:
        return _bad(call, f"Invalid 'n': expected an integer between 1 and 128, got {n!r}.", "n")
    reply = _reply(body, messages)
    prompt = sum(echo.words(echo.text_of(m.get("content"))) for m in messages if isinstance(m, dict))
    usage = _usage(prompt, reply.completion_tokens * n)
    chat_id = "chatcmpl-" + call.fingerprint()
    call_id = "call_" + call.fingerprint("tool")
    if body.get("stream") is True:
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        events = _stream(call, chat_id, call_id, reply, n, usage if include_usage else None)
        return sse_answer(events, call.id_headers())
    answer: dict[str, Any] = {"role": "assistant", "content": reply.text or None, "refusal": None}
    if reply.tool_name is not None:
        function = {"name": reply.tool_name, "arguments": reply.tool_arguments}
        answer["tool_calls"] = [{"id": call_id, "type": "function", "function": function}]
    if "image" in echo.items(body.get("modalities")):  # OpenRouter-style image output on the chat route
        png = base64.b64encode(echo.png(chat_id)).decode("ascii")
        answer["images"] = [{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}]
    choices: list[dict[str, Any]] = [
        {"index": i, "message": answer, "logprobs": None, "finish_reason": _FINISH[reply.ended]}
        for i in range(n)
    ]
    payload: dict[str, Any] = {
        "id": chat_id,
        "object": "chat.completion",
        "created": echo.CREATED,
        "model": call.model,
        "choices": choices,
        "usage": usage,
        "service_tier": "default",
        "system_fingerprint": "fp_modelwire",
    }
    if call.provider is Provider.AZURE:
        for choice in choices:
            choice["content_filter_results"] = _FILTER_OK
        payload["prompt_filter_results"] = [{"prompt_index": 0, "content_filter_results": _FILTER_OK}]
    return json_answer(200, payload, call.id_headers())


def _event(payload: Any) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def _stream(
    call: Call, chat_id: str, call_id: str, reply: echo.Reply, n: int, usage: dict[str, Any] | None
) -> list[bytes]:
    base: dict[str, Any] = {
        "id": chat_id,
        "object": "chat.completion.chunk",
        "created": echo.CREATED,
        "model": call.model,
        "system_fingerprint": "fp_modelwire",
    }
    if usage is not None:
        base["usage"] = None

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _event({**base, "choices": [choice]})

    events = []
    if call.provider is Provider.AZURE:  # Azure opens with a choice-less prompt-filter event
        filters = [{"prompt_index": 0, "content_filter_results": _FILTER_OK}]
        events.append(
            _event(
                {
                    "choices": [],
                    "created": 0,
                    "id": "",
                    "model": "",
                    "object": "",
                    "prompt_filter_results": filters,
                }
            )
        )
    for index in range(n):
        if reply.tool_name is not None:
            first = {
                "index": 0,
                "id": call_id,
                "type": "function",
                "function": {"name": reply.tool_name, "arguments": ""},
            }
            events.append(
                chunk(index, {"role": "assistant", "content": None, "tool_calls": [first], "refusal": None})
            )
            events.extend(
                chunk(index, {"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]})
                for fragment in echo.fragments(reply.tool_arguments or "")
            )
        else:
            events.append(chunk(index, {"role": "assistant", "content": "", "refusal": None}))
            events.extend(chunk(index, {"content": piece}) for piece in echo.pieces(reply.text) if piece)
        events.append(chunk(index, {}, _FINISH[reply.ended]))
    if usage is not None:
        events.append(_event({**base, "choices": [], "usage": usage}))
    events.append(b"data: [DONE]\n\n")
    return events


def embeddings(call: Call) -> Answer:
    body = call.body
    raw = body.get("input")
    if raw is None:
        return _missing(call, "input")
    inputs: list[Any] = (
        [raw] if isinstance(raw, str) or _token_ids(raw) else raw if isinstance(raw, list) else []
    )
    if not inputs or any(not (isinstance(i, str) and i) and not _token_ids(i) for i in inputs):
        return _bad(call, "'$.input' is invalid. Please check the API reference.", "input", "invalid_value")
    dimensions = body.get("dimensions", call.config.embedding_dimensions)
    if not isinstance(dimensions, int) or not 1 <= dimensions <= 8192:
        return _bad(
            call, f"Invalid 'dimensions': expected an integer >= 1, got {dimensions!r}.", "dimensions"
        )
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        message = f"Invalid value for 'encoding_format': expected 'float' or 'base64', got {encoding!r}."
        return _bad(call, message, "encoding_format", "invalid_value")
    items = []
    prompt = 0
    for index, item in enumerate(inputs):
        key = item if isinstance(item, str) else json.dumps(item)
        prompt += echo.words(item) if isinstance(item, str) else len(item)
        vector = echo.embedding_text(key, dimensions, encoding)
        items.append(f'{{"object":"embedding","index":{index},"embedding":{vector}}}')
    # Assembled by hand: the vectors are cached JSON text, and re-encoding them would cost more than the rest.
    usage = f'{{"prompt_tokens":{prompt},"total_tokens":{prompt}}}'
    text = f'{{"object":"list","data":[{",".join(items)}],"model":{json.dumps(call.model)},"usage":{usage}}}'
    return Answer(200, [("content-type", "application/json"), *call.id_headers()], text.encode())


def _token_ids(item: Any) -> bool:
    return isinstance(item, list) and bool(item) and all(isinstance(t, int) for t in item)


def images(call: Call) -> Answer:
    body = call.body
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        return _missing(call, "prompt")
    n = body.get("n") or 1
    if not isinstance(n, int) or not 1 <= n <= 10:
        return _bad(call, f"Invalid 'n': expected an integer between 1 and 10, got {n!r}.", "n")
    model = call.model
    fmt = body.get("response_format") or ("url" if model.startswith("dall-e") else "b64_json")
    if fmt not in ("url", "b64_json"):
        message = f"Invalid value: {fmt!r}. Supported values are: 'url' and 'b64_json'."
        return _bad(call, message, "response_format", "invalid_value")
    data = []
    for index in range(n):
        image_id = echo.digest(model, prompt, str(index), size=32)
        item: dict[str, Any] = (
            {"url": f"{call.base_url}/_mw/images/{image_id}.png"}
            if fmt == "url"
            else {"b64_json": base64.b64encode(echo.png(image_id)).decode("ascii")}
        )
        if model.startswith("dall-e-3"):
            item["revised_prompt"] = prompt
        data.append(item)
    payload: dict[str, Any] = {"created": echo.CREATED, "data": data}
    if model.startswith("gpt-image"):
        words = echo.words(prompt)
        payload["usage"] = {
            "input_tokens": words,
            "output_tokens": 16 * n,
            "total_tokens": words + 16 * n,
            "input_tokens_details": {"text_tokens": words, "image_tokens": 0},
        }
    return json_answer(200, payload, call.id_headers())


# --- the dialects these routes serve ----------------------------------------------------------------

_OPENAI_PATHS = {
    "/v1/chat/completions": Route.CHAT,
    "/v1/embeddings": Route.EMBEDDINGS,
    "/v1/images/generations": Route.IMAGES,
    "/v1/responses": Route.RESPONSES,
}
_OPERATIONS = {
    "chat/completions": Route.CHAT,
    "embeddings": Route.EMBEDDINGS,
    "images/generations": Route.IMAGES,
    "responses": Route.RESPONSES,
}
_AZURE_RESPONSES = "/openai/responses"  # beside the deployments: the model is in the body
_AZURE_DEPLOYMENTS = "/openai/deployments/"
_AZURE_V1 = "/openai/v1/"  # Azure's newer versionless API: model in the body, no api-version
_HANDLERS = {Route.CHAT: chat, Route.EMBEDDINGS: embeddings, Route.IMAGES: images, Route.RESPONSES: responses}
_RECORDED = (
    ("/chat/completions", Route.CHAT),
    ("/embeddings", Route.EMBEDDINGS),
    ("/images/generations", Route.IMAGES),
    ("/responses", Route.RESPONSES),
)


def _openai_match(path: str) -> RouteMatch | None:
    route = _OPENAI_PATHS.get(path)
    return None if route is None else RouteMatch(route, Provider.OPENAI)


def _azure_match(path: str) -> RouteMatch | None:
    if path == _AZURE_RESPONSES:
        return RouteMatch(Route.RESPONSES, Provider.AZURE, needs_api_version=True)
    if path.startswith(_AZURE_DEPLOYMENTS):
        deployment, _, operation = path[len(_AZURE_DEPLOYMENTS) :].partition("/")
        route = _OPERATIONS.get(operation)
        if route is not None and deployment:
            return RouteMatch(route, Provider.AZURE, deployment, needs_api_version=True)
    elif path.startswith(_AZURE_V1):
        route = _OPERATIONS.get(path[len(_AZURE_V1) :])
        if route is not None:
            return RouteMatch(route, Provider.AZURE)
    return None


register(
    ServerDialect(
        Provider.OPENAI,
        _openai_match,
        _HANDLERS,
        provider_errors.OPENAI_ERRORS,
        prefixes=("/v1/",),
        recorded=_RECORDED,
    )
)
register(
    ServerDialect(
        Provider.AZURE,
        _azure_match,
        _HANDLERS,
        provider_errors.AZURE_ERRORS,
        prefixes=("/openai/",),
        key_header="api-key",
        request_id_headers=("x-request-id", "apim-request-id"),
    )
)
