"""Default answers of the Gemini API and Vertex AI routes: ``generateContent``, ``streamGenerateContent``
(SSE with ``alt=sse``, else one JSON array sent in pieces, as Google does), ``embedContent``,
``batchEmbedContents`` and Vertex ``predict``.

The echo rules of :mod:`modelwire.testing.echo` apply. With ``generationConfig.thinkingConfig`` set (and a
budget other than 0) the answer opens with a thought part, and the model's turn carries a
``thoughtSignature`` (a digest of the request): on the first ``functionCall`` part when it calls a tool,
else on the text part. As Gemini 3 does, a request to a ``gemini-3`` model whose history holds a model
``functionCall`` without a signature (on the first call of a turn) is refused with 400.

Errors are ``google.rpc.Status`` objects (``{"error": {"code", "message", "status", "details"}}``); a 429
carries a ``RetryInfo`` detail with the delay, and no ``Retry-After`` header when the server's
rate limit is set with ``retry_after="none"``. The Gemini API takes its key in ``x-goog-api-key`` (or
``?key=``), Vertex AI a bearer token.
"""

from __future__ import annotations

import json
import re
from typing import Any

from modelwire.testing import echo, provider_errors
from modelwire.testing.dialects import ErrorShapes, ServerDialect, register
from modelwire.testing.records import Provider, Route
from modelwire.testing.routing import Answer, Call, RouteMatch, json_answer, sse_answer

__all__ = ["GOOGLE_ERRORS", "embed", "generate_content", "google_error", "google_rate_limit"]

_FINISH = {None: "STOP", "stop": "STOP", "length": "MAX_TOKENS", "tool": "STOP"}


def _bad(call: Call, message: str) -> Answer:
    return call.error(*provider_errors.invalid_request(call.provider, message))


def _method(call: Call) -> str:
    return call.request.path.rpartition(":")[2]


def _parts(content: Any) -> list[dict[str, Any]]:
    parts = content.get("parts") if isinstance(content, dict) else None
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


def _text(parts: list[dict[str, Any]]) -> str:
    return " ".join(p["text"] for p in parts if isinstance(p.get("text"), str) and not p.get("thought"))


def _tool(body: dict[str, Any]) -> tuple[str, Any] | None:
    declarations = [
        d
        for tool in echo.items(body.get("tools"))
        if isinstance(tool, dict)
        for d in echo.items(tool.get("functionDeclarations"))
        if isinstance(d, dict) and isinstance(d.get("name"), str)
    ]
    config = body.get("toolConfig")
    calling = config.get("functionCallingConfig") if isinstance(config, dict) else None
    calling = calling if isinstance(calling, dict) else {}
    if not declarations or calling.get("mode") == "NONE":
        return None
    allowed = [n for n in echo.items(calling.get("allowedFunctionNames")) if isinstance(n, str)]
    if allowed:
        declarations = [d for d in declarations if d["name"] in allowed] or declarations
    chosen = declarations[0]
    return chosen["name"], chosen.get("parametersJsonSchema") or chosen.get("parameters") or {}


def _result_text(response: Any) -> str:
    """A function response as the echo model quotes it: ``{"result": x}`` (how text results are wrapped)
    as ``x``, any other object as its JSON."""
    if isinstance(response, dict) and list(response) == ["result"] and isinstance(response["result"], str):
        return response["result"]
    return json.dumps(response, separators=(",", ":"))


def _unsigned_call(contents: list[Any]) -> str | None:
    """The name of a model function call that should carry a thought signature and does not."""
    for content in contents:
        if not isinstance(content, dict) or content.get("role") != "model":
            continue
        calls = [p for p in _parts(content) if isinstance(p.get("functionCall"), dict)]
        if calls and not calls[0].get("thoughtSignature"):
            name = calls[0]["functionCall"].get("name")
            return name if isinstance(name, str) else ""
    return None


