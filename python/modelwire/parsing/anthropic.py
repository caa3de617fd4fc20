"""Anthropic Messages responses to canonical types: the Rust parser when it has one, else the twin.

Rules: docs/parsing-rules-anthropic.md. An extension built before the Rust port existed lacks
``parse_anthropic_message``; the twin serves then.
"""

from __future__ import annotations

from typing import Final, Protocol

from modelwire._backend import core
from modelwire.parsing.pure.anthropic import parse_anthropic_message as _pure_parse
from modelwire.types import ChatCompletionResponse

__all__ = ["parse_anthropic_message"]


class _Parser(Protocol):
    def __call__(self, body: bytes, provider: str = "anthropic") -> ChatCompletionResponse: ...


parse_anthropic_message: Final[_Parser] = getattr(core, "parse_anthropic_message", None) or _pure_parse
