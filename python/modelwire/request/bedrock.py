"""A canonical (OpenAI-shaped) chat request as a Bedrock Converse body (``POST /model/{modelId}/converse``
and ``/converse-stream``; the same body serves both).

What is translated, and how (tests/test_bedrock_request.py holds the same list, by exact JSON):

- ``system``/``developer`` messages are lifted into ``system`` (a list of ``{"text"}`` blocks, in order);
  ``tool`` messages become ``toolResult`` blocks of a user turn (``status: "error"`` for ``is_error``);
  assistant ``tool_calls`` become ``toolUse`` blocks (arguments parsed to ``input``), preceded by the
  message's ``thinking_blocks`` sent back as ``reasoningContent`` with their signatures (redacted ones as
  ``redactedContent``); consecutive turns of one role are joined into one (Converse requires the roles
  to alternate); a turn with nothing in it (a refusal) is not sent;
- text blocks -> ``{"text"}``; ``image_url`` blocks with a base64 data URI -> ``image`` blocks (png, jpeg,
  gif, webp), an ``s3://`` URL -> an ``s3Location`` source; a document data URI (PDF, CSV, DOC(X),
  XLS(X), HTML, TXT, MD) or a ``file`` block's ``file_data`` -> a ``document`` block named after its
  ``filename`` (or ``document-<n>``); a block carrying ``cache_control`` is followed by a
  ``cachePoint``; blocks already in Converse's shape (no ``type``) pass through untouched;
- OpenAI tools -> ``toolConfig.tools[].toolSpec`` (``inputSchema.json``), a ``cachePoint`` after a tool
  with ``cache_control``; ``tool_choice`` auto/required/named -> ``auto``/``any``/``tool``;
- ``max_tokens`` (or ``max_completion_tokens``), ``temperature``, ``top_p``, ``stop`` ->
  ``inferenceConfig`` (``maxTokens``, ``temperature``, ``topP``, ``stopSequences``);
- ``extra_body``: Converse's own top-level fields (:data:`CONVERSE_FIELDS`: ``guardrailConfig``,
  ``performanceConfig``, ``serviceTier``, ``requestMetadata``, ...) pass through as given; every other
  key is a model-specific parameter and goes into ``additionalModelRequestFields`` (e.g. Anthropic's
  ``thinking``, ``top_k``), merged with one given there directly.

What Converse cannot take (``n > 1``, ``seed``, non-zero penalties, ``logprobs``/``top_logprobs``,
``response_format`` other than text, ``reasoning_effort`` (send the model's own field through
``extra_body``), ``tool_choice="none"``, ``parallel_tool_calls=False``) raises ``UnsupportedParamsError``
naming every one, unless the caller asked to drop them: then they are returned so the adapter can warn.

The model id goes in the path, percent-encoded whole (:func:`converse_path`), so cross-region inference
profile ids (``us.anthropic...``), versions (``...-v1:0``) and ARNs (``arn:aws:bedrock:...:
inference-profile/...``) all arrive as one path segment.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import quote

from modelwire.request._translate import (
    Context,
    call_arguments,
    check_unsupported,
    choice_function_name,
    data_uri,
    max_tokens,
    stop_sequences,
    thinking_dict,
    tool_call_id,
    tool_function,
    unsupported_sampling,
)
from modelwire.types import ChatCompletionRequest

__all__ = ["CONVERSE_FIELDS", "bedrock_converse_body", "converse_path"]

CONVERSE_FIELDS: Final = frozenset(
    {
        "additionalModelRequestFields",
        "additionalModelResponseFieldPaths",
        "guardrailConfig",
        "inferenceConfig",
        "outputConfig",
        "performanceConfig",
        "promptVariables",
        "requestMetadata",
        "serviceTier",
        "toolConfig",
    }
)
"""Top-level Converse fields an ``extra_body`` key is passed through as (everything else is a model
parameter for ``additionalModelRequestFields``)."""
_IMAGE_FORMATS: Final = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif",
                         "image/webp": "webp"}  # fmt: skip
_DOCUMENT_FORMATS: Final = {
    "application/pdf": "pdf",
    "text/csv": "csv",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html",
    "text/plain": "txt",
    "text/markdown": "md",
}
_CHOICES: Final[dict[str, dict[str, Any]]] = {
    "auto": {"auto": {}},
    "required": {"any": {}},
    "any": {"any": {}},
}
_NAME_UNSAFE: Final = re.compile(r"[^A-Za-z0-9\s\-()\[\]]")


def _cache_point() -> dict[str, Any]:
    return {"cachePoint": {"type": "default"}}


def converse_path(model: str, *, stream: bool = False) -> str:
    """``/model/{modelId}/converse`` (or ``/converse-stream``) with the id percent-encoded as one segment."""
    return f"/model/{quote(model, safe='')}/{'converse-stream' if stream else 'converse'}"


class _Context(Context):
    """Who is asking, for the errors raised while translating; counts documents for their names."""

    __slots__ = ("documents",)

    def __init__(self, provider: str, model: str) -> None:
        super().__init__(provider, model)
        self.documents = 0


def bedrock_converse_body(
    request: ChatCompletionRequest, *, provider: str = "bedrock", drop_params: bool = False
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The whole Converse body for ``request`` (``extra_body`` included, see the module's docstring) and
    the names of the parameters dropped because ``drop_params`` was set."""
    ctx = _Context(provider, request.model)
    unsupported: list[str] = []
    system, messages = _messages(request.messages, ctx)
    body: dict[str, Any] = {"messages": messages}
    if system:
        body["system"] = system
    inference = _inference(request, ctx)
    if inference:
        body["inferenceConfig"] = inference
    tools = _tool_config(request, unsupported, ctx)
    if tools:
        body["toolConfig"] = tools
    _unsupported(request, unsupported)
    _extra(request.extra_body, body, ctx)
    return body, check_unsupported("Bedrock Converse", unsupported, drop_params=drop_params, ctx=ctx)


