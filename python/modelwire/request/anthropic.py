"""A canonical (OpenAI-shaped) chat request as an Anthropic Messages API body.

What is translated, and how (the adapter docs and tests hold the same list):

- ``system``/``developer`` messages are lifted into ``system`` (a string for one string message, else a list
  of text blocks in order); ``tool`` messages become ``tool_result`` blocks, consecutive ones in one user
  turn; assistant ``tool_calls`` become ``tool_use`` blocks (arguments parsed to ``input``), preceded by the
  message's ``thinking_blocks`` sent back verbatim with their signatures; an assistant message with no
  content, thinking or tool call at all (a refusal) is not sent, since Anthropic rejects empty turns;
- empty text blocks (``{"type": "text", "text": ""}``, what Data Designer's ``ChatMessage.to_dict()`` sends
  beside tool calls) are dropped from every content list (user, assistant, tool results, system): the
  Messages API rejects them with a 400;
- audio and video blocks (Data Designer's canonical ``audio``/``video`` blocks, ``input_audio``,
  ``audio_url``, ``video_url``, ``input_video``) raise ``UnsupportedCapabilityError`` before anything is
  sent: the Messages API takes neither;
- ``image_url`` content blocks become ``image`` blocks (a base64 data URI -> a base64 source, a PDF data URI
  -> a ``document`` block, any other URL -> a url source); ``file`` blocks with ``file_data`` -> documents;
  blocks already in Anthropic's shape pass through untouched;
- OpenAI tools -> ``{name, description, input_schema}``; ``tool_choice`` auto/none/required/named ->
  auto/none/any/tool; ``parallel_tool_calls=False`` -> ``disable_parallel_tool_use``;
- ``max_tokens`` (or ``max_completion_tokens``) is always sent, defaulting to the model's documented maximum
  output (``MAX_OUTPUT_TOKENS``, as LMI sends it; a smaller default truncates long answers silently), else
  ``ANTHROPIC_DEFAULT_MAX_TOKENS`` for a model not in the table (plus the thinking budget when
  ``extra_body.thinking.budget_tokens`` would not fit under the default);
- ``stop`` -> ``stop_sequences``; ``response_format`` json_schema -> ``output_config.format``;
  ``reasoning_effort`` low..max -> ``output_config.effort``.

What Anthropic cannot take (``n > 1``, ``seed``, non-zero penalties, ``logprobs``/``top_logprobs``, a
``response_format`` other than text/json_schema, another ``reasoning_effort``) raises
``UnsupportedParamsError`` naming every one, unless the caller asked to drop them: then they are returned
so the adapter can warn. Values with no effect (``n=1``, penalties of 0, ``logprobs=False``) are accepted.
"""

from __future__ import annotations

from typing import Any, Final

from modelwire._constants import ANTHROPIC_DEFAULT_MAX_TOKENS
from modelwire.exceptions import UnsupportedCapabilityError
from modelwire.request._translate import (
    Context,
    call_arguments,
    check_unsupported,
    choice_function_name,
    data_uri,
    json_schema,
    max_tokens,
    stop_sequences,
    thinking_dict,
    tool_call_id,
    tool_function,
    unsupported_sampling,
)
from modelwire.types import ChatCompletionRequest

__all__ = [
    "EFFORTS",
    "MAX_OUTPUT_TOKENS",
    "anthropic_body_fields",
    "anthropic_messages",
    "default_max_tokens",
]

