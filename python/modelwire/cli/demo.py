"""``modelwire demo``: modelwire end to end, on a fresh machine with no network and no keys.

With no arguments it starts the embedded local provider server (``modelwire.testing``) and runs a chat, a
streamed chat, a tool-call round trip, an embedding and an image request through both adapters
(OpenAI-compatible and Anthropic Messages; Anthropic has no embeddings or images, so a chain falls back
to OpenAI for those), then scripted faults that show what the retry layer decides, and prints answers,
usage and timing.

With ``--model provider/name`` (and the provider's key in its usual environment variable) it talks to the
real provider instead: a chat, a streamed chat and a tool-call round trip, plus an embedding and an image
when ``--embedding-model`` / ``--image-model`` are given.

``--responses-api`` adds (locally) or uses (with ``--model``) the OpenAI Responses API: a chat, a stream and a
tool-call round trip whose reasoning items go back with the tool result.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from modelwire import BACKEND, ModelwireError
from modelwire.types import ChatCompletionResponse, Cost, EmbeddingResponse, ImageGenerationResponse, Usage

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "demo"
HELP = (
    "run a chat, a tool-call round trip, an embedding and an image request through both adapters "
    "against the embedded local server (or a real provider with --model)"
)

DEMO_KEY = "sk-modelwire-demo-local"
QUESTION = "In one sentence: why should a client reuse its HTTP connections?"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TOOL_RESULT = "sunny, 21 C"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="call this provider/model for real; its key comes from the "
                        "provider's environment variable (e.g. OPENAI_API_KEY)")  # fmt: skip
    parser.add_argument("--api-base", help="with --model: the server's base URL (any OpenAI-compatible one)")
    parser.add_argument("--api-key-env", help="with --model: read the key from this variable (a provider's "
                        "own variable is read only for its own host, not for --api-base)")  # fmt: skip
    parser.add_argument("--embedding-model", help="with --model: also embed two texts with this model")
    parser.add_argument("--image-model", help="with --model: also generate an image with this model")
    parser.add_argument("--responses-api", action="store_true", help="also show (with --model: use) the "
                        "OpenAI Responses API, reasoning items sent back in the tool round trip")  # fmt: skip


class Report:
    """Prints one line per step with its time; counts failed steps."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.failures = 0

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def step(self, label: str, action: Callable[[], str]) -> None:
        started = time.perf_counter()
        try:
            text = action()
        except ModelwireError as exc:
            self.failures += 1
            text = f"FAILED {type(exc).__name__}: {str(exc).splitlines()[0]}"
        elapsed = (time.perf_counter() - started) * 1000
        self.line(f"  {label:<14}{elapsed:>9.1f} ms  {text}")


def _short(text: str | None, width: int = 76) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _chat(response: ChatCompletionResponse) -> str:
    return _short(response.message.content or response.message.refusal or "(no text)")


def _tool_round_trip(complete: Callable[..., ChatCompletionResponse], **params: Any) -> str:
    """Offer a tool, run the call the model asks for (a canned result), send it back, show the answer."""
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Paris? Use the tool."}]
    first = complete(messages, tools=[WEATHER], **params)
    if not first.message.tool_calls:
        return f"no tool call; answered: {_chat(first)}"
    call = first.message.tool_calls[0]
    messages.append(first.message)
    messages.extend(
        {"role": "tool", "tool_call_id": c.id, "content": TOOL_RESULT} for c in first.message.tool_calls
    )
    second = complete(messages, tools=[WEATHER], **params)
    return f"{call.name}({call.arguments_json}) -> {_chat(second)}"


def _streamed(stream: Any) -> str:
    """Count a stream's events as they arrive, then show the response they folded into."""
    with stream:
        events = sum(1 for _ in stream)
        response = stream.final_response()
    return f"{events} events -> {_chat(response)}"


def _embedding(response: EmbeddingResponse) -> str:
    row = ", ".join(f"{v:.4f}" for v in response.vectors[0][:3]) if response.count else ""
    return f"{response.count} x {response.dimensions} float32 [{row}, ...]"


def _image(response: ImageGenerationResponse) -> str:
    shown = [f"{i.mime_type or 'image'} ({len(i.b64_data or '')} base64 chars)" for i in response.images]
    return ", ".join(shown) or "no image"