def _inference(request: ChatCompletionRequest, ctx: _Context) -> dict[str, Any]:
    config: dict[str, Any] = {}
    tokens = max_tokens(request, ctx)
    if tokens is not None:
        config["maxTokens"] = tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    stop = stop_sequences(request)
    if stop:
        config["stopSequences"] = stop
    return config


def _unsupported(request: ChatCompletionRequest, unsupported: list[str]) -> None:
    unsupported_sampling(request, unsupported)
    fmt = request.response_format
    if fmt is not None and fmt.get("type") != "text":
        unsupported.append(f"response_format={fmt.get('type')}")
    if request.reasoning_effort is not None:
        unsupported.append(f"reasoning_effort={request.reasoning_effort}")


def _extra(extra: dict[str, Any] | None, body: dict[str, Any], ctx: _Context) -> None:
    if not extra:
        return
    model_fields: dict[str, Any] = {}
    for key, value in extra.items():
        if key == "additionalModelRequestFields":
            if not isinstance(value, dict):
                raise ctx.invalid("extra_body.additionalModelRequestFields must be an object")
            model_fields.update(value)
        elif key in CONVERSE_FIELDS:
            body[key] = value
        else:
            model_fields[key] = value
    if model_fields:
        body["additionalModelRequestFields"] = model_fields


# --- tools ------------------------------------------------------------------------------------------------


def _tool_config(request: ChatCompletionRequest, unsupported: list[str], ctx: _Context) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if request.tools:
        tools: list[Any] = []
        for i, tool in enumerate(request.tools):
            tools.append(_tool(tool, i, ctx))
            if isinstance(tool, dict) and "cache_control" in tool:
                tools.append(_cache_point())
        config["tools"] = tools
    choice = request.tool_choice
    if choice == "none":
        unsupported.append("tool_choice=none")
    elif isinstance(choice, str):
        if choice not in _CHOICES:
            raise ctx.invalid(f"tool_choice {choice!r} is not auto, none, required or a named function")
        config["toolChoice"] = _CHOICES[choice]
    elif isinstance(choice, dict):
        config["toolChoice"] = _named_choice(choice, ctx)
    if request.parallel_tool_calls is False and request.tools:
        unsupported.append("parallel_tool_calls=False")
    if "toolChoice" in config and "tools" not in config:
        raise ctx.invalid("tool_choice was given without tools")
    return config


def _tool(tool: Any, index: int, ctx: _Context) -> Any:
    function = tool_function(tool, index, ctx)
    if function is None:
        return tool  # already Converse's shape: a toolSpec, a systemTool or a cachePoint
    spec: dict[str, Any] = {"name": function["name"]}
    if function.get("description"):
        spec["description"] = function["description"]
    spec["inputSchema"] = {"json": function.get("parameters") or {"type": "object", "properties": {}}}
    return {"toolSpec": spec}


def _named_choice(choice: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    if choice.get("type") == "function":
        return {"tool": {"name": choice_function_name(choice, ctx)}}
    if len(choice) == 1 and next(iter(choice)) in ("auto", "any", "tool"):
        return dict(choice)  # already Converse's shape
    raise ctx.invalid(f"tool_choice of type {choice.get('type')!r} is not understood")


# --- messages -------------------------------------------------------------------------------------------


def _messages(messages: list[dict[str, Any]], ctx: _Context) -> tuple[list[Any], list[dict[str, Any]]]:
    system: list[Any] = []
    out: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ctx.invalid(f"messages[{i}] is not an object")
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(_system(message.get("content"), ctx, i))
            continue
        if role == "tool":
            role, blocks = "user", [_tool_result(message, i, ctx)]
        elif role == "user":
            blocks = _content(message.get("content"), ctx, i)
        elif role == "assistant":
            blocks = _assistant(message, ctx, i)
        else:
            raise ctx.invalid(
                f"messages[{i}] has role {role!r}; Converse takes system, user, assistant, tool"
            )
        if not blocks:
            continue  # an empty turn (a refusal, say): Converse rejects it
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)  # Converse requires the roles to alternate
        else:
            out.append({"role": role, "content": blocks})
    return system, out


