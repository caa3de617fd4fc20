"""Bedrock Converse responses to canonical types: the Rust parser when it has one, else the twin.

Rules: docs/parsing-rules-bedrock.md. An extension built before the Rust port existed lacks
``parse_bedrock_converse``; the twin serves then.
"""

from __future__ import annotations

from typing import Final, Protocol

from modelwire._backend import core
from modelwire.parsing.pure.bedrock import parse_bedrock_converse as _pure_parse
from modelwire.types import ChatCompletionResponse

__all__ = ["parse_bedrock_converse"]


class _Parser(Protocol):
    def __call__(self, body: bytes, provider: str = "bedrock") -> ChatCompletionResponse: ...


parse_bedrock_converse: Final[_Parser] = getattr(core, "parse_bedrock_converse", None) or _pure_parse
