"""The chain's own hooks on each answer, with LMI's semantics: ``tool_parser`` rewrites every choice's
message, then ``response_validator`` accepts or rejects the answer.

A validator that raises turns the attempt into a ``ResponseValidationError`` (an invalid response: retried
on the same model, then the chain moves on; recorded in the attempt records). A tool parser is called with
the choice's text when its first parameter is annotated ``str``, else with the ``ChatCompletionChoice``,
plus the call's ``tools``; it returns the ``AssistantMessage`` that replaces the choice's message.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from modelwire.exceptions import ResponseValidationError
from modelwire.types import AssistantMessage, ChatCompletionResponse

__all__ = ["apply_tool_parser", "avalidate", "rejected", "validate"]


def _wants_text(parser: Callable[..., Any]) -> bool:
    try:
        first = next(iter(inspect.signature(parser).parameters.values()))
    except (StopIteration, TypeError, ValueError):
        return False
    return first.annotation in (str, "str")


def apply_tool_parser(
    parser: Callable[..., Any], response: ChatCompletionResponse, tools: list[dict[str, Any]] | None
) -> None:
    text = _wants_text(parser)
    for choice in response.choices:
        parsed = parser(choice.message.content or "" if text else choice, tools)
        if not isinstance(parsed, AssistantMessage):
            raise TypeError(
                f"tool_parser {parser!r} returned {type(parsed).__name__}: it must return a "
                "modelwire.AssistantMessage (content and tool_calls) for each choice"
            )
        choice.message = parsed


def rejected(
    validator: Callable[..., Any], response: ChatCompletionResponse, model: str, exc: Exception
) -> ResponseValidationError:
    error = ResponseValidationError(
        f"response_validator {getattr(validator, '__name__', validator)!r} rejected the answer of {model}: "
        f"{type(exc).__name__}: {exc}",
        response=response,
        provider=response.provider,
        model=model,
    )
    error.__cause__ = exc
    return error


def validate(validator: Callable[..., Any], response: ChatCompletionResponse, model: str) -> None:
    """Run a synchronous validator (the sync client cannot await one)."""
    try:
        outcome = validator(response)
    except Exception as exc:
        raise rejected(validator, response, model, exc) from exc
    if inspect.isawaitable(outcome):
        close = getattr(outcome, "close", None)
        if close is not None:
            close()
        raise TypeError("response_validator is a coroutine function: use AsyncClient, or a plain function")


async def avalidate(validator: Callable[..., Any], response: ChatCompletionResponse, model: str) -> None:
    """Run a validator, awaiting it when it is async."""
    try:
        outcome = validator(response)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception as exc:
        raise rejected(validator, response, model, exc) from exc
