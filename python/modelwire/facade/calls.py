"""One high-level call, ready to be attempted on any model of the chain.

A call keeps what the caller asked for; each attempt builds the canonical request for its model (the
model id the provider knows, the timeout the attempt has left). Keyword parameters that name a field of
the request set it; any other keyword is merged into ``extra_body`` (and wins over the same key there),
so provider-specific parameters pass through without a wrapper.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from modelwire._constants import DEFAULT_STRUCTURED_RETRIES
from modelwire.exceptions import ModelRefusalError
from modelwire.facade.structured import Structured, structured_call
from modelwire.types import (
    AssistantMessage,
    ChatCompletionRequest,
    ChatCompletionResponse,
    EmbeddingRequest,
    ImageGenerationRequest,
)
from modelwire.types.chat import REFUSAL_FINISH_REASONS

if TYPE_CHECKING:
    from modelwire.policy import AttemptContext

__all__ = [
    "REFUSAL_FINISH_REASONS",
    "REQUEST_FIELDS",
    "Call",
    "chat_call",
    "embedding_call",
    "image_call",
    "refusal_error",
]

# The shortest per-request timeout handed to the transport: a deadline that has all but passed.
_MIN_TIMEOUT: Final = 0.001


def _fields(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


_CHAT: Final = _fields(ChatCompletionRequest) - {"model", "messages"}
_EMBEDDING: Final = _fields(EmbeddingRequest) - {"model", "inputs"}
_IMAGE: Final = _fields(ImageGenerationRequest) - {"model", "prompt"}
# The request fields of each operation, by the name the facade's method goes by.
REQUEST_FIELDS: Final = {"complete()": _CHAT, "embed()": _EMBEDDING, "generate_image()": _IMAGE}


class Call:
    """The request of one call, minus the model; ``request(model_id, ctx)`` builds one attempt's.
    ``extras`` names the keywords that were not request fields (they went to ``extra_body``)."""

    __slots__ = ("cls", "extras", "fields", "structured", "timeout", "tokens")

    def __init__(self, cls: type, fields: dict[str, Any], tokens: int, extras: tuple[str, ...] = ()) -> None:
        self.cls = cls
        self.timeout: float | None = fields.pop("timeout", None)
        self.fields = fields
        self.tokens = tokens
        self.extras = extras
        # Set when response_format is a type: it shapes each attempt's request and parses the answer.
        self.structured: Structured | None = None

    def request(self, model_id: str, ctx: AttemptContext) -> Any:
        fields = self.fields if self.structured is None else self.structured.fields(self.fields, ctx)
        return self.cls(model=model_id, timeout=self._timeout(ctx), **fields)

    def _timeout(self, ctx: AttemptContext) -> float | None:
        """The caller's timeout, shortened to what the chain has left. When the chain leaves the model its
        own timeout, None keeps the adapter's (which bounds connecting more tightly)."""
        bound = ctx.timeout if ctx.deadline is not None else None
        if bound is not None and bound == ctx.spec.timeout:
            bound = None
        wanted = self.timeout
        if wanted is None:
            wanted = bound
        elif bound is not None:
            wanted = min(wanted, bound)
        return None if wanted is None else max(wanted, _MIN_TIMEOUT)


def _split(
    known: frozenset[str], params: Mapping[str, Any], what: str
) -> tuple[dict[str, Any], tuple[str, ...]]:
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in params.items():
        if name in known:
            fields[name] = value
        elif name in ("model", "messages", "inputs", "prompt"):
            raise TypeError(f"{name} is not a parameter of {what}: the client's chain chooses the model")
        else:
            extra[name] = value
    if extra:
        given = fields.get("extra_body")
        fields["extra_body"] = {**given, **extra} if given else extra
    return fields, tuple(extra)


def _messages(messages: str | Iterable[Any]) -> list[dict[str, Any]]:
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, dict):
            out.append(message)
        elif isinstance(message, AssistantMessage):
            out.append(message.to_message())
        else:
            raise TypeError(
                f"a message must be a dict (or an AssistantMessage), not {type(message).__name__}"
            )
    if not out:
        raise ValueError("messages is empty: a chat completion needs at least one message")
    return out


def _estimate_tokens(messages: list[dict[str, Any]], fields: Mapping[str, Any]) -> int:
    """A cheap upper-leaning guess for a tokens/min budget (settled with the real count afterwards):
    four characters a token of message text, plus the output allowed."""
    chars = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(str(part.get("text", ""))) for part in content if isinstance(part, dict))
    output = fields.get("max_completion_tokens") or fields.get("max_tokens") or 0
    return chars // 4 + 1 + int(output)


def chat_call(
    messages: str | Iterable[Any],
    params: Mapping[str, Any],
    *,
    count_tokens: bool,
    structured_retries: int = DEFAULT_STRUCTURED_RETRIES,
) -> Call:
    params = dict(params)
    retries = params.pop("structured_retries", structured_retries)
    fields, extras = _split(_CHAT, params, "complete()")
    structured = structured_call(fields, retries)
    fields["messages"] = _messages(messages)
    tokens = _estimate_tokens(fields["messages"], fields) if count_tokens else 0
    call = Call(ChatCompletionRequest, fields, tokens, extras)
    call.structured = structured
    return call


def embedding_call(inputs: str | Iterable[str], params: Mapping[str, Any], *, count_tokens: bool) -> Call:
    fields, extras = _split(_EMBEDDING, params, "embed()")
    items = [inputs] if isinstance(inputs, str) else list(inputs)
    if not items or not all(isinstance(item, str) for item in items):
        raise TypeError("inputs must be a string or a non-empty list of strings")
    fields["inputs"] = items
    tokens = sum(len(item) for item in items) // 4 + 1 if count_tokens else 0
    return Call(EmbeddingRequest, fields, tokens, extras)


def image_call(prompt: str, params: Mapping[str, Any], *, count_tokens: bool) -> Call:
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a string, not {type(prompt).__name__}")
    fields, extras = _split(_IMAGE, params, "generate_image()")
    fields["prompt"] = prompt
    return Call(ImageGenerationRequest, fields, len(prompt) // 4 + 1 if count_tokens else 0, extras)


def refusal_error(response: ChatCompletionResponse, model: str) -> ModelRefusalError | None:
    """A ``ModelRefusalError`` carrying ``response`` (and its ``finish_reason``) when the model refused or
    was stopped by a content filter instead of answering."""
    message = response.message
    finish = response.finish_reason
    refused = finish in REFUSAL_FINISH_REASONS or (
        message.refusal is not None and not message.content and not message.tool_calls
    )
    if not refused:
        return None
    text = message.refusal or message.content or "no explanation given"
    why = "was stopped by a content filter" if finish == "content_filter" else "refused"
    return ModelRefusalError(
        f"{model} {why} (finish_reason={finish!r}): {text}",
        response=response,
        finish_reason=finish,
        provider=response.provider,
        model=model,
    )