def generate_content(call: Call) -> Answer:
    body = call.body
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return _bad(call, "* GenerateContentRequest.contents: contents is not specified")
    model = call.model
    if "gemini-3" in model:
        unsigned = _unsigned_call(contents)
        if unsigned is not None:
            return _bad(
                call,
                f"Function call is missing a thought_signature in functionCall parts. This is required for "
                f"tools to work correctly. Additional data, function call `{unsigned}`. Please refer to "
                "https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
            )
    config = body.get("generationConfig")
    config = config if isinstance(config, dict) else {}
    last = contents[-1] if isinstance(contents[-1], dict) else {}
    last_parts = _parts(last)
    responses = [p["functionResponse"] for p in last_parts if isinstance(p.get("functionResponse"), dict)]
    users = [c for c in contents if isinstance(c, dict) and c.get("role", "user") == "user"]
    user_texts = [t for t in (_text(_parts(c)) for c in users) if t]
    max_tokens = config.get("maxOutputTokens")
    reply = echo.plan_reply(
        user_text=user_texts[-1] if user_texts else None,
        tool_results=[_result_text(r.get("response")) for r in responses] or None,
        tool=_tool(body) if not responses else None,
        max_tokens=max_tokens if isinstance(max_tokens, int) else None,
        stops=[s for s in echo.items(config.get("stopSequences")) if isinstance(s, str)],
        structured=config.get("responseJsonSchema") or config.get("responseSchema"),
    )
    thinking = config.get("thinkingConfig")
    thinks = isinstance(thinking, dict) and thinking.get("thinkingBudget") != 0
    parts = _answer_parts(call, reply, thinks)
    system = _text(_parts(body.get("systemInstruction")))
    prompt = echo.words(system) + sum(echo.words(_text(_parts(c))) for c in contents if isinstance(c, dict))
    thoughts = echo.words(parts[0]["text"]) if thinks else 0
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": reply.completion_tokens,
        "totalTokenCount": prompt + reply.completion_tokens + thoughts,
    }
    if thinks:
        usage["thoughtsTokenCount"] = thoughts
    response = {
        "candidates": [
            {"content": {"role": "model", "parts": parts}, "finishReason": _FINISH[reply.ended], "index": 0}
        ],
        "usageMetadata": usage,
        "modelVersion": model,
        "responseId": call.fingerprint()[:22],
    }
    if _method(call) == "streamGenerateContent":
        chunks = _chunks(response)
        if "alt=sse" in call.request.query_string:
            events = [b"data: " + json.dumps(c, separators=(",", ":")).encode() + b"\r\n\r\n" for c in chunks]
            return sse_answer(events, call.id_headers())
        texts = [json.dumps(c, indent=2).encode() for c in chunks]  # no alt=sse: one JSON array, in pieces
        pieces = [b"[" + texts[0], *(b",\r\n" + t for t in texts[1:])]
        pieces[-1] += b"]"
        return Answer(
            200, [("content-type", "application/json; charset=UTF-8"), *call.id_headers()], events=pieces
        )
    return json_answer(200, response, call.id_headers())


def _answer_parts(call: Call, reply: echo.Reply, thinks: bool) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if thinks:
        parts.append(
            {"text": "thinking about: " + (reply.text or f"calling {reply.tool_name}"), "thought": True}
        )
    if reply.tool_name is not None:
        arguments = json.loads(reply.tool_arguments or "{}")
        parts.append({"functionCall": {"name": reply.tool_name, "args": arguments}})
    else:
        parts.append({"text": reply.text})
    if thinks:
        parts[-1]["thoughtSignature"] = call.fingerprint("signature")
    return parts


def _chunks(response: dict[str, Any]) -> list[dict[str, Any]]:
    """A streamed answer: thought and text parts a word at a time, each call whole; the last chunk has
    the finish reason and the final usage (every chunk carries the usage so far)."""
    candidate = response["candidates"][0]
    pieces: list[dict[str, Any]] = []
    for part in candidate["content"]["parts"]:
        if "text" in part:
            words = echo.pieces(part["text"])
            for i, piece in enumerate(words):
                chunk_part = {k: v for k, v in part.items() if k != "thoughtSignature"}
                chunk_part["text"] = piece
                if i == len(words) - 1 and "thoughtSignature" in part:
                    chunk_part["thoughtSignature"] = part["thoughtSignature"]
                pieces.append(chunk_part)
        else:
            pieces.append(part)
    usage = response["usageMetadata"]
    partial = {"promptTokenCount": usage["promptTokenCount"], "totalTokenCount": usage["promptTokenCount"]}
    chunks = []
    for i, part in enumerate(pieces):
        last = i == len(pieces) - 1
        chunk_candidate: dict[str, Any] = {"content": {"role": "model", "parts": [part]}, "index": 0}
        if last:
            chunk_candidate["finishReason"] = candidate["finishReason"]
        chunks.append(
            {
                "candidates": [chunk_candidate],
                "usageMetadata": usage if last else partial,
                "modelVersion": response["modelVersion"],
                "responseId": response["responseId"],
            }
        )
    return chunks


