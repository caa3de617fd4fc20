"""Structured outputs: ``complete(..., response_format=Model)`` with a type instead of a schema dict.

``Model`` is a pydantic model class or anything pydantic's ``TypeAdapter`` takes (``list[Model]``, a
TypedDict, a dataclass, ...). Per attempt, the model's provider gets its native strict mode:

- OpenAI chat, OpenAI-compatible servers, Azure, the Responses API: ``response_format`` json_schema
  ``strict: true`` (the Responses translator makes it ``text.format``);
- Anthropic, a model with structured outputs: ``output_config.format`` json_schema;
- Anthropic, an older model (Claude 3.x, Sonnet 4, Opus 4), and Bedrock Converse: forced tool use, a tool
  named ``final_result`` whose input is the object;
- Gemini, Vertex: ``responseMimeType`` application/json + ``responseJsonSchema`` (Gemini's subset).

A root that is not an object (``list[Model]``, ``int``, a union) is wrapped as ``{"result": <value>}``
(strict modes and tools need an object) and unwrapped when parsed. In tool mode with tools of the
caller's own, the call sends ``tool_choice="required"`` instead of forcing ``final_result``: the model may
call one of the caller's tools, and ``parsed`` is then ``None``.

The answer (the text, or ``final_result``'s arguments) is validated into ``response.parsed``. Invalid
JSON, or JSON that fails validation, raises :class:`~modelwire.StructuredOutputError` (an invalid
response: the policy retries it on the same model) and the next attempt on that model re-asks: the failed
answer and a message naming the validation errors are appended to the conversation (a tool result in tool
mode). ``structured_retries`` (a client option or a per-call keyword; default
``DEFAULT_STRUCTURED_RETRIES``) bounds the re-asks per model; past it the chain moves on. Re-asks are
attempts of the model, so its ``max_retries`` bounds them too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

from modelwire.exceptions import StructuredOutputError
from modelwire.request.schema import anthropic_schema, gemini_schema, strict_schema
from modelwire.types.chat import REFUSAL_FINISH_REASONS
from modelwire.types.stream import TextDelta, ToolCallDelta, ToolCallStart

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

    from modelwire.config import ModelSpec
    from modelwire.policy import AttemptContext
    from modelwire.types import AssistantMessage, ChatCompletionResponse

__all__ = [
    "STRUCTURED_TOOL",
    "OutputType",
    "PartialReader",
    "Structured",
    "checked_retries",
    "mode_for",
    "output_type",
    "structured_call",
]

STRUCTURED_TOOL: Final = "final_result"
_WRAP_KEY: Final = "result"
_SHOWN_ERRORS: Final = 8

Mode = Literal["openai", "anthropic", "gemini", "tool"]

# Claude models that have native structured outputs: 4.5 and later, and Opus 4.1.
_CLAUDE: Final = re.compile(r"claude-(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?!\d)")


def _anthropic_native(model_id: str) -> bool:
    """Whether a Claude model takes ``output_config.format``: Opus 4.1, any 4.5 or later. Claude 3.x ids
    (``claude-3-7-sonnet-...``) and Sonnet/Opus 4 (``claude-sonnet-4-20250514``) do not; an id this rule
    does not recognise is taken to be a newer model."""
    if model_id.startswith("claude-3") or "claude-instant" in model_id or "claude-2" in model_id:
        return False
    match = _CLAUDE.search(model_id)
    if match is None:
        return True
    family, major, minor = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    return (major, minor) >= (4, 5) or (family == "opus" and (major, minor) >= (4, 1))


def mode_for(spec: ModelSpec) -> Mode:
    """How ``spec``'s provider is asked for structured output (see the module docstring)."""
    from modelwire.config.catalog import lookup_provider  # the config package loads pydantic: not at import

    info = lookup_provider(spec.provider_name)
    adapter = info.adapter if info is not None else "openai"
    if adapter == "anthropic":
        return "anthropic" if _anthropic_native(spec.model_id) else "tool"
    if adapter == "bedrock":
        return "tool"
    if adapter in ("gemini", "vertex"):
        return "gemini"
    return "openai"


def _name(target: Any) -> str:
    name = getattr(target, "__name__", None) or "response"
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(name))[:64] or "response"


