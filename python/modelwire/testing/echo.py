"""Deterministic answers derived from a request: texts, tool arguments, token counts, vectors, images.

The rules (tests and other engineers rely on them):
- the answer text is ``"echo: " + <text of the last user message>``; after tool results it is
  ``"tool result: " + <their texts joined by " | ">``;
- a tool call's arguments hold the schema's required properties with values by type: string
  ``"echo-<name>"`` (first ``enum`` value or ``const`` when given), integer 1, number 1.5, boolean true,
  null null, array one sample item, object its own required properties; ``anyOf``/``oneOf``/``allOf`` take
  the first branch, ``$ref`` to ``#/$defs``/``#/definitions`` is followed;
- token counts are whitespace word counts (``len(text.split())``) of the message texts (prompt) and of the
  answer text plus tool-call argument JSON (completion);
- an embedding is the L2-normalised vector of little-endian uint32s from ``shake_256(input)`` mapped to
  [-1, 1), rounded to float32; the float form prints 9 significant digits (it reads back to the same
  float32s as the base64 form decodes to);
- an image is an 8x8 RGB PNG whose colours come from the sha256 of the prompt and the image index (a
  chat request with ``"image"`` in ``modalities`` also gets one, as a data URI in ``message.images``);
- ids (``chatcmpl-``, ``call_``, ``msg_``, ``toolu_``) are digests of the request body without its
  ``stream``/``stream_options``, so a streamed and a plain request get the same ids; ``created`` is fixed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CREATED",
    "Reply",
    "digest",
    "embedding",
    "embedding_text",
    "float32_base64",
    "fragments",
    "items",
    "pieces",
    "plan_reply",
    "png",
    "sample_value",
    "text_of",
    "tool_arguments",
    "truncate",
    "words",
]

CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z: a fixed "created" keeps answers byte-identical


def digest(*parts: str | bytes, size: int = 24) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:size]


def items(value: Any) -> list[Any]:
    """``value`` when it is a list, else no items: malformed fields are ignored, never a crash."""
    return value if isinstance(value, list) else []


def words(text: str) -> int:
    return len(text.split())


def text_of(content: Any) -> str:
    """The text of a message ``content``: a string, or the texts of its blocks joined by spaces (text
    blocks, and the content of Anthropic ``tool_result`` blocks)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict):
            if isinstance(block.get("text"), str):
                texts.append(block["text"])
            elif block.get("type") == "tool_result":
                texts.append(text_of(block.get("content")))
    return " ".join(t for t in texts if t)


_PIECE = re.compile(r"(?<=\s)(?=\S)")


def pieces(text: str) -> list[str]:
    """``text`` cut before each word that follows whitespace; the pieces join back to ``text``."""
    return [p for p in _PIECE.split(text) if p] or [text]


def fragments(text: str, size: int = 8) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def truncate(text: str, max_tokens: int | None, stops: list[str]) -> tuple[str, str | None, str | None]:
    """(text, why it ended early or None, the stop sequence that matched): a stop sequence cuts the text
    just before it ("stop"); more than ``max_tokens`` words keeps the first ``max_tokens`` ("length")."""
    cut = min(((text.find(s), s) for s in stops if s and s in text), default=None)
    if cut is not None:
        return text[: cut[0]], "stop", cut[1]
    if max_tokens is not None and max_tokens >= 0 and words(text) > max_tokens:
        kept = pieces(text)[:max_tokens]
        return "".join(kept).rstrip(), "length", None
    return text, None, None


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def sample_value(schema: Any, name: str, root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A deterministic value that satisfies the common JSON Schema keywords of ``schema``."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            usable = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
            return sample_value((usable or branches)[0], name, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "string":
        return f"echo-{name}"
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        items = schema.get("items")
        return [sample_value(items, name, root, depth + 1)] if isinstance(items, dict) else []
    if kind == "object":
        return _sample_object(schema, root, depth)
    return None


def _sample_object(schema: dict[str, Any], root: dict[str, Any], depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    required = schema.get("required")
    required = required if isinstance(required, list) else []
    return {str(key): sample_value(properties.get(key, {}), str(key), root, depth + 1) for key in required}


def tool_arguments(schema: Any) -> dict[str, Any]:
    """The arguments of an echo tool call for a tool whose parameters are ``schema``."""
    if not isinstance(schema, dict):
        return {}
    return _sample_object(_resolve(schema, schema), schema, 0)


def embedding(data: str | bytes, dimensions: int) -> list[float]:
    raw = hashlib.shake_256(data.encode() if isinstance(data, str) else data).digest(4 * dimensions)
    values = [u / 2147483648.0 - 1.0 for u in struct.unpack(f"<{dimensions}I", raw)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    packed = struct.pack(f"<{dimensions}f", *(v / norm for v in values))
    return list(struct.unpack(f"<{dimensions}f", packed))


def float32_base64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


@functools.lru_cache(maxsize=256)
def embedding_text(data: str | bytes, dimensions: int, encoding: str) -> str:
    """The JSON text of an embedding as the API sends it: a base64 string of little-endian float32s, or a
    list of floats with 9 significant digits (enough to read back the same float32, as OpenAI's are).
    Cached: formatting floats is the costly part of an embeddings answer and inputs repeat in benchmarks."""
    vector = embedding(data, dimensions)
    if encoding == "base64":
        return '"' + float32_base64(vector) + '"'
    return "[" + ",".join(["%.9g"] * dimensions) % tuple(vector) + "]"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(seed: str) -> bytes:
    """An 8x8 RGB PNG, a two-colour checkerboard whose colours come from ``seed``."""
    h = hashlib.sha256(seed.encode()).digest()
    a, b = h[0:3], h[3:6]
    rows = b"".join(b"\x00" + b"".join(a if (x + y) % 2 == 0 else b for x in range(8)) for y in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """What the echo model answers. ``ended`` is None (natural end), "stop" (a stop sequence matched),
    "length" (``max_tokens`` reached) or "tool" (a tool call)."""

    text: str
    tool_name: str | None
    tool_arguments: str | None
    ended: str | None
    stop_sequence: str | None
    completion_tokens: int


def plan_reply(
    *,
    user_text: str | None,
    tool_results: list[str] | None,
    tool: tuple[str, Any] | None,
    max_tokens: int | None,
    stops: list[str],
    structured: Any = None,
) -> Reply:
    """The answer to a conversation, from the last message: tool results are quoted; a user turn with a
    tool on offer calls it; anything else echoes the last user text. ``structured`` is a JSON schema the
    text must follow (it becomes the schema's sample value)."""
    if tool_results is None and tool is not None:
        arguments = json.dumps(tool_arguments(tool[1]), separators=(",", ":"))
        return Reply("", tool[0], arguments, "tool", None, max(1, words(arguments)))
    if tool_results is not None:
        text = "tool result: " + " | ".join(tool_results)
    else:
        text = "echo: " + (user_text or "")
    if structured is not None:
        text = json.dumps(sample_value(structured, "value") if structured != {} else {"echo": text})
    text, ended, stop_sequence = truncate(text, max_tokens, stops)
    return Reply(text, None, None, ended, stop_sequence, words(text))