def _served(client: Any, action: Callable[[], str]) -> Callable[[], str]:
    """``action``'s text, followed by the model of the chain that answered."""

    def run() -> str:
        before = client.calls
        text = action()
        served = [m for m, n in client.calls.items() if n > before.get(m, 0)]
        return f"{text}  [{', '.join(served)}]"

    return run


def _usage_line(usage: Usage, cost: Cost | None = None) -> str:
    counts = [("input", usage.input_tokens), ("output", usage.output_tokens), ("total", usage.total_tokens),
              ("cache read", usage.cache_read_tokens), ("images", usage.generated_images)]  # fmt: skip
    line = " | ".join(f"{name} {value}" for name, value in counts if value)
    return line + (" | cost unknown" if cost is None else f" | cost ${cost.total:.6f}")


@contextmanager
def _decisions() -> Iterator[list[str]]:
    """The retry layer's decisions (its INFO lines) while the block runs."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("modelwire.policy")
    handler, level = Collect(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# -- the embedded local server --------------------------------------------------------------------------


def _adapter_section(report: Report, models: Any, name: str, *, embed: str, image: str) -> None:
    client, embedder, painter = models[name], models[embed], models[image]
    report.step("chat", lambda: _chat(client.complete(QUESTION)))
    report.step("stream", lambda: _streamed(client.stream(QUESTION)))
    report.step("tool call", lambda: _tool_round_trip(client.complete))
    texts = ["first text", "second text"]
    report.step("embedding", _served(embedder, lambda: _embedding(embedder.embed(texts))))
    report.step("image", _served(painter, lambda: _image(painter.generate_image("a lighthouse at dawn"))))


def _fault(report: Report, server: Any, label: str, action: Callable[[], str]) -> None:
    before = len(server.requests)

    def counted() -> str:
        text = action()
        sent = len(server.requests) - before
        return f"{text}  ({sent} request{'s' if sent != 1 else ''})"

    with _decisions() as lines:
        report.step(label, counted)
    for line in lines:
        head, _, decision = line.removeprefix("modelwire: ").rpartition(" -> ")
        report.line(f"      {_short(head, 100)}\n        -> {decision}")


def _responses_section(report: Report, models: Any, base_url: str) -> None:
    client = models["openai-responses"]
    report.line(f"\nOpenAI Responses API: openai/gpt-5-mini at {base_url}/responses (responses_api=True)")
    report.step("chat", lambda: _chat(client.complete(QUESTION)))
    report.step("stream", lambda: _streamed(client.stream(QUESTION)))
    report.step("tool call", lambda: _tool_round_trip(client.complete, reasoning_effort="low"))


def _local(report: Report, responses_api: bool = False) -> None:
    from modelwire import BadRequestError, ModelRegistry
    from modelwire.testing import LocalProviderServer, Route, faults

    started = time.perf_counter()
    with LocalProviderServer() as server:
        oa = {"api_base": server.openai_base_url}
        an = {"api_base": server.anthropic_base_url}
        claude = {"name": "anthropic/claude-sonnet-4-5", **an}
        entries = {
            "openai": {"name": "openai/gpt-4.1-mini", **oa},
            "openai-embeddings": {"name": "openai/text-embedding-3-small", **oa},
            "openai-images": {"name": "openai/gpt-image-1", **oa},
            "anthropic": claude,
            "anthropic-embeddings": {"models": [claude, {"name": "openai/text-embedding-3-small", **oa}]},
            "anthropic-images": {"models": [claude, {"name": "openai/gpt-image-1", **oa}]},
            "long-context": {"models": [{"name": "openai/gpt-4.1-nano", **oa}, claude]},
        }
        if responses_api:
            entries["openai-responses"] = {"name": "openai/gpt-5-mini", "responses_api": True, **oa}
        models = ModelRegistry(entries, api_key=DEMO_KEY)
        report.line(f"modelwire demo: local provider server at {server.url} (no network, no keys), "
                    f"{BACKEND} parser")  # fmt: skip
        report.line(f"\nOpenAI-compatible adapter: openai/gpt-4.1-mini at {server.openai_base_url}")
        _adapter_section(report, models, "openai", embed="openai-embeddings", image="openai-images")
        report.line(f"\nAnthropic adapter: anthropic/claude-sonnet-4-5 at {server.anthropic_base_url}")
        report.line("  (the Messages API has no embeddings or images: those chains fall back to OpenAI)")
        _adapter_section(report, models, "anthropic", embed="anthropic-embeddings", image="anthropic-images")
        if responses_api:
            _responses_section(report, models, server.openai_base_url)

        report.line("\nReliability: scripted faults, and what the retry layer decided")
        server.enqueue(Route.CHAT, faults.rate_limited(retry_after=0.3), model="gpt-4.1-mini")
        _fault(report, server, "429 + wait", lambda: _chat(models["openai"].complete("retry me")))
        server.enqueue(
            Route.MESSAGES, faults.preset("overloaded", retry_after=0.2), model="claude-sonnet-4-5"
        )
        _fault(report, server, "529 overloaded", lambda: _chat(models["anthropic"].complete("again")))
        server.enqueue(Route.CHAT, faults.preset("context_window"), model="gpt-4.1-nano")
        _fault(
            report, server, "context window", lambda: _chat(models["long-context"].complete("a long text"))
        )
        server.enqueue(Route.CHAT, faults.preset("bad_request"), model="gpt-4.1-mini")

        def fatal() -> str:
            try:
                models["openai"].complete("a malformed request")
            except BadRequestError as exc:
                return f"raised at once: BadRequestError {exc.status_code}"
            return "unexpectedly answered"

        _fault(report, server, "400 bad request", fatal)
        requests = len(server.requests)
        usage = models.usage()
        costs = models.cost()
        models.close()
    report.line("\nUsage, per registered name and model")
    for name, per_model in usage.items():
        for model, counts in per_model.items():
            report.line(f"  {name:<22}{model:<32}{_usage_line(counts, costs[name].get(model))}")
    elapsed = time.perf_counter() - started
    report.line(f"\n{requests} requests in {elapsed:.2f} s (client and server in this one process)")


# -- a real provider ----------------------------------------------------------------------------------


def _missing_key(model: str, api_base: str | None) -> str | None:
    from modelwire.providers import lookup_provider

    provider, _, _ = model.partition("/")
    info = lookup_provider(provider)
    if info is None or api_base is not None or not info.key_required:
        return None
    if any(os.environ.get(name, "").strip() for name in info.key_env):
        return None
    return " or ".join(info.key_env)


def _real(report: Report, args: argparse.Namespace) -> int:
    from modelwire import Client

    missing = _missing_key(args.model, args.api_base)
    if missing:
        print(f"modelwire demo: --model {args.model} needs an API key: set {missing}", file=sys.stderr)
        return 2
    options: dict[str, Any] = {"api_base": args.api_base} if args.api_base else {}
    if args.responses_api:
        options["responses_api"] = True
    if args.api_key_env:
        options["api_key_env"] = args.api_key_env
    started = time.perf_counter()
    report.line(f"modelwire demo: {args.model}{' at ' + args.api_base if args.api_base else ''}, "
                f"{BACKEND} parser")  # fmt: skip
    clients = [Client(args.model, **options)]
    chat = clients[0]
    report.step("chat", lambda: _chat(chat.complete(QUESTION, max_tokens=150)))
    report.step("stream", lambda: _streamed(chat.stream(QUESTION, max_tokens=150)))
    report.step("tool call", lambda: _tool_round_trip(chat.complete, max_tokens=300, tool_choice="required"))
    if args.embedding_model:
        clients.append(Client(args.embedding_model, **options))
        embedder = clients[-1]
        report.step("embedding", lambda: _embedding(embedder.embed(["first text", "second text"])))
    if args.image_model:
        clients.append(Client(args.image_model, **options))
        painter = clients[-1]
        report.step("image", lambda: _image(painter.generate_image("a lighthouse at dawn")))
    report.line("\nUsage")
    for client in clients:
        for model, counts in client.usage.items():
            report.line(f"  {model:<40}{_usage_line(counts, client.cost.get(model))}")
        client.close()
    report.line(f"\ndone in {time.perf_counter() - started:.2f} s")
    return 0


def run(args: argparse.Namespace) -> int:
    report = Report(sys.stdout)
    given = ("api_base", "api_key_env", "embedding_model", "image_model")
    extras = [flag for flag in given if getattr(args, flag)]
    if args.model is None and extras:
        flags = ", ".join("--" + flag.replace("_", "-") for flag in extras)
        print(f"modelwire demo: {flags} need --model", file=sys.stderr)
        return 2
    try:
        if args.model is not None:
            code = _real(report, args)
        else:
            _local(report, args.responses_api)
            code = 0
    except BrokenPipeError:  # the reader went away (``modelwire demo | head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 1 if report.failures else code
