"""A canonical (OpenAI Chat Completions shaped) request as an OpenAI Responses API body (``POST /responses``).

What is translated, and how (tests/test_request_responses.py checks the exact JSON of each rule):

- ``system``/``developer`` messages are lifted into ``instructions`` (their texts in order, joined with a
  blank line); ``user`` messages become ``message`` input items whose text and image blocks become
  ``input_text`` / ``input_image`` parts (``file`` blocks -> ``input_file``); a plain string stays a string;
- an ``assistant`` message becomes, in order: its ``reasoning_items`` sent back (``reasoning`` items with
  their id, summary, raw reasoning text and ``encrypted_content``), its text as an assistant ``message``
  item, and one ``function_call`` item per tool call; ``tool`` messages become ``function_call_output``
  items; an assistant message with none of those (a refusal) sends nothing;
- Chat Completions function tools ``{type, function: {name, description, parameters, strict}}`` are
  flattened to ``{type: "function", name, description, parameters, strict}``; other tools (``web_search``,
  tools already in the Responses shape) pass through; ``tool_choice`` of a named function ->
  ``{type: "function", name}``; ``parallel_tool_calls``, ``temperature``, ``top_p`` are sent as they are;
- ``max_tokens`` / ``max_completion_tokens`` -> ``max_output_tokens``; ``response_format`` -> ``text.format``
  (json_schema flattened, json_object, text); ``reasoning_effort`` -> ``reasoning.effort`` and
  ``reasoning_summary`` -> ``reasoning.summary``;
- ``store`` is sent as ``false`` unless the caller asks to store the response; a stateless exchange that
  reasons (a reasoning setting, or reasoning items in the history) also asks for
  ``include: ["reasoning.encrypted_content"]``, so the next turn can send the reasoning back.

What the Responses API cannot take (``n > 1``, ``stop``, ``seed``, non-zero penalties, ``logprobs`` /
``top_logprobs``, an unknown ``response_format``) raises ``UnsupportedParamsError`` naming every one, unless
the caller asked to drop them: then they are returned so the adapter can warn. Values with no effect
(``n=1``, penalties of 0, ``logprobs=False``) are accepted.
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.request._translate import (
    Context,
    check_unsupported,
    choice_function_name,
    json_schema,
    max_tokens,
    tool_call_id,
    tool_function,
    unsupported_sampling,
)
from modelwire.types import ChatCompletionRequest, ReasoningItem

__all__ = ["ENCRYPTED_REASONING", "responses_body_fields", "responses_input"]

ENCRYPTED_REASONING: Final = "reasoning.encrypted_content"
_CHOICES: Final = frozenset({"auto", "none", "required"})
_NATIVE_BLOCKS: Final = frozenset({"input_text", "input_image", "input_file", "input_audio"})


def responses_body_fields(
    request: ChatCompletionRequest,
    *,
    provider: str,
    drop_params: bool,
    stream: bool = False,
    store: bool = False,
    reasoning_summary: str | None = None,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The body fields for ``request`` (everything but ``extra_body``, which the caller merges last) and
    the names of the parameters dropped because ``drop_params`` was set."""
    ctx = Context(provider, request.model)
    unsupported: list[str] = []
    instructions, items = _input(request.messages, ctx)
    fields: dict[str, Any] = {"model": request.model}
    if instructions is not None:
        fields["instructions"] = instructions
    fields["input"] = items
    if request.tools:
        fields["tools"] = [_tool(tool, i, ctx) for i, tool in enumerate(request.tools)]
    if request.tool_choice is not None:
        fields["tool_choice"] = _tool_choice(request.tool_choice, ctx)
    for name in ("parallel_tool_calls", "temperature", "top_p"):
        if (value := getattr(request, name)) is not None:
            fields[name] = value
    limit = max_tokens(request, ctx)
    if limit is not None:
        fields["max_output_tokens"] = limit
    text_format = _text_format(request.response_format, unsupported, ctx)
    if text_format is not None:
        fields["text"] = {"format": text_format}
    reasoning: dict[str, Any] = {}
    if request.reasoning_effort is not None:
        reasoning["effort"] = request.reasoning_effort
    if reasoning_summary is not None:
        reasoning["summary"] = reasoning_summary
    if reasoning:
        fields["reasoning"] = reasoning
    fields["store"] = store
    if not store and (reasoning or any(item.get("type") == "reasoning" for item in items)):
        fields["include"] = [ENCRYPTED_REASONING]
    if stream:
        fields["stream"] = True
    unsupported_sampling(request, unsupported, stop=True)
    dropped = check_unsupported("the OpenAI Responses API", unsupported, drop_params=drop_params, ctx=ctx)
    return fields, dropped