EFFORTS: Final = frozenset({"low", "medium", "high", "xhigh", "max"})
_CHOICES: Final = {"auto": "auto", "none": "none", "required": "any", "any": "any"}
_NATIVE_CHOICES: Final = frozenset({"auto", "any", "tool", "none"})
# The maximum output (max_tokens) each Claude family documents, from the "Model comparison" table of
# Anthropic's models overview (docs.anthropic.com/en/docs/about-claude/models/overview), read December 2026.
# Matched as prefixes of the model name, most specific first; a dated or "-latest" name matches its family.
MAX_OUTPUT_TOKENS: Final[tuple[tuple[str, int], ...]] = (
    ("claude-opus-4-7", 128_000),
    ("claude-opus-4-6", 128_000),
    ("claude-sonnet-4-6", 128_000),
    ("claude-opus-4-5", 64_000),
    ("claude-sonnet-4-5", 64_000),
    ("claude-haiku-4-5", 64_000),
    ("claude-opus-4", 32_000),  # Opus 4 and 4.1
    ("claude-sonnet-4", 64_000),
    ("claude-3-7-sonnet", 64_000),  # 128k only with the output-128k beta header
    ("claude-3-5-sonnet", 8_192),
    ("claude-3-5-haiku", 8_192),
    ("claude-3-opus", 4_096),
    ("claude-3-haiku", 4_096),
)
_AUDIO_VIDEO: Final = {"audio": "audio", "audio_url": "audio", "input_audio": "audio", "video": "video",
                       "video_url": "video", "input_video": "video"}  # fmt: skip


