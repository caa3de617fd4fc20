"""Chat completion results: tool calls, assistant messages, choices, the response."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any, Final, Literal

import orjson

from modelwire.exceptions import ToolArgumentsError
from modelwire.types._record import Record
from modelwire.types.cost import Cost
from modelwire.types.images import ImagePayload
from modelwire.types.usage import Usage

__all__ = [
    "FINISH_REASONS",
    "GENERATED_ID_PREFIX",
    "REFUSAL_FINISH_REASONS",
    "AssistantMessage",
    "ChatCompletionChoice",
    "ChatCompletionResponse",
    "FinishReason",
    "ReasoningItem",
    "ThinkingBlock",
    "ToolCall",
    "new_tool_call_id",
]

FinishReason = Literal[
    "stop", "length", "context_window_exceeded", "tool_calls", "content_filter", "refusal", "pause", "error",
    "other",
]  # fmt: skip
"""Why generation ended, normalised across providers; the provider's own value is kept beside it.

``"length"`` means the output hit ``max_tokens`` (raise it); ``"context_window_exceeded"`` means the
prompt and output together filled the model's context window (shorten the prompt).
"""

# Finish reasons that mean the model declined: LMI counts "content_filter" (a provider's safety stop) as a
# refusal too, so that the chain moves on to a model that may answer.
REFUSAL_FINISH_REASONS: Final = frozenset({"refusal", "content_filter"})
FINISH_REASONS: Final[tuple[FinishReason, ...]] = (
    "stop", "length", "context_window_exceeded", "tool_calls", "content_filter", "refusal", "pause", "error",
    "other",
)  # fmt: skip

GENERATED_ID_PREFIX: Final = "call_mw_"
"""Tool-call ids that modelwire made up (the provider sent none) start with this."""

_UNSET: Any = object()  # "not computed yet" for lazily derived fields


def _new_id_source() -> None:
    # 64 random bits drawn once per process (and again in a forked child, which must not repeat its
    # parent's ids) and a counter: as unique as 96 bits drawn per id, without a getrandom() system call
    # per tool call, which cost more than parsing a Gemini function call (benches/README.md).
    global _id_prefix, _id_counter
    _id_prefix = GENERATED_ID_PREFIX + os.urandom(8).hex()
    _id_counter = itertools.count()


_id_prefix: str
_id_counter: Iterator[int]
_new_id_source()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_id_source)


def new_tool_call_id() -> str:
    """A unique id for a tool call the provider sent without one: a per-process random part, a counter."""
    return f"{_id_prefix}{next(_id_counter):08x}"


class ToolCall(Record):
    """One function call requested by the model.

    ``arguments_json`` is exactly the string the provider sent. ``arguments`` is its parsed form, built on
    first access (or handed over already parsed by the Rust parser); invalid JSON, or JSON that is not an
    object, raises :class:`~modelwire.ToolArgumentsError` there, never a silent ``{}``. An empty or
    all-whitespace string is how providers encode "no arguments" and parses to ``{}``.
    """

    __slots__ = ("id", "name", "arguments_json", "_arguments")
    _fields = ("id", "name", "arguments_json")

    def __init__(self, id: str, name: str, arguments_json: str, arguments: Any = _UNSET) -> None:
        self.id = id
        self.name = name
        self.arguments_json = arguments_json
        self._arguments = arguments

    @property
    def arguments(self) -> dict[str, Any]:
        if self._arguments is _UNSET:
            self._arguments = self._parse_arguments()
        return self._arguments  # type: ignore[no-any-return]

    def _parse_arguments(self) -> dict[str, Any]:
        text = self.arguments_json
        if not text.strip():
            return {}
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ToolArgumentsError(
                f"arguments of tool call {self.name!r} are not valid JSON: {exc.msg}",
                tool_name=self.name,
                call_id=self.id,
                offset=exc.pos,
                snippet=text,
            ) from None
        if not isinstance(value, dict):
            raise ToolArgumentsError(
                f"arguments of tool call {self.name!r} are a JSON {_json_type(value)}, not an object",
                tool_name=self.name,
                call_id=self.id,
                snippet=text,
            )
        return value

    def to_dict(self) -> dict[str, Any]:
        """The OpenAI wire shape of this call, for sending it back in a conversation."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_json},
        }