def _text_format(fmt: dict[str, Any] | None, unsupported: list[str], ctx: Context) -> dict[str, Any] | None:
    if fmt is None:
        return None
    kind = fmt.get("type")
    if kind in ("text", "json_object"):
        return {"type": kind}
    if kind != "json_schema":
        unsupported.append(f"response_format of type {kind}")
        return None
    schema = json_schema(fmt, ctx)
    spec: dict[str, Any] = fmt["json_schema"]
    out: dict[str, Any] = {"type": "json_schema", "name": spec.get("name") or "response", "schema": schema}
    for key in ("description", "strict"):
        if spec.get(key) is not None:
            out[key] = spec[key]
    return out


def _tool(tool: Any, index: int, ctx: Context) -> Any:
    function = tool_function(tool, index, ctx)
    if function is None:
        return tool  # already the Responses shape, or a built-in tool (web_search, file_search, ...)
    out: dict[str, Any] = {"type": "function", "name": function["name"]}
    if function.get("description"):
        out["description"] = function["description"]
    out["parameters"] = function.get("parameters") or {"type": "object", "properties": {}}
    if function.get("strict") is not None:
        out["strict"] = function["strict"]
    return out


def _tool_choice(choice: str | dict[str, Any], ctx: Context) -> str | dict[str, Any]:
    if isinstance(choice, str):
        if choice not in _CHOICES:
            raise ctx.invalid(f"tool_choice {choice!r} is not auto, none, required or a named function")
        return choice
    if choice.get("type") == "function" and isinstance(choice.get("function"), dict):
        return {"type": "function", "name": choice_function_name(choice, ctx)}
    return dict(choice)  # already the Responses shape ({"type": "function", "name": ...}, allowed_tools, ...)


# --- input items ---------------------------------------------------------------------------------------


def responses_input(
    messages: list[dict[str, Any]], *, provider: str = "openai", model: str = ""
) -> tuple[str | None, list[dict[str, Any]]]:
    """``(instructions, input items)`` for ``messages`` (no ``instructions`` without a system message)."""
    return _input(messages, Context(provider, model))


def _input(messages: list[dict[str, Any]], ctx: Context) -> tuple[str | None, list[dict[str, Any]]]:
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ctx.invalid(f"messages[{i}] is not an object")
        role = message.get("role")
        if role in ("system", "developer"):
            instructions.append(_instruction(message.get("content"), ctx, i))
        elif role == "user":
            items.append(
                {"type": "message", "role": "user", "content": _content(message.get("content"), ctx, i)}
            )
        elif role == "assistant":
            items.extend(_assistant(message, ctx, i))
        elif role == "tool":
            items.append(_tool_output(message, ctx, i))
        elif message.get("type") is not None:
            items.append(message)  # already a Responses input item: the provider's to judge
        else:
            raise ctx.invalid(f"messages[{i}] has role {role!r}, which the Responses API has no item for")
    return ("\n\n".join(instructions) if instructions else None), items