def _system(content: Any, ctx: _Context, index: int) -> list[Any]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if isinstance(content, list):
        return [block for part in content for block in _block(part, ctx, index)]
    raise ctx.invalid(f"messages[{index}] (system) must hold a string or a list of text blocks")


def _content(content: Any, ctx: _Context, index: int) -> list[Any]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if isinstance(content, list):
        return [block for part in content for block in _block(part, ctx, index)]
    raise ctx.invalid(f"messages[{index}].content must be a string or a list of blocks")


def _block(block: Any, ctx: _Context, index: int) -> list[Any]:
    """One canonical content block as Converse blocks (a cachePoint follows one marked for caching)."""
    if isinstance(block, str):
        return [{"text": block}]
    if not isinstance(block, dict):
        raise ctx.invalid(f"messages[{index}] holds a {type(block).__name__} block, not an object")
    kind = block.get("type")
    if kind is None:
        return [block]  # already Converse's shape
    if kind == "text":
        converted = {"text": block.get("text") or ""}
    elif kind == "image_url":
        ref = block.get("image_url")
        converted = _media(ref.get("url") if isinstance(ref, dict) else ref, None, ctx, index)
    elif kind == "file" and isinstance(block.get("file"), dict):
        file = block["file"]
        if not isinstance(file.get("file_data"), str):
            raise ctx.invalid(f"messages[{index}]: Converse takes files as file_data (a base64 data URI)")
        converted = _media(file["file_data"], file.get("filename"), ctx, index)
    else:
        raise ctx.invalid(f"messages[{index}] has a block of type {kind!r}, which Converse cannot take")
    return [converted, _cache_point()] if "cache_control" in block else [converted]


def _media(url: Any, filename: Any, ctx: _Context, index: int) -> dict[str, Any]:
    if not isinstance(url, str) or not url:
        raise ctx.invalid(f"messages[{index}] has an image_url block without a url")
    if url.startswith("s3://"):
        return {"image": {"format": _s3_format(url, ctx, index), "source": {"s3Location": {"uri": url}}}}
    if not url.startswith("data:"):
        raise ctx.invalid(
            f"messages[{index}]: Converse takes images as base64 data URIs or s3:// URIs, not URLs"
        )
    mime, data = data_uri(url, ctx, index)
    mime = mime.lower()
    if mime in _IMAGE_FORMATS:
        return {"image": {"format": _IMAGE_FORMATS[mime], "source": {"bytes": data}}}
    if mime in _DOCUMENT_FORMATS:
        ctx.documents += 1
        name = _NAME_UNSAFE.sub("-", filename.rsplit(".", 1)[0]) if isinstance(filename, str) else ""
        source = {"bytes": data}
        return {
            "document": {
                "format": _DOCUMENT_FORMATS[mime],
                "name": name or f"document-{ctx.documents}",
                "source": source,
            }
        }
    raise ctx.invalid(f"messages[{index}]: Converse cannot take media of type {mime or 'unknown'!r}")


def _s3_format(url: str, ctx: _Context, index: int) -> str:
    extension = url.rsplit(".", 1)[-1].lower()
    formats = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp"}
    if extension not in formats:
        raise ctx.invalid(f"messages[{index}]: the image format of {url!r} is not png, jpeg, gif or webp")
    return formats[extension]


def _tool_result(message: dict[str, Any], index: int, ctx: _Context) -> dict[str, Any]:
    call_id = tool_call_id(message, index, ctx)
    content = message.get("content")
    blocks = _content(content, ctx, index) if content not in (None, "") else [{"text": ""}]
    result: dict[str, Any] = {"toolUseId": call_id, "content": blocks}
    if message.get("is_error") is True:
        result["status"] = "error"
    return {"toolResult": result}


def _assistant(message: dict[str, Any], ctx: _Context, index: int) -> list[Any]:
    blocks: list[Any] = [_reasoning(block, ctx, index) for block in message.get("thinking_blocks") or ()]
    blocks.extend(_content(message.get("content"), ctx, index))
    blocks.extend(_tool_use(call, ctx, index, j) for j, call in enumerate(message.get("tool_calls") or ()))
    return blocks


def _reasoning(given: Any, ctx: _Context, index: int) -> dict[str, Any]:
    block = thinking_dict(given, ctx, index)
    if "reasoningContent" in block:
        return block  # already Converse's shape
    if block.get("type") == "redacted_thinking" or block.get("redacted_data") is not None:
        return {"reasoningContent": {"redactedContent": block.get("redacted_data") or block.get("data")}}
    text: dict[str, Any] = {"text": block.get("thinking") or ""}
    if block.get("signature") is not None:
        text["signature"] = block["signature"]
    return {"reasoningContent": {"reasoningText": text}}


def _tool_use(call: Any, ctx: _Context, index: int, position: int) -> dict[str, Any]:
    where = f"messages[{index}].tool_calls[{position}]"
    name, arguments = call_arguments(call, ctx, where)
    call_id = call.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise ctx.invalid(f"{where} ({name}) has no id")
    return {"toolUse": {"toolUseId": call_id, "name": name, "input": arguments}}
