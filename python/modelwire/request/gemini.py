"""A canonical (OpenAI-shaped) chat request as a Gemini ``generateContent`` body (Gemini API and Vertex AI).

What is translated, and how (tests/test_request_gemini.py checks the exact JSON of each rule):

- ``system``/``developer`` messages -> ``systemInstruction.parts`` (text parts, in order);
- ``user`` -> a ``user`` content; ``assistant`` -> a ``model`` content; consecutive ``tool`` messages -> one
  ``user`` content of ``functionResponse`` parts (parallel calls are answered together), each named by the
  call it answers (looked up by ``tool_call_id``); the result is the JSON object the tool returned, or
  ``{"result": <content>}`` for anything else;
- text -> ``{"text"}``; ``image_url`` / canonical ``image`` / ``file`` blocks -> ``inlineData`` for base64
  data URIs, ``fileData`` (``fileUri``, ``mimeType`` when known) for other URIs (``gs://``, Files API,
  YouTube, https); blocks already in Gemini's shape (``inlineData``, ``fileData``, ...) pass through;
- assistant turns: thinking blocks with text -> ``thought`` parts with their signatures, the text, then one
  ``functionCall`` part per tool call (``args`` parsed from ``arguments``; ``id`` kept unless modelwire made
  it up). Signature-only thinking blocks (docs/parsing-rules-gemini.md section 3) go back on the function
  calls in order, or on the text part when there is no call;
- OpenAI tools -> one ``{"functionDeclarations": [...]}`` tool (``parametersJsonSchema``: the full JSON
  Schema, which ``parameters``' OpenAPI subset would reject for ``additionalProperties`` and friends); tools
  already in Gemini's shape (``googleSearch``, ``codeExecution``, ``functionDeclarations``) pass through;
- ``tool_choice`` auto/none/required/named -> ``toolConfig.functionCallingConfig`` AUTO/NONE/ANY/ANY with
  ``allowedFunctionNames``;
- ``generationConfig``: temperature, topP, ``top_k`` (from extra_body) -> topK, max_(completion_)tokens ->
  maxOutputTokens, stop -> stopSequences, n -> candidateCount, seed, presence/frequency penalties,
  logprobs -> responseLogprobs, top_logprobs -> logprobs, response_format json_object / json_schema ->
  ``responseMimeType`` ``application/json`` (+ ``responseJsonSchema``), reasoning_effort -> ``thinkingConfig``
  (``thinkingLevel`` for Gemini 3 and later, a ``thinkingBudget`` for 2.x; ``none`` turns thinking off;
  ``includeThoughts`` so thought summaries come back).

``extra_body`` is merged here, not by the caller: ``top_k`` becomes ``generationConfig.topK``, a
``generationConfig`` object is merged into the translated one key by key, everything else is merged flat
(``safetySettings``, ``cachedContent``, ``labels``, ...) and wins on a conflict.

What Gemini cannot take (``parallel_tool_calls=False``, a ``response_format`` other than text / json_object
/ json_schema, an unknown ``reasoning_effort``) raises ``UnsupportedParamsError`` naming every one, unless
the caller asked to drop them: then they are returned so the adapter can warn.
"""

from __future__ import annotations

import mimetypes
from typing import Any, Final

import orjson

from modelwire.request._translate import (
    Context,
    call_arguments,
    check_unsupported,
    choice_function_name,
    data_uri,
    json_schema,
    max_tokens,
    stop_sequences,
    tool_function,
)
from modelwire.types import GENERATED_ID_PREFIX, ChatCompletionRequest, ThinkingBlock

__all__ = ["THINKING_BUDGETS", "gemini_body_fields", "gemini_contents", "gemini_embedding_body"]

_MODES: Final = {"auto": "AUTO", "none": "NONE", "required": "ANY", "any": "ANY"}
THINKING_BUDGETS: Final = {"minimal": 128, "low": 1024, "medium": 8192, "high": 24576}
_OFF: Final = frozenset({"none", "disable", "disabled"})
_NATIVE_PARTS: Final = frozenset({"text", "inlineData", "fileData", "functionCall", "functionResponse"})


