"""``modelwire batch INPUT.jsonl -o OUTPUT.jsonl --model ...``: a JSONL file of requests, answered.

Resumable (run the same command again: ids already in the output are skipped), with live progress on
stderr, a summary at the end (also written as JSON next to the output), and a failures file that is a
valid input file. ``--shard i/n`` and ``--shared-limits redis://...`` run it as a fleet. Exit status:
0 every request answered, 1 answered with some failures, 130 interrupted (resume to finish), 2 a usage
error. See ``docs/batch.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from modelwire.cli import batch_provider

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "batch"
HELP = (
    "answer a JSONL file of requests into a JSONL file of responses (resumable, with progress and a summary)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="JSONL: one request per line (docs/batch.md)")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="JSONL output; appended to on resume"
    )
    parser.add_argument("--model", help="provider/model, or an OpenAI-compatible base URL (with --name)")
    parser.add_argument("--name", help="with a base URL as --model: the model id the server knows")
    parser.add_argument(
        "--config", type=Path, help="a chain (LLMConfig) as JSON, or YAML when PyYAML is installed"
    )
    parser.add_argument("--api-base", help="the provider's base URL (any OpenAI-compatible server)")
    parser.add_argument("--api-key-env", help="read the API key from this environment variable")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at most (default 32)")
    parser.add_argument("--rpm", type=int, help="requests per minute per model (shared with --shared-limits)")
    parser.add_argument("--tpm", type=int, help="tokens per minute per model")
    parser.add_argument("--max-retries", type=int, help="retries per model before a request fails")
    parser.add_argument("--timeout", type=float, help="seconds per attempt")
    parser.add_argument("--shard", help="i/n: take only this worker's share of the input (0 <= i < n)")
    parser.add_argument("--shared-limits", metavar="REDIS_URL", help="share rate limits through Redis")
    parser.add_argument("--failures", type=Path, help="failures file (default OUTPUT.failures.jsonl)")
    parser.add_argument("--summary", type=Path, help="summary JSON (default OUTPUT.summary.json)")
    parser.add_argument(
        "--progress-interval", type=float, default=10.0, help="seconds between progress lines when not a TTY"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress, only the summary")
    batch_provider.add_arguments(parser)


def _load_config(path: Path) -> Any:
    text = path.read_text()
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            raise ValueError(f"{path} is YAML: install PyYAML, or give the chain as JSON") from None
        return yaml.safe_load(text)
    return json.loads(text)


def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for flag in ("name", "api_base", "api_key_env", "rpm", "tpm", "max_retries", "timeout"):
        value = getattr(args, flag)
        if value is not None:
            options[flag] = value
    if args.shared_limits is not None:
        options["shared_limits"] = {"url": args.shared_limits}
    return options


async def _run(args: argparse.Namespace, model: Any) -> int:
    from modelwire.batch import parse_shard, run_batch
    from modelwire.batch.attempts import AttemptCounter
    from modelwire.batch.progress import ProgressDisplay
    from modelwire.facade import AsyncClient

    shard = parse_shard(args.shard) if args.shard is not None else None
    attempts = AttemptCounter()
    client = AsyncClient(model, hooks=[attempts], **_client_options(args))
    if all(spec.max_concurrency is None for spec in client.config.models):
        client = client.with_options(max_concurrency=args.concurrency)  # the pool holds --concurrency
    tty = sys.stderr.isatty()
    display = (
        None
        if args.quiet
        else ProgressDisplay(sys.stderr, tty=tty, interval=args.progress_interval, expected=None)
    )
    async with client:
        summary = await run_batch(
            client, args.input, args.output, failures_path=args.failures, concurrency=args.concurrency,
            shard=shard, display=display, attempts=attempts,
        )  # fmt: skip
    summary_path = args.summary or args.output.with_name(args.output.stem + ".summary.json")
    summary_path.write_text(json.dumps(summary.to_json(), indent=2) + "\n")
    print(summary.render(), file=sys.stderr)
    if not summary.complete:
        return 130
    return 1 if summary.failed else 0


def run(args: argparse.Namespace) -> int:
    if args.provider_batch:
        return batch_provider.run(args)
    if (args.model is None) == (args.config is None):
        print("modelwire batch: give exactly one of --model and --config", file=sys.stderr)
        return 2
    if args.concurrency < 1:
        print("modelwire batch: --concurrency must be at least 1", file=sys.stderr)
        return 2
    if not args.progress_interval > 0:
        print("modelwire batch: --progress-interval must be a positive number of seconds", file=sys.stderr)
        return 2
    try:
        model = _load_config(args.config) if args.config is not None else args.model
        return asyncio.run(_run(args, model))
    except (OSError, ValueError, TypeError) as exc:
        print(f"modelwire batch: {exc}", file=sys.stderr)
        return 2