class ThinkingBlock(Record):
    """A reasoning block that must be sent back verbatim in later turns (Anthropic, Bedrock, Gemini).

    A visible block has ``thinking`` text and usually a ``signature``; a redacted block has only the
    provider's encrypted ``redacted_data``.
    """

    __slots__ = ("thinking", "signature", "redacted_data")
    _fields = __slots__

    def __init__(
        self,
        thinking: str | None = None,
        signature: str | None = None,
        redacted_data: str | None = None,
    ) -> None:
        self.thinking = thinking
        self.signature = signature
        self.redacted_data = redacted_data

    @property
    def redacted(self) -> bool:
        return self.redacted_data is not None


class ReasoningItem(Record):
    """A reasoning item of the OpenAI Responses API, kept so a later turn can send it back.

    ``summary`` and ``content`` are the texts of its ``summary_text`` and ``reasoning_text`` parts, in
    order; ``encrypted_content`` is the opaque reasoning a stateless (``store: false``) conversation must
    return with the next request. Its visible text is also part of ``AssistantMessage.reasoning_content``.
    """

    __slots__ = ("id", "summary", "content", "encrypted_content")
    _fields = __slots__

    def __init__(
        self,
        id: str | None = None,
        summary: list[str] | None = None,
        content: list[str] | None = None,
        encrypted_content: str | None = None,
    ) -> None:
        self.id = id
        self.summary = [] if summary is None else summary
        self.content = [] if content is None else content
        self.encrypted_content = encrypted_content


class AssistantMessage(Record):
    """What the model said: text, reasoning, a refusal, tool calls and images."""

    __slots__ = (
        "content",
        "reasoning_content",
        "tool_calls",
        "images",
        "refusal",
        "thinking_blocks",
        "reasoning_items",
    )
    _fields = __slots__

    def __init__(
        self,
        content: str | None = None,
        reasoning_content: str | None = None,
        tool_calls: list[ToolCall] | None = None,
        images: list[ImagePayload] | None = None,
        refusal: str | None = None,
        thinking_blocks: list[ThinkingBlock] | None = None,
        reasoning_items: list[ReasoningItem] | None = None,
    ) -> None:
        self.content = content
        self.reasoning_content = reasoning_content
        self.tool_calls = [] if tool_calls is None else tool_calls
        self.images = [] if images is None else images
        self.refusal = refusal
        self.thinking_blocks = [] if thinking_blocks is None else thinking_blocks
        self.reasoning_items = [] if reasoning_items is None else reasoning_items

    def to_message(self) -> dict[str, Any]:
        """This message as a chat-history entry (OpenAI shape) to send back in the next request.

        Thinking blocks ride along under ``thinking_blocks`` so adapters whose provider needs them
        (Anthropic, Bedrock) can send them back with their signatures, and Responses API reasoning items
        under ``reasoning_items``; other adapters drop those keys.
        """
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.refusal is not None:
            message["refusal"] = self.refusal
        if self.thinking_blocks:
            message["thinking_blocks"] = [block.to_dict() for block in self.thinking_blocks]
        if self.reasoning_items:
            message["reasoning_items"] = [item.to_dict() for item in self.reasoning_items]
        return message