def anthropic_body_fields(
    request: ChatCompletionRequest, *, provider: str, drop_params: bool, stream: bool = False
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The body fields for ``request`` (everything but ``extra_body``, which the caller merges last) and
    the names of the parameters dropped because ``drop_params`` was set."""
    ctx = Context(provider, request.model)
    unsupported: list[str] = []
    system, messages = _messages(request.messages, ctx)
    fields: dict[str, Any] = {"model": request.model, "max_tokens": _max_tokens(request, ctx)}
    if system is not None:
        fields["system"] = system
    fields["messages"] = messages
    if request.tools:
        fields["tools"] = [_tool(tool, i, ctx) for i, tool in enumerate(request.tools)]
    choice = _tool_choice(request, ctx)
    if choice is not None:
        fields["tool_choice"] = choice
    if request.temperature is not None:
        fields["temperature"] = request.temperature
    if request.top_p is not None:
        fields["top_p"] = request.top_p
    stop = stop_sequences(request)
    if stop:
        fields["stop_sequences"] = stop
    output_config = _output_config(request, unsupported, ctx)
    if output_config:
        fields["output_config"] = output_config
    unsupported_sampling(request, unsupported)
    if stream:
        fields["stream"] = True
    dropped = check_unsupported("the Anthropic Messages API", unsupported, drop_params=drop_params, ctx=ctx)
    return fields, dropped


def _max_tokens(request: ChatCompletionRequest, ctx: Context) -> int:
    given = max_tokens(request, ctx)
    if given is not None:
        return given
    default = default_max_tokens(request.model)
    thinking = (request.extra_body or {}).get("thinking")
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    if isinstance(budget, int) and budget >= default:
        # max_tokens must exceed the thinking budget; leave the fallback's room for the answer itself.
        return budget + ANTHROPIC_DEFAULT_MAX_TOKENS
    return default


def default_max_tokens(model: str) -> int:
    """The model's documented maximum output (``MAX_OUTPUT_TOKENS``), else ``ANTHROPIC_DEFAULT_MAX_TOKENS``.

    A provider prefix (``anthropic/claude-...``) and Bedrock/Vertex spellings (``anthropic.claude-...``,
    ``claude-...@20250514``) are matched by their ``claude-`` part.
    """
    name = model.lower()
    start = name.find("claude-")
    if start >= 0:
        name = name[start:]
        for prefix, limit in MAX_OUTPUT_TOKENS:
            if name.startswith(prefix):
                return limit
    return ANTHROPIC_DEFAULT_MAX_TOKENS


def _output_config(request: ChatCompletionRequest, unsupported: list[str], ctx: Context) -> dict[str, Any]:
    config: dict[str, Any] = {}
    fmt = request.response_format
    if fmt is not None:
        kind = fmt.get("type")
        if kind == "json_schema":
            config["format"] = {"type": "json_schema", "schema": json_schema(fmt, ctx)}
        elif kind != "text":
            unsupported.append(f"response_format of type {kind}")
    effort = request.reasoning_effort
    if effort is not None:
        if effort in EFFORTS:
            config["effort"] = effort
        else:
            unsupported.append(f"reasoning_effort={effort}")
    return config


def _tool(tool: Any, index: int, ctx: Context) -> Any:
    function = tool_function(tool, index, ctx)
    if function is None:
        return tool  # already Anthropic's shape: a custom tool with input_schema, or a server tool
    out: dict[str, Any] = {"name": function["name"]}
    if function.get("description"):
        out["description"] = function["description"]
    out["input_schema"] = function.get("parameters") or {"type": "object", "properties": {}}
    if function.get("strict") is not None:
        out["strict"] = function["strict"]
    if "cache_control" in tool:
        out["cache_control"] = tool["cache_control"]
    return out


def _tool_choice(request: ChatCompletionRequest, ctx: Context) -> dict[str, Any] | None:
    choice = request.tool_choice
    result: dict[str, Any] | None
    if choice is None:
        result = None
    elif isinstance(choice, str):
        if choice not in _CHOICES:
            raise ctx.invalid(f"tool_choice {choice!r} is not auto, none, required or a named function")
        result = {"type": _CHOICES[choice]}
    elif choice.get("type") == "function":
        result = {"type": "tool", "name": choice_function_name(choice, ctx)}
    elif choice.get("type") in _NATIVE_CHOICES:
        result = dict(choice)
    else:
        raise ctx.invalid(f"tool_choice of type {choice.get('type')!r} is not understood")
    if request.parallel_tool_calls is False and request.tools:
        result = result or {"type": "auto"}
        if result["type"] != "none":  # with no tool use at all there is nothing to run in parallel
            result["disable_parallel_tool_use"] = True
    return result


# --- messages -------------------------------------------------------------------------------------------


def anthropic_messages(
    messages: list[dict[str, Any]], *, provider: str = "anthropic", model: str = ""
) -> tuple[str | list[dict[str, Any]] | None, list[dict[str, Any]]]:
    """``(system, messages)`` in Anthropic's shape (``system`` is None when there was no system message)."""
    return _messages(messages, Context(provider, model))


def _messages(
    messages: list[dict[str, Any]], ctx: Context
) -> tuple[str | list[dict[str, Any]] | None, list[dict[str, Any]]]:
    system: list[tuple[int, Any]] = []
    out: list[dict[str, Any]] = []
    results: list[dict[str, Any]] | None = None  # the open user turn that collects tool results
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ctx.invalid(f"messages[{i}] is not an object")
        role = message.get("role")
        if role in ("system", "developer"):
            system.append((i, message.get("content")))
            continue
        if role == "tool":
            block = _tool_result(message, i, ctx)
            if results is None:
                results = [block]
                out.append({"role": "user", "content": results})
            else:
                results.append(block)
            continue
        results = None
        if role == "user":
            out.append({"role": "user", "content": _content(message.get("content"), ctx, i)})
        elif role == "assistant":
            content = _assistant(message, ctx, i)
            # An assistant turn that said nothing (a refusal, say) has nothing to send, and Anthropic
            # rejects empty turns; the user turns around it are joined by the API.
            if content not in ("", []):
                out.append({"role": "assistant", "content": content})
        else:
            out.append(message)  # not a role we know: the provider's to judge, never dropped
    return _system(system, ctx), out


def _system(parts: list[tuple[int, Any]], ctx: Context) -> str | list[dict[str, Any]] | None:
    if not parts:
        return None
    if len(parts) == 1 and isinstance(parts[0][1], str):
        return parts[0][1]
    blocks: list[dict[str, Any]] = []
    for index, part in parts:
        if isinstance(part, str):
            blocks.append({"type": "text", "text": part})
        elif isinstance(part, list):
            blocks.extend(_blocks(part, ctx, index))
        else:
            raise ctx.invalid(f"messages[{index}] (system) must hold a string or a list of text blocks")
    return blocks


def _tool_result(message: dict[str, Any], index: int, ctx: Context) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_call_id(message, index, ctx)}
    content = message.get("content")
    if content is not None:
        block["content"] = _content(content, ctx, index)
    if message.get("is_error") is True:
        block["is_error"] = True
    return block