def embed(call: Call) -> Answer:
    body = call.body
    method = _method(call)
    dimensions = call.config.embedding_dimensions
    if method == "predict":
        instances = body.get("instances")
        if not isinstance(instances, list) or not instances:
            return _bad(call, "instances: at least one instance is required")
        parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        size = parameters.get("outputDimensionality", dimensions)
        predictions = []
        for instance in instances:
            text = instance.get("content") if isinstance(instance, dict) else None
            if not isinstance(text, str):
                return _bad(call, "instances: each instance needs a content string")
            statistics = {"truncated": False, "token_count": echo.words(text)}
            predictions.append(
                {"embeddings": {"statistics": statistics, "values": echo.embedding(text, size)}}
            )
        billable = sum(len(i["content"]) for i in instances)
        return json_answer(
            200, {"predictions": predictions, "metadata": {"billableCharacterCount": billable}}
        )
    requests = body.get("requests") if method == "batchEmbedContents" else [body]
    if not isinstance(requests, list) or not requests:
        return _bad(call, "* BatchEmbedContentsRequest.requests: requests is not specified")
    vectors = []
    tokens = 0
    for request in requests:
        text = _text(_parts(request.get("content"))) if isinstance(request, dict) else ""
        if not text:
            return _bad(call, "* EmbedContentRequest.content: contents is not specified")
        size = request.get("outputDimensionality", dimensions)
        if not isinstance(size, int) or not 1 <= size <= 3072:
            return _bad(call, f"* EmbedContentRequest.output_dimensionality: invalid value {size!r}")
        vectors.append({"values": echo.embedding(text, size)})
        tokens += echo.words(text)
    usage = {"promptTokenCount": tokens, "totalTokenCount": tokens}
    if method == "batchEmbedContents":
        return json_answer(200, {"embeddings": vectors, "usageMetadata": usage}, call.id_headers())
    return json_answer(200, {"embedding": vectors[0], "usageMetadata": usage}, call.id_headers())


# --- errors ----------------------------------------------------------------------------------------------