def _instruction(content: Any, ctx: Context, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [block if isinstance(block, str) else block.get("text") for block in content if block]
        if all(isinstance(text, str) for text in texts):
            return "".join(texts)
    raise ctx.invalid(f"messages[{index}] (system) must hold a string or a list of text blocks")


def _content(content: Any, ctx: Context, index: int) -> Any:
    if content is None:
        return ""
    if isinstance(content, list):
        return [_block(block, ctx, index) for block in content]
    return content


def _block(block: Any, ctx: Context, index: int) -> dict[str, Any]:
    if isinstance(block, str):
        return {"type": "input_text", "text": block}
    if not isinstance(block, dict):
        raise ctx.invalid(f"messages[{index}] holds a content block that is not an object")
    kind = block.get("type")
    if kind == "text":
        return {"type": "input_text", "text": block.get("text") or ""}
    if kind == "image_url":
        ref = block.get("image_url")
        url = ref.get("url") if isinstance(ref, dict) else ref
        detail = (ref.get("detail") if isinstance(ref, dict) else None) or "auto"
        if not isinstance(url, str) or not url:
            raise ctx.invalid(f"messages[{index}] has an image_url block without a url")
        return {"type": "input_image", "image_url": url, "detail": detail}
    if kind == "image" and isinstance(block.get("source"), dict):  # Data Designer's canonical image block
        return {
            "type": "input_image",
            "image_url": _source_url(block["source"], ctx, index),
            "detail": "auto",
        }
    if kind == "file" and isinstance(block.get("file"), dict):
        file = block["file"]
        out: dict[str, Any] = {"type": "input_file"}
        for key in ("file_id", "file_data", "filename"):
            if isinstance(file.get(key), str):
                out[key] = file[key]
        if len(out) == 1 or ("file_id" not in out and "file_data" not in out):
            raise ctx.invalid(f"messages[{index}] has a file block with neither file_data nor file_id")
        return out
    if kind in _NATIVE_BLOCKS:
        return block
    raise ctx.invalid(f"messages[{index}] has a content block of type {kind!r} the Responses API cannot take")


def _source_url(source: dict[str, Any], ctx: Context, index: int) -> str:
    kind, data, mime = source.get("type"), source.get("data"), source.get("media_type")
    if kind == "url" and isinstance(source.get("url"), str):
        return str(source["url"])
    if kind == "base64" and isinstance(data, str) and isinstance(mime, str):
        return f"data:{mime};base64,{data}"
    raise ctx.invalid(f"messages[{index}] has an image block whose source is neither a url nor base64 data")


def _assistant(message: dict[str, Any], ctx: Context, index: int) -> list[dict[str, Any]]:
    items = [_reasoning(item, ctx, index) for item in message.get("reasoning_items") or ()]
    content = message.get("content")
    if isinstance(content, list):
        texts = [_block(block, ctx, index) for block in content]
        content = "".join(block.get("text") or "" for block in texts if block["type"] == "input_text")
    if content:
        items.append({"type": "message", "role": "assistant", "content": content})
    for position, call in enumerate(message.get("tool_calls") or ()):
        items.append(_function_call(call, ctx, f"messages[{index}].tool_calls[{position}]"))
    return items


def _reasoning(item: Any, ctx: Context, index: int) -> dict[str, Any]:
    if isinstance(item, ReasoningItem):
        item = item.to_dict()
    if not isinstance(item, dict):
        raise ctx.invalid(f"messages[{index}].reasoning_items holds a {type(item).__name__}, not an object")
    if item.get("type") == "reasoning":
        return item  # already the Responses shape
    out: dict[str, Any] = {"type": "reasoning"}
    if item.get("id") is not None:
        out["id"] = item["id"]
    out["summary"] = [{"type": "summary_text", "text": text} for text in item.get("summary") or ()]
    if item.get("content"):
        out["content"] = [{"type": "reasoning_text", "text": text} for text in item["content"]]
    if item.get("encrypted_content") is not None:
        out["encrypted_content"] = item["encrypted_content"]
    return out


def _function_call(call: Any, ctx: Context, where: str) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ctx.invalid(f"{where} needs function.name")
    call_id = call.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise ctx.invalid(f"{where} ({function['name']}) has no id")
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        raise ctx.invalid(f"{where} ({function['name']}): arguments must be a JSON string")
    return {
        "type": "function_call",
        "call_id": call_id,
        "name": function["name"],
        "arguments": arguments or "{}",
    }


def _tool_output(message: dict[str, Any], ctx: Context, index: int) -> dict[str, Any]:
    call_id = tool_call_id(message, index, ctx)
    content = message.get("content")
    output = [_block(block, ctx, index) for block in content] if isinstance(content, list) else content or ""
    return {"type": "function_call_output", "call_id": call_id, "output": output}