def _content(content: Any, ctx: Context, index: int) -> Any:
    if isinstance(content, list):
        return _blocks(content, ctx, index)
    return content


def _blocks(blocks: list[Any], ctx: Context, index: int) -> list[Any]:
    """A content list in Anthropic's shape, without the empty text blocks the API rejects."""
    return [_block(block, ctx, index) for block in blocks if not _empty_text(block)]


def _empty_text(block: Any) -> bool:
    if isinstance(block, str):
        return not block
    return isinstance(block, dict) and block.get("type") == "text" and block.get("text") == ""


def _block(block: Any, ctx: Context, index: int) -> Any:
    if isinstance(block, str):
        return {"type": "text", "text": block}
    if not isinstance(block, dict):
        return block
    kind = block.get("type")
    if kind in _AUDIO_VIDEO:
        raise UnsupportedCapabilityError(
            f"messages[{index}] has a {kind} block; the Anthropic Messages API takes no "
            f"{_AUDIO_VIDEO[kind]} input (send it to a model that does, or transcribe it first)",
            provider=ctx.provider,
            model=ctx.model,
        )
    if kind == "image_url":
        ref = block.get("image_url")
        url = ref.get("url") if isinstance(ref, dict) else ref
        converted = _media(url, ctx, index)
    elif kind == "file" and isinstance(block.get("file"), dict):
        converted = _file(block["file"], ctx, index)
    else:
        return block
    if "cache_control" in block:
        converted["cache_control"] = block["cache_control"]
    return converted


def _media(url: Any, ctx: Context, index: int) -> dict[str, Any]:
    if not isinstance(url, str) or not url:
        raise ctx.invalid(f"messages[{index}] has an image_url block without a url")
    if not url.startswith("data:"):
        return {"type": "image", "source": {"type": "url", "url": url}}
    mime, data = data_uri(url, ctx, index)
    if not mime:
        raise ctx.invalid(f"messages[{index}]: a data URI must name its media type")
    kind = "document" if mime == "application/pdf" else "image"
    return {"type": kind, "source": {"type": "base64", "media_type": mime, "data": data}}


def _file(file: dict[str, Any], ctx: Context, index: int) -> dict[str, Any]:
    if isinstance(file.get("file_data"), str):
        block = _media(file["file_data"], ctx, index)
        return {"type": "document", "source": block["source"]}
    if isinstance(file.get("file_id"), str):
        return {"type": "document", "source": {"type": "file", "file_id": file["file_id"]}}
    raise ctx.invalid(f"messages[{index}] has a file block with neither file_data nor file_id")


def _assistant(message: dict[str, Any], ctx: Context, index: int) -> Any:
    content = message.get("content")
    thinking = message.get("thinking_blocks") or ()
    calls = message.get("tool_calls") or ()
    if not thinking and not calls and content is not None:
        return _content(content, ctx, index)
    blocks: list[Any] = [_thinking(block, ctx, index) for block in thinking]
    if isinstance(content, str):
        if content:
            blocks.append({"type": "text", "text": content})
    elif isinstance(content, list):
        blocks.extend(_blocks(content, ctx, index))
    blocks.extend(_tool_use(call, ctx, index, j) for j, call in enumerate(calls))
    return blocks or ""


def _thinking(given: Any, ctx: Context, index: int) -> dict[str, Any]:
    block = thinking_dict(given, ctx, index)
    if block.get("type") in ("thinking", "redacted_thinking"):
        return block  # already Anthropic's shape (LiteLLM's thinking_blocks)
    if block.get("redacted_data") is not None:
        return {"type": "redacted_thinking", "data": block["redacted_data"]}
    out = {"type": "thinking", "thinking": block.get("thinking") or ""}
    if block.get("signature") is not None:
        out["signature"] = block["signature"]
    return out


def _tool_use(call: Any, ctx: Context, index: int, position: int) -> dict[str, Any]:
    where = f"messages[{index}].tool_calls[{position}]"
    name, arguments = call_arguments(call, ctx, where)
    call_id = call.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise ctx.invalid(f"{where} ({name}) has no id")
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}