class OutputType:
    """A type the answer must validate into: its schemas per dialect, validation, partial parsing."""

    __slots__ = ("_adapter", "_schemas", "name", "schema", "target", "wrapped")

    def __init__(self, target: Any) -> None:
        from pydantic import TypeAdapter, create_model
        from pydantic.errors import PydanticUserError

        self.target = target
        self.name = _name(target)
        try:
            adapter: TypeAdapter[Any] = TypeAdapter(target)
            schema = adapter.json_schema()
        except (PydanticUserError, TypeError) as exc:
            raise TypeError(
                f"response_format={target!r} is neither a JSON schema dict nor a type pydantic can "
                f"validate (a BaseModel class, list[Model], a TypedDict, ...): {exc}"
            ) from exc
        self.wrapped = strict_schema(schema).get("type") != "object"
        if self.wrapped:
            fields: dict[str, Any] = {_WRAP_KEY: (target, ...)}
            wrapper = create_model(self.name, **fields)
            adapter = TypeAdapter(wrapper)
            schema = adapter.json_schema()
        self._adapter = adapter
        self.schema = schema  # pydantic's own schema (wrapped when needed), before any dialect's rules
        self._schemas: dict[str, dict[str, Any]] = {}

    def schema_for(self, mode: Mode) -> dict[str, Any]:
        """The schema sent in ``mode`` (cached: a call's attempts send the same one)."""
        schema = self._schemas.get(mode)
        if schema is None:
            make = {"anthropic": anthropic_schema, "gemini": gemini_schema}.get(mode, strict_schema)
            schema = self._schemas[mode] = make(self.schema)
        return schema

    def validate(self, text: str) -> Any:
        """The instance ``text`` holds; raises pydantic's ``ValidationError`` (invalid JSON included)."""
        value = self._adapter.validate_json(text)
        return getattr(value, _WRAP_KEY) if self.wrapped else value

    def partial(self, text: str) -> Any:
        """The JSON value ``text`` holds so far (unfinished strings kept), unwrapped; ``None`` before any."""
        from pydantic_core import from_json

        try:
            value = from_json(text, allow_partial="trailing-strings")
        except ValueError:
            return None
        if self.wrapped:
            return value.get(_WRAP_KEY) if isinstance(value, dict) else None
        return value


def _as_answer(response: ChatCompletionResponse, call: Any, text: str) -> None:
    """Tool mode: the first choice reads as a plain answer, as in the native modes (the JSON as its
    content, the ``final_result`` call gone, finish reason ``stop`` when no other call is left)."""
    choice = response.choices[0]
    message = choice.message
    message.content = text
    message.tool_calls = [c for c in message.tool_calls if c is not call]
    if not message.tool_calls and choice.finish_reason == "tool_calls":
        choice.finish_reason = "stop"


def _summary(error: ValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = error.errors(include_url=False, include_input=False, include_context=False)
    lines = [
        f"{'.'.join(str(part) for part in e['loc']) or '(root)'}: {e['msg']}" for e in errors[:_SHOWN_ERRORS]
    ]
    if len(errors) > _SHOWN_ERRORS:
        lines.append(f"... and {len(errors) - _SHOWN_ERRORS} more")
    return "; ".join(lines), [dict(e) for e in errors]


class Structured:
    """One structured call's state: the type, the re-asks owed per model, the failures counted."""

    __slots__ = ("_failures", "_modes", "_reask", "output", "retries")

    def __init__(self, output: OutputType, retries: int) -> None:
        self.output = output
        self.retries = retries
        self._modes: dict[int, Mode] = {}
        self._failures: dict[int, int] = {}
        self._reask: dict[int, list[dict[str, Any]]] = {}

    def mode(self, ctx: AttemptContext) -> Mode:
        mode = self._modes.get(ctx.model_index)
        if mode is None:
            mode = self._modes[ctx.model_index] = mode_for(ctx.spec)
        return mode

    # -- the request -----------------------------------------------------------------------------------

    def fields(self, fields: dict[str, Any], ctx: AttemptContext) -> dict[str, Any]:
        """``fields`` with this attempt's structured-output request (and its re-ask, if one is owed)."""
        mode = self.mode(ctx)
        out = dict(fields)
        schema = self.output.schema_for(mode)
        if mode == "tool":
            own = list(fields.get("tools") or ())
            tool = {
                "type": "function",
                "function": {
                    "name": STRUCTURED_TOOL,
                    "description": f"Give the final answer: a {self.output.name} object.",
                    "parameters": schema,
                },
            }
            out["tools"] = [*own, tool]
            out["tool_choice"] = (
                "required" if own else {"type": "function", "function": {"name": STRUCTURED_TOOL}}
            )
        else:
            out["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": self.output.name, "schema": schema, "strict": True},
            }
        reask = self._reask.get(ctx.model_index)
        if reask:
            out["messages"] = [*fields["messages"], *reask]
        return out

    # -- the answer ------------------------------------------------------------------------------------

    def answer_text(self, message: AssistantMessage, mode: Mode) -> tuple[str | None, Any]:
        """The JSON text to validate and the tool call it came in (tool mode), or ``(None, None)`` when
        the model called a tool of the caller's or refused instead of answering."""
        calls = message.tool_calls or []
        if mode == "tool":
            for call in calls:
                if call.name == STRUCTURED_TOOL:
                    return call.arguments_json, call
        if calls or (message.refusal and not message.content):
            return None, None
        return message.content or "", None

    def parse(self, response: ChatCompletionResponse, ctx: AttemptContext) -> None:
        """Set ``response.parsed``, or raise ``StructuredOutputError`` (and owe the model a re-ask)."""
        from pydantic import ValidationError

        if response.finish_reason in REFUSAL_FINISH_REASONS:
            return  # a refusal returned as such (on_refusal="return"): nothing to validate
        mode = self.mode(ctx)
        text, call = self.answer_text(response.message, mode)
        if text is None:
            return
        try:
            response.parsed = self.output.validate(text)
        except ValidationError as exc:
            raise self._failed(response, ctx, text, call, exc) from exc
        if call is not None and response.choices:
            _as_answer(response, call, text)

    def _failed(
        self,
        response: ChatCompletionResponse,
        ctx: AttemptContext,
        text: str,
        call: Any,
        exc: ValidationError,
    ) -> StructuredOutputError:
        index = ctx.model_index
        failures = self._failures[index] = self._failures.get(index, 0) + 1
        summary, errors = _summary(exc)
        if response.finish_reason == "length":
            summary += " (the answer was cut off at max_tokens: raise it)"
        what = "arguments of the final_result tool call" if call is not None else "answer"
        retry = failures <= self.retries
        error = StructuredOutputError(
            f"the {what} of {ctx.spec.name} is not a valid {self.output.name}: {summary}",
            text=text,
            errors=errors,
            response=response,
            provider=response.provider,
            model=ctx.spec.name,
            # Past structured_retries re-asks, the chain moves on instead of asking this model again.
            should_retry=None if retry else False,
        )
        self._reask[index] = self._reask_messages(text, call, summary)
        return error

    def _reask_messages(self, text: str, call: Any, summary: str) -> list[dict[str, Any]]:
        fix = f"The answer did not match the required JSON schema: {summary}."
        if call is None:
            return [
                {"role": "assistant", "content": text},
                {"role": "user", "content": f"{fix} Answer again, with only JSON that matches the schema."},
            ]
        tool_call = {
            "id": call.id,
            "type": "function",
            "function": {"name": STRUCTURED_TOOL, "arguments": text},
        }
        return [
            {"role": "assistant", "content": None, "tool_calls": [tool_call]},
            {
                "role": "tool",
                "tool_call_id": call.id,
                "is_error": True,
                "content": f"{fix} Call {STRUCTURED_TOOL} again with arguments that match its schema.",
            },
        ]