def gemini_body_fields(
    request: ChatCompletionRequest, *, provider: str, drop_params: bool
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The whole body for ``request`` (``extra_body`` merged in) and the parameters dropped because
    ``drop_params`` was set. The model goes in the URL, not the body."""
    ctx = Context(provider, request.model)
    unsupported: list[str] = []
    system, contents = _contents(request.messages, ctx)
    fields: dict[str, Any] = {"contents": contents}
    if system is not None:
        fields["systemInstruction"] = system
    if request.tools:
        fields["tools"] = _tools(request.tools, ctx)
    tool_config = _tool_config(request, ctx)
    if tool_config is not None:
        fields["toolConfig"] = tool_config
    if request.parallel_tool_calls is False and request.tools:
        unsupported.append("parallel_tool_calls=False")
    config = _generation_config(request, unsupported, ctx)
    extra = dict(request.extra_body or {})
    if "top_k" in extra:
        config["topK"] = extra.pop("top_k")
    more = extra.pop("generationConfig", None)
    if isinstance(more, dict):
        config.update(more)
    if config:
        fields["generationConfig"] = config
    fields.update(extra)
    return fields, check_unsupported("Gemini", unsupported, drop_params=drop_params, ctx=ctx)


def gemini_embedding_body(
    model: str, inputs: list[str], *, dimensions: int | None = None, vertex_predict: bool = False
) -> dict[str, Any]:
    """``batchEmbedContents`` (``model`` without ``models/``), or Vertex ``predict`` for the
    ``text-embedding-*`` / ``textembedding-gecko`` models."""
    if vertex_predict:
        body: dict[str, Any] = {"instances": [{"content": text} for text in inputs]}
        if dimensions is not None:
            body["parameters"] = {"outputDimensionality": dimensions}
        return body
    requests = []
    for text in inputs:
        item: dict[str, Any] = {"model": f"models/{model}", "content": {"parts": [{"text": text}]}}
        if dimensions is not None:
            item["outputDimensionality"] = dimensions
        requests.append(item)
    return {"requests": requests}


# --- generation config -----------------------------------------------------------------------------------


def _generation_config(
    request: ChatCompletionRequest, unsupported: list[str], ctx: Context
) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    limit = max_tokens(request, ctx)
    if limit is not None:
        config["maxOutputTokens"] = limit
    stop = stop_sequences(request)
    if stop:
        config["stopSequences"] = stop
    if request.n is not None:
        config["candidateCount"] = request.n
    if request.seed is not None:
        config["seed"] = request.seed
    if request.presence_penalty is not None:
        config["presencePenalty"] = request.presence_penalty
    if request.frequency_penalty is not None:
        config["frequencyPenalty"] = request.frequency_penalty
    if request.logprobs is not None:
        config["responseLogprobs"] = request.logprobs
    if request.top_logprobs is not None:
        config["logprobs"] = request.top_logprobs
    _response_format(request.response_format, config, unsupported, ctx)
    thinking = _thinking_config(request.reasoning_effort, request.model, unsupported)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def _response_format(
    fmt: dict[str, Any] | None, config: dict[str, Any], unsupported: list[str], ctx: Context
) -> None:
    if fmt is None:
        return
    kind = fmt.get("type")
    if kind == "json_object":
        config["responseMimeType"] = "application/json"
    elif kind == "json_schema":
        schema = json_schema(fmt, ctx)
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema"] = schema
    elif kind != "text":
        unsupported.append(f"response_format of type {kind}")


def _thinking_config(effort: str | None, model: str, unsupported: list[str]) -> dict[str, Any] | None:
    if effort is None:
        return None
    if effort in _OFF:
        return {"thinkingBudget": 0}
    if effort not in THINKING_BUDGETS:
        unsupported.append(f"reasoning_effort={effort}")
        return None
    # Gemini 2.x thinks within a token budget; Gemini 3 and later take a level instead.
    if "gemini-2" in model or "gemini-1" in model:
        return {"thinkingBudget": THINKING_BUDGETS[effort], "includeThoughts": True}
    return {"thinkingLevel": effort, "includeThoughts": True}


# --- tools -----------------------------------------------------------------------------------------------


def _tools(tools: list[dict[str, Any]], ctx: Context) -> list[dict[str, Any]]:
    declarations: list[dict[str, Any]] = []
    native: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        function = tool_function(tool, i, ctx)
        if function is None:
            native.append(tool)  # already Gemini's shape: googleSearch, codeExecution, functionDeclarations
            continue
        declaration: dict[str, Any] = {"name": function["name"]}
        if function.get("description"):
            declaration["description"] = function["description"]
        if function.get("parameters"):
            declaration["parametersJsonSchema"] = function["parameters"]
        declarations.append(declaration)
    return ([{"functionDeclarations": declarations}] if declarations else []) + native


def _tool_config(request: ChatCompletionRequest, ctx: Context) -> dict[str, Any] | None:
    choice = request.tool_choice
    if choice is None:
        return None
    if isinstance(choice, str):
        if choice not in _MODES:
            raise ctx.invalid(f"tool_choice {choice!r} is not auto, none, required or a named function")
        return {"functionCallingConfig": {"mode": _MODES[choice]}}
    if choice.get("type") == "function":
        name = choice_function_name(choice, ctx)
        return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
    if "functionCallingConfig" in choice:
        return dict(choice)  # already Gemini's toolConfig
    raise ctx.invalid(f"tool_choice of type {choice.get('type')!r} is not understood")


# --- contents --------------------------------------------------------------------------------------------


def gemini_contents(
    messages: list[dict[str, Any]], *, provider: str = "gemini", model: str = ""
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """``(systemInstruction, contents)``; ``systemInstruction`` is None without a system message."""
    return _contents(messages, Context(provider, model))


def _contents(
    messages: list[dict[str, Any]], ctx: Context
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool call id -> function name, for the responses
    responses: list[dict[str, Any]] | None = None  # the open user turn that collects function responses
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ctx.invalid(f"messages[{i}] is not an object")
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(_parts(message.get("content"), ctx, i))
            continue
        if role == "tool":
            part = _function_response(message, names, ctx, i)
            if responses is None:
                responses = [part]
                out.append({"role": "user", "parts": responses})
            else:
                responses.append(part)
            continue
        responses = None
        if role == "user":
            out.append({"role": "user", "parts": _parts(message.get("content"), ctx, i)})
        elif role == "assistant":
            parts = _model_parts(message, names, ctx, i)
            if parts:  # an empty model turn (a refusal) has nothing to send
                out.append({"role": "model", "parts": parts})
        else:
            raise ctx.invalid(f"messages[{i}] has role {role!r}, which Gemini has no turn for")
    return ({"parts": system} if system else None), out


def _parts(content: Any, ctx: Context, index: int) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list):
        raise ctx.invalid(f"messages[{index}].content must be a string or a list of blocks")
    return [_part(block, ctx, index) for block in content]


def _part(block: Any, ctx: Context, index: int) -> dict[str, Any]:
    if isinstance(block, str):
        return {"text": block}
    if not isinstance(block, dict):
        raise ctx.invalid(f"messages[{index}] holds a {type(block).__name__} block, not an object")
    kind = block.get("type")
    if kind == "text":
        return {"text": block.get("text") or ""}
    if kind == "image_url":
        ref = block.get("image_url")
        return _media(ref.get("url") if isinstance(ref, dict) else ref, None, ctx, index)
    if kind == "image" and isinstance(block.get("source"), dict):
        source = block["source"]
        if source.get("type") == "base64":
            return {"inlineData": {"mimeType": source.get("media_type"), "data": source.get("data")}}
        return _media(source.get("url"), source.get("media_type"), ctx, index)
    if kind == "file" and isinstance(block.get("file"), dict):
        file = block["file"]
        return _media(file.get("file_data") or file.get("file_id"), file.get("format"), ctx, index)
    if _NATIVE_PARTS & block.keys():
        return block
    raise ctx.invalid(f"messages[{index}] has a content block of type {kind!r} that Gemini cannot take")


def _media(url: Any, mime: Any, ctx: Context, index: int) -> dict[str, Any]:
    if not isinstance(url, str) or not url:
        raise ctx.invalid(f"messages[{index}] has a media block without a url or data")
    if url.startswith("data:"):
        kind, data = data_uri(url, ctx, index)
        if not kind:
            raise ctx.invalid(f"messages[{index}]: a data URI must name its media type")
        return {"inlineData": {"mimeType": kind, "data": data}}
    file: dict[str, Any] = {"fileUri": url}
    guessed = mime if isinstance(mime, str) else mimetypes.guess_type(url.partition("?")[0])[0]
    if guessed:
        file = {"mimeType": guessed, **file}
    return {"fileData": file}


def _model_parts(
    message: dict[str, Any], names: dict[str, str], ctx: Context, index: int
) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    loose: list[str] = []  # signatures of non-thought parts, in order
    for block in message.get("thinking_blocks") or ():
        thinking = _thinking(block)
        if thinking is None:
            continue
        if thinking.thinking:
            part: dict[str, Any] = {"text": thinking.thinking, "thought": True}
            if thinking.signature:
                part["thoughtSignature"] = thinking.signature
            parts.append(part)
        elif thinking.signature:
            loose.append(thinking.signature)
    calls = message.get("tool_calls") or ()
    text_parts = _parts(message.get("content"), ctx, index)
    if loose and not calls and text_parts:
        text_parts[-1] = {**text_parts[-1], "thoughtSignature": loose[-1]}
    parts.extend(p for p in text_parts if p != {"text": ""})
    for j, call in enumerate(calls):
        part = _function_call(call, names, ctx, index, j)
        if j < len(loose):
            part["thoughtSignature"] = loose[j]
        parts.append(part)
    return parts


def _thinking(block: Any) -> ThinkingBlock | None:
    """Gemini's own blocks (text and/or signature); another provider's (Anthropic-shaped, redacted) are
    not Gemini's to read and are left out."""
    if isinstance(block, ThinkingBlock):
        return None if block.redacted else block
    if not isinstance(block, dict) or "type" in block or block.get("redacted_data") is not None:
        return None
    thinking, signature = block.get("thinking"), block.get("signature")
    return ThinkingBlock(
        thinking if isinstance(thinking, str) else None, signature if isinstance(signature, str) else None
    )


def _function_call(
    call: Any, names: dict[str, str], ctx: Context, index: int, position: int
) -> dict[str, Any]:
    name, arguments = call_arguments(call, ctx, f"messages[{index}].tool_calls[{position}]")
    out: dict[str, Any] = {"name": name, "args": arguments}
    call_id = call.get("id")
    if isinstance(call_id, str) and call_id:
        names[call_id] = name
        if not call_id.startswith(GENERATED_ID_PREFIX):
            out["id"] = call_id
    return {"functionCall": out}


def _function_response(
    message: dict[str, Any], names: dict[str, str], ctx: Context, index: int
) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    name = names.get(call_id) if isinstance(call_id, str) else None
    name = name or message.get("name")
    if not isinstance(name, str) or not name:
        raise ctx.invalid(
            f"messages[{index}] (a tool result) answers no earlier tool call: its tool_call_id "
            f"{call_id!r} is unknown and it has no name"
        )
    content = message.get("content")
    if isinstance(content, list):  # text blocks: their text, joined
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    result: Any = content
    if isinstance(content, str):
        try:
            result = orjson.loads(content)
        except orjson.JSONDecodeError:
            result = content
    response = result if isinstance(result, dict) else {"result": content}
    out: dict[str, Any] = {"name": name, "response": response}
    if isinstance(call_id, str) and call_id and not call_id.startswith(GENERATED_ID_PREFIX):
        out["id"] = call_id
    return {"functionResponse": out}
