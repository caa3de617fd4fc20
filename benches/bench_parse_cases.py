"""The bodies the parsing benchmarks run on: recorded chat completions and Anthropic messages, and
synthetic embeddings.

Shared by ``report.py`` (the side-by-side table) and ``bench_parse.py`` (pytest-benchmark).
"""

from __future__ import annotations

import base64
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from corpus_files import load  # noqa: E402

EMBEDDING_SHAPE = (2048, 1536)
TOOLS_FILE = "otel-contrib__test_async_chat_completion_tool_calls_no_content__i0.json"
ANTHROPIC = {
    "text": "ldp__TestCachedTokenCosts.test_anthropic_incremental_cache_with_conversation__i3.json",
    "tool_use": "openinference__TestToolCallsInChatResponse.test_anthropic__i0.json",
    "thinking": "pydantic-ai__test_thinking_with_native_tool_wire_contract_anthropic___i0.json",
}


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "chat", "anthropic" or "embeddings"
    body: bytes
    note: str


def _four_tool_calls(body: bytes) -> bytes:
    """The recorded two-call completion with its calls repeated: the reference table's 4-call case."""
    data = orjson.loads(body)
    calls = data["choices"][0]["message"]["tool_calls"]
    extra = [dict(call, id=call["id"] + "x") for call in calls]
    data["choices"][0]["message"]["tool_calls"] = calls + extra
    return orjson.dumps(data, option=orjson.OPT_INDENT_2)


def _embeddings(encoding: str) -> bytes:
    """2048 x 1536 float32 values written the way OpenAI writes them (shortest float32 digits), or
    as base64 of little-endian float32; 64 distinct rows cycled (parsing cost does not depend on it)."""
    rows, dims = EMBEDDING_SHAPE
    rng = np.random.default_rng(7)
    pool = (rng.standard_normal((64, dims)) * 0.03).astype(np.float32)
    if encoding == "float":
        texts = [b"[" + ",".join(np.char.mod("%.9g", row)).encode() + b"]" for row in pool]
    else:
        texts = [b'"' + base64.b64encode(row.astype("<f4").tobytes()) + b'"' for row in pool]
    items = b",".join(
        b'{"object":"embedding","index":%d,"embedding":%s}' % (i, texts[i % len(texts)]) for i in range(rows)
    )
    usage = b'"usage":{"prompt_tokens":16384,"total_tokens":16384}'
    return b'{"object":"list","data":[' + items + b'],"model":"text-embedding-3-small",' + usage + b"}"


def cases() -> list[Case]:
    tools = load(f"openai/chat_completions/{TOOLS_FILE}")
    found = [
        Case("chat: text", "chat", load("openai/chat_completions/vercel-ai__openai-text.json").body,
             "OpenAI gpt-4o text answer with usage details"),
        Case("chat: 2 tool calls", "chat", tools.body, "OpenAI, pretty-printed as sent"),
        Case("chat: 4 tool calls", "chat", _four_tool_calls(tools.body), "the same with its calls repeated"),
        Case("chat: large", "chat",
             load("groq/chat_completions/pydantic-ai__test_groq_web_search_tool_domain_filters__i0.json").body,
             "Groq with web-search results"),
        Case("anthropic: text", "anthropic", load(f"anthropic/messages/{ANTHROPIC['text']}").body,
             "Claude Haiku text answer with cache usage, as sent"),
        Case("anthropic: tool_use", "anthropic", load(f"anthropic/messages/{ANTHROPIC['tool_use']}").body,
             "Claude text + one tool_use block, as sent"),
        Case("anthropic: thinking", "anthropic", load(f"anthropic/messages/{ANTHROPIC['thinking']}").body,
             "thinking block, server web search and cited text blocks (keys sorted by pydantic-ai)"),
    ]  # fmt: skip
    if not os.environ.get("MODELWIRE_BENCH_SKIP_EMBEDDINGS"):
        found.append(Case("embeddings: float", "embeddings", _embeddings("float"), "2048 x 1536 synthetic"))
        found.append(Case("embeddings: base64", "embeddings", _embeddings("base64"), "2048 x 1536 synthetic"))
    return found