def google_error(code: int, status: str, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return {"error": error}


def _retry_info(delay: float) -> dict[str, Any]:
    seconds = f"{delay:.3f}".rstrip("0").rstrip(".")
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{seconds}s"}


def _error_info(reason: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com"}


def google_rate_limit(model: str, delay: float) -> tuple[int, dict[str, Any]]:
    """Gemini's 429: the per-minute quota that was hit and the delay Google asks for (``RetryInfo``)."""
    message = (
        "You exceeded your current quota, please check your plan and billing details. For more information "
        "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. "
        f"Please retry in {delay:g}s."
    )
    failure = {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [
            {
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                "quotaDimensions": {"location": "global", "model": model},
                "quotaValue": "10",
            }
        ],
    }
    return 429, google_error(429, "RESOURCE_EXHAUSTED", message, failure, _retry_info(delay))


_PRESETS: dict[str, tuple[int, str, str]] = {
    "bad_request": (400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
    "auth": (401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
    "permission": (403, "PERMISSION_DENIED", "The caller does not have permission"),
    "not_found": (404, "NOT_FOUND", "models/{model} is not found for API version v1beta."),
    "too_large": (400, "INVALID_ARGUMENT", "Request payload size exceeds the limit: 20971520 bytes."),
    "context_window": (
        400,
        "INVALID_ARGUMENT",
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
    ),
    "content_filter": (400, "INVALID_ARGUMENT", "The request was blocked by the safety filters."),
    "server": (500, "INTERNAL", "An internal error has occurred. Please retry or report in "
               "https://developers.generativeai.google/guide/troubleshooting"),
    "overloaded": (503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    "timeout": (504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}  # fmt: skip


def _preset(preset: str, model: str) -> tuple[int, dict[str, Any]]:
    if preset == "rate_limit":
        return google_rate_limit(model, 1.0)
    if preset == "quota":  # a per-day quota: the RetryInfo delay would only lead to the same answer
        code, body = google_rate_limit(model, 30.0)
        violation = body["error"]["details"][0]["violations"][0]
        violation["quotaId"] = "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
        return code, body
    code, status, message = _PRESETS.get(preset, _PRESETS["bad_request"])
    return code, google_error(code, status, message.replace("{model}", model))


def _invalid_request(message: str, param: str | None, code: str | None) -> tuple[int, dict[str, Any]]:
    return 400, google_error(400, "INVALID_ARGUMENT", message)


def _unknown_route(method: str, path: str) -> tuple[int, dict[str, Any]]:
    return 404, google_error(404, "NOT_FOUND", f"The requested URL {path} was not found on this server.")


GOOGLE_ERRORS = ErrorShapes(
    preset=_preset,
    missing_key=lambda: (
        403,
        google_error(
            403,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). Please use "
            "API Key or other form of API consumer identity to call this API.",
        ),
    ),
    invalid_key=lambda key: (
        400,
        google_error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            _error_info("API_KEY_INVALID"),
        ),
    ),
    invalid_request=_invalid_request,
    unknown_route=_unknown_route,
)
VERTEX_ERRORS = ErrorShapes(
    preset=_preset,
    missing_key=lambda: (
        401,
        google_error(
            401,
            "UNAUTHENTICATED",
            "Request is missing required authentication credential. Expected OAuth 2 access token, login "
            "cookie or other valid authentication credential.",
            _error_info("CREDENTIALS_MISSING"),
        ),
    ),
    invalid_key=lambda key: (
        401,
        google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
            "other valid authentication credential.",
            _error_info("ACCESS_TOKEN_TYPE_UNSUPPORTED"),
        ),
    ),
    invalid_request=_invalid_request,
    unknown_route=_unknown_route,
)


# --- the dialects these routes serve -----------------------------------------------------------------------

_METHODS = {
    "generateContent": Route.GENERATE_CONTENT,
    "streamGenerateContent": Route.GENERATE_CONTENT,
    "embedContent": Route.EMBED_CONTENT,
    "batchEmbedContents": Route.EMBED_CONTENT,
    "predict": Route.EMBED_CONTENT,
}
# Gemini API: /v1beta/models/{model}:{method}; Vertex AI: /v1/projects/{p}/locations/{l}/publishers/google/
# models/{model}:{method} (v1beta1 too).
_GEMINI_PATH = re.compile(r"/v1(?:beta|alpha)?/models/(?P<model>[^/:]+):(?P<method>\w+)")
_VERTEX_PATH = re.compile(
    r"/v1(?:beta1)?/projects/[^/]+/locations/[^/]+/publishers/google/models/(?P<model>[^/:]+):(?P<method>\w+)"
)


def _matcher(pattern: re.Pattern[str], provider: Provider) -> Any:
    def match(path: str) -> RouteMatch | None:
        found = pattern.fullmatch(path)
        route = None if found is None else _METHODS.get(found["method"])
        return None if route is None or found is None else RouteMatch(route, provider, found["model"])

    return match


def _rate_limit_error(model: str, wait: float) -> tuple[int, dict[str, Any]]:
    return google_rate_limit(model, max(0.001, wait))


def _no_headers(wait_ms: int, per_minute: int) -> list[tuple[str, str]]:
    return []


_HANDLERS = {Route.GENERATE_CONTENT: generate_content, Route.EMBED_CONTENT: embed}
_RECORDED = tuple((f":{method}", route) for method, route in _METHODS.items())
register(
    ServerDialect(
        Provider.GEMINI,
        _matcher(_GEMINI_PATH, Provider.GEMINI),
        _HANDLERS,
        GOOGLE_ERRORS,
        prefixes=("/v1beta/", "/v1alpha/"),
        recorded=_RECORDED,
        key_header="x-goog-api-key",
        rate_limit_headers=_no_headers,
        rate_limit_error=_rate_limit_error,
    )
)
register(
    ServerDialect(
        Provider.VERTEX,
        _matcher(_VERTEX_PATH, Provider.VERTEX),
        _HANDLERS,
        VERTEX_ERRORS,
        prefixes=("/v1/projects/", "/v1beta1/projects/"),
        recorded=_RECORDED,
        rate_limit_headers=_no_headers,
        rate_limit_error=_rate_limit_error,
    )
)
