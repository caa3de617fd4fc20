"""Anthropic Messages responses to canonical types: the Rust parser when it has one, else the twin.

Rules: docs/parsing-rules-anthropic.md. Only the pure-Python twin exists so far; once the extension
exports ``parse_anthropic_message`` it is picked up here with no other change.
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
