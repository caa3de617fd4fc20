"""``modelwire parse``: read a recorded response and print what modelwire makes of it.

Takes a corpus file (the wrapper whose ``response.body`` holds the provider's bytes) or a raw body,
from a path or standard input; with no path it parses a sample shipped in the package (a DeepSeek chat
completion with reasoning, a tool call and cached tokens).
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from modelwire import ContentPolicyError, ResponseParseError
from modelwire.cli.render import render
from modelwire.parsing import pure

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "parse"
HELP = "parse a recorded provider response (a corpus file or a raw body) and print the canonical result"

_FUNCTIONS = {
    "chat": "parse_chat_completion",
    "embeddings": "parse_embeddings",
    "images": "parse_image_generation",
    "gemini": "parse_gemini_content",
    "gemini-embeddings": "parse_gemini_embeddings",
    "responses": "parse_responses",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", help="a corpus file or a raw response body; '-' reads stdin; "
                        "omitted: the sample shipped with modelwire")  # fmt: skip
    parser.add_argument("--kind", choices=["auto", *_FUNCTIONS], default="auto",
                        help="what the body is (default: guessed from its fields)")  # fmt: skip
    parser.add_argument("--provider", help="provider label (default: from the corpus path, else 'openai')")
    parser.add_argument(
        "--backend", choices=["rust", "python"], help="parser to use (default: the active one)"
    )
    parser.add_argument("--json", action="store_true", help="print the result's fields as JSON")


SAMPLE_PROVIDER = "deepseek"


def _read(path: str | None) -> tuple[bytes, str]:
    """The input bytes and a name for them."""
    if path is None:
        sample = resources.files("modelwire.cli").joinpath("samples", "chat_completion.json")
        return sample.read_bytes(), "the built-in sample"
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    return Path(path).read_bytes(), path


def _unwrap(data: bytes, path: str | None) -> tuple[bytes, str | None]:
    """A corpus wrapper's response body (and provider from its path), or the data itself."""
    try:
        wrapper = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data, None
    response = wrapper.get("response") if type(wrapper) is dict else None
    if type(response) is not dict or type(response.get("body")) is not str:
        return data, None
    provider = None
    if path not in (None, "-"):
        parts = Path(str(path)).parts
        provider = parts[-3] if len(parts) >= 3 else None
    return response["body"].encode(), provider


def _guess_kind(body: bytes) -> str:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "chat"
    if type(data) is not dict or "choices" in data:
        return "chat"
    if {"candidates", "promptFeedback"} & data.keys():
        return "gemini"
    if {"embedding", "embeddings", "predictions"} & data.keys():
        return "gemini-embeddings"
    if type(data.get("output")) is list or data.get("object") == "response":
        return "responses"
    items = data.get("data")
    first = items[0] if type(items) is list and items else None
    if type(first) is dict and "embedding" in first:
        return "embeddings"
    if type(first) is dict and ({"b64_json", "url"} & first.keys()):
        return "images"
    return "chat"


def _implementation(backend: str | None) -> Any:
    from modelwire import _backend

    if backend == "python" or (backend is None and _backend.core is None):
        return pure
    if _backend.core is not None:
        return _backend.core
    from modelwire import _core  # the extension exists but the twin was forced: load it on request

    return _core


def run(args: argparse.Namespace) -> int:
    try:
        data, source = _read(args.path)
    except OSError as exc:
        print(f"modelwire parse: cannot read {args.path}: {exc.strerror}", file=sys.stderr)
        return 2
    body, provider = _unwrap(data, args.path)
    default = SAMPLE_PROVIDER if args.path is None else "openai"
    provider = args.provider or provider or default
    kind = _guess_kind(body) if args.kind == "auto" else args.kind
    try:
        implementation = _implementation(args.backend)
    except ImportError as exc:
        print(f"modelwire parse: the Rust backend is not available ({exc})", file=sys.stderr)
        return 2
    backend = "python" if implementation is pure else "rust"
    try:
        result = getattr(implementation, _FUNCTIONS[kind])(body, provider)
    except ResponseParseError as exc:
        print(f"modelwire parse: {source}: {exc}", file=sys.stderr)
        if exc.body_excerpt:
            print(f"  near: {exc.body_excerpt!r}", file=sys.stderr)
        return 1
    except ContentPolicyError as exc:  # a Gemini body whose prompt was blocked
        print(f"modelwire parse: {source}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        sys.stdout.write(orjson.dumps(_plain(result), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(render(result, source=source, backend=backend))
    return 0


def _plain(result: Any) -> Any:
    plain = result.to_dict()
    if "buffer" in plain:
        plain["buffer"] = f"<{len(plain['buffer'])} bytes>"
        plain["vectors"] = result.vectors
    return plain