class PartialReader:
    """Folds a stream's events into the partial value of its structured answer (``Stream.partials()``):
    ``feed(event)`` returns the value when the event grew it into a new one, else ``None``. It reads the
    first choice's text, or in tool mode the arguments of the ``final_result`` call."""

    __slots__ = ("_mode", "_output", "_text", "_tool_index", "_last")

    def __init__(self, structured: Structured, ctx: AttemptContext) -> None:
        self._output = structured.output
        self._mode = structured.mode(ctx)
        self._text = ""
        self._tool_index: int | None = None
        self._last: Any = None

    def feed(self, event: object) -> Any:
        piece = None
        if self._mode == "tool":
            if isinstance(event, ToolCallStart) and event.choice == 0 and event.name == STRUCTURED_TOOL:
                self._tool_index = event.index
            elif isinstance(event, ToolCallDelta) and event.choice == 0 and event.index == self._tool_index:
                piece = event.arguments
        elif isinstance(event, TextDelta) and event.choice == 0:
            piece = event.text
        if not piece:
            return None
        self._text += piece
        value = self._output.partial(self._text)
        if value is None or value == self._last:
            return None
        self._last = value
        return value


@functools.lru_cache(maxsize=128)
def _cached_output_type(target: Any) -> OutputType:
    return OutputType(target)


def output_type(target: Any) -> OutputType:
    """``OutputType(target)``, built once per type: pydantic's schema generation costs milliseconds, and a
    pipeline asks for the same type on every call (an unhashable target is built afresh)."""
    try:
        hash(target)
    except TypeError:
        return OutputType(target)
    return _cached_output_type(target)


def structured_call(fields: dict[str, Any], retries: Any) -> Structured | None:
    """The call's structured-output state when ``response_format`` is a type (taken out of ``fields``);
    ``None`` when it is absent or a dict schema (sent as is, as before)."""
    target = fields.get("response_format")
    if target is None or isinstance(target, Mapping):
        return None
    output = output_type(target)
    del fields["response_format"]
    return Structured(output, checked_retries(retries))


def checked_retries(value: Any) -> int:
    """``structured_retries`` (a client option or a call's keyword), or a ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"structured_retries must be an integer >= 0, got {value!r}")
    return value
