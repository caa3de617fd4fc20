"""What the provider request translators (``anthropic``, ``bedrock``, ``gemini``, ``responses``) share.

Each translator turns a canonical (OpenAI-shaped) ``ChatCompletionRequest`` into one provider's body; the
checks and readings of the canonical request that do not depend on the provider live here once: who is
asking (:class:`Context`, for the errors), ``max_tokens`` / ``max_completion_tokens``, ``stop``, the
sampling parameters no translated API takes, the ``UnsupportedParamsError`` raised for them, OpenAI tools
and named tool choices, tool-call arguments, tool results' ``tool_call_id``, base64 data URIs, json_schema
response formats and thinking blocks. Private to ``modelwire.request``; the messages are pinned by tests.
"""

from __future__ import annotations

from typing import Any

import orjson

from modelwire.exceptions import BadRequestError, UnsupportedParamsError
from modelwire.types import ChatCompletionRequest, ThinkingBlock


class Context:
    """Who is asking, for the errors raised while translating."""

    __slots__ = ("model", "provider")

    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model

    def invalid(self, message: str) -> BadRequestError:
        return BadRequestError(message, provider=self.provider, model=self.model)


def max_tokens(request: ChatCompletionRequest, ctx: Context) -> int | None:
    """``max_completion_tokens`` or ``max_tokens`` (None for neither); both given must agree."""
    given, legacy = request.max_completion_tokens, request.max_tokens
    if given is not None and legacy is not None and given != legacy:
        raise ctx.invalid(f"max_tokens={legacy} and max_completion_tokens={given} disagree; give one")
    return given if given is not None else legacy


def stop_sequences(request: ChatCompletionRequest) -> list[str]:
    """``stop`` as a list (empty when not given)."""
    stop = [request.stop] if isinstance(request.stop, str) else request.stop
    return list(stop) if stop else []


def unsupported_sampling(
    request: ChatCompletionRequest, unsupported: list[str], *, stop: bool = False
) -> None:
    """Append the set parameters with an effect that the API cannot take: ``n > 1``, ``stop`` (when
    ``stop`` says so), ``seed``, non-zero penalties and ``top_logprobs``, ``logprobs``."""
    if request.n not in (None, 1):
        unsupported.append(f"n={request.n}")
    if stop and request.stop:
        unsupported.append("stop")
    if request.seed is not None:
        unsupported.append("seed")
    unsupported.extend(
        name
        for name in ("frequency_penalty", "presence_penalty", "top_logprobs")
        if getattr(request, name) not in (None, 0)
    )
    if request.logprobs:
        unsupported.append("logprobs")


def check_unsupported(
    api: str, unsupported: list[str], *, drop_params: bool, ctx: Context
) -> tuple[str, ...]:
    """The dropped parameters, or ``UnsupportedParamsError`` naming every one unless ``drop_params``."""
    if unsupported and not drop_params:
        raise UnsupportedParamsError(
            f"{api} cannot take {', '.join(unsupported)}; remove "
            f"{'it' if len(unsupported) == 1 else 'them'}, or create the client with drop_params=True "
            "to drop them with a warning",
            params=tuple(name.partition("=")[0].partition(" ")[0] for name in unsupported),
            provider=ctx.provider,
            model=ctx.model,
        )
    return tuple(unsupported)


def tool_function(tool: Any, index: int, ctx: Context) -> dict[str, Any] | None:
    """An OpenAI tool's ``function`` (with a non-empty ``name``), or None for a tool in another shape."""
    if not isinstance(tool, dict):
        raise ctx.invalid(f"tools[{index}] is not an object")
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, dict):
        return None
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise ctx.invalid(f"tools[{index}].function has no name")
    return function


def choice_function_name(choice: dict[str, Any], ctx: Context) -> str:
    """The function name of a ``tool_choice`` of type function."""
    function = choice.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str):
        raise ctx.invalid("tool_choice of type function needs function.name")
    return name


def call_arguments(call: Any, ctx: Context, where: str) -> tuple[str, dict[str, Any]]:
    """``(name, arguments)`` of an assistant tool call, its JSON arguments parsed to an object."""
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise ctx.invalid(f"{where} needs function.name")
    name: str = function["name"]
    arguments = function.get("arguments")
    if isinstance(arguments, str) and arguments.strip():
        try:
            arguments = orjson.loads(arguments)
        except orjson.JSONDecodeError:
            raise ctx.invalid(f"{where} ({name}): arguments are not valid JSON") from None
    elif arguments is None or isinstance(arguments, str):
        arguments = {}
    if not isinstance(arguments, dict):
        raise ctx.invalid(f"{where} ({name}): arguments must be a JSON object")
    return name, arguments


def tool_call_id(message: dict[str, Any], index: int, ctx: Context) -> str:
    """A tool result's non-empty ``tool_call_id``."""
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise ctx.invalid(f"messages[{index}] (a tool result) has no tool_call_id")
    return call_id


def data_uri(url: str, ctx: Context, index: int) -> tuple[str, str]:
    """``(media type, base64 data)`` of a ``data:`` URI, which must be base64 (the type may be empty)."""
    header, comma, data = url.partition(",")
    if not comma or not header.endswith(";base64"):
        raise ctx.invalid(f"messages[{index}]: data URIs must be base64 (data:<media type>;base64,<data>)")
    return header[5:].split(";", 1)[0], data


def json_schema(fmt: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The schema of a ``response_format`` of type json_schema."""
    spec = fmt.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, dict) else None
    if not isinstance(schema, dict):
        raise ctx.invalid("response_format of type json_schema needs json_schema.schema (an object)")
    return schema


def thinking_dict(block: Any, ctx: Context, index: int) -> dict[str, Any]:
    """A thinking block (a ``ThinkingBlock`` or its dict) as a dict."""
    if isinstance(block, ThinkingBlock):
        block = block.to_dict()
    if not isinstance(block, dict):
        raise ctx.invalid(f"messages[{index}].thinking_blocks holds a {type(block).__name__}, not an object")
    return block