class ChatCompletionChoice(Record):
    """One generated alternative. ``finish_reason`` is normalised; ``native_finish_reason`` is as sent.

    ``index`` may be left out (``ChatCompletionChoice(message=m)``, as Data Designer builds one): it is 0.
    """

    __slots__ = ("index", "message", "finish_reason", "native_finish_reason", "logprobs")
    _fields = __slots__

    def __init__(
        self,
        index: int | None = None,
        message: AssistantMessage | None = None,
        finish_reason: FinishReason | None = None,
        native_finish_reason: str | None = None,
        logprobs: Any = None,
    ) -> None:
        if not isinstance(message, AssistantMessage):
            # ChatCompletionChoice(msg) would otherwise make the message the index.
            raise TypeError(
                f"ChatCompletionChoice needs message=AssistantMessage(...), got {type(message).__name__}"
            )
        if index is not None and type(index) is not int:
            raise TypeError(f"ChatCompletionChoice index must be an int, got {type(index).__name__}")
        self.index = 0 if index is None else index
        self.message = message
        self.finish_reason = finish_reason
        self.native_finish_reason = native_finish_reason
        self.logprobs = logprobs


class ChatCompletionResponse(Record):
    """A chat completion from any provider.

    ``body`` keeps the response bytes as received; ``raw`` (the provider's JSON as Python objects) is
    decoded from them only when someone asks, so parsing never pays for it. ``skipped`` lists the paths
    of optional fields the parser could not read and left out (docs/parsing-rules.md, section 2).

    Every argument is a keyword. ``message=`` builds a one-choice response around that message (Data
    Designer's constructor); given with ``choices``, it must be the first choice's message.
    """

    __slots__ = (
        "id",
        "model",
        "created",
        "choices",
        "usage",
        "provider",
        "system_fingerprint",
        "service_tier",
        "skipped",
        "body",
        "_raw",
        "_parsed",
        "cost",
    )
    _fields = (
        "id",
        "model",
        "created",
        "choices",
        "usage",
        "provider",
        "system_fingerprint",
        "service_tier",
        "skipped",
        "cost",
    )

    def __init__(
        self,
        *,
        id: str | None = None,
        model: str | None = None,
        created: int | None = None,
        choices: list[ChatCompletionChoice] | None = None,
        usage: Usage | None = None,
        provider: str | None = None,
        system_fingerprint: str | None = None,
        service_tier: str | None = None,
        skipped: list[str] | None = None,
        body: bytes = b"",
        raw: Any = _UNSET,
        message: AssistantMessage | None = None,
        cost: Cost | None = None,
    ) -> None:
        if message is not None:
            if not isinstance(message, AssistantMessage):
                raise TypeError(f"message must be an AssistantMessage, got {type(message).__name__}")
            if not choices:
                choices = [ChatCompletionChoice(0, message)]
            elif choices[0].message != message:
                raise ValueError("message= differs from the first choice's message; give one or the other")
        self.id = id
        self.model = model
        self.created = created
        self.choices = [] if choices is None else choices
        self.usage = usage
        self.provider = provider
        self.system_fingerprint = system_fingerprint
        self.service_tier = service_tier
        self.skipped = [] if skipped is None else skipped
        self.body = body
        self._raw = raw
        self._parsed: Any = None
        self.cost = cost  # priced by the client after parsing (docs/cost.md); None: no known price

    @property
    def message(self) -> AssistantMessage:
        """The first choice's message (an empty message when the provider returned no choice)."""
        return self.choices[0].message if self.choices else AssistantMessage()

    @property
    def messages(self) -> list[AssistantMessage]:
        """Every choice's message, in order (Data Designer's ``messages``)."""
        return [choice.message for choice in self.choices]

    @property
    def finish_reason(self) -> FinishReason | None:
        return self.choices[0].finish_reason if self.choices else None

    @property
    def parsed(self) -> Any:
        """The validated instance of a structured call (``response_format=<type>``); ``None`` otherwise,
        and when the model called a tool instead of answering. Set by the client, kept out of equality."""
        return self._parsed

    @parsed.setter
    def parsed(self, value: Any) -> None:
        self._parsed = value

    @property
    def raw(self) -> Any:
        if self._raw is _UNSET:
            self._raw = orjson.loads(self.body) if self.body else None
        return self._raw


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else type(value).__name__
