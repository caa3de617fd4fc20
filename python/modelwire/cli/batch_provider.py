"""``modelwire batch ... --provider-batch``: the same input, output, failures file and summary, answered by
the provider's own Batch API (OpenAI ``/v1/batches``, Anthropic Message Batches) instead of live calls.
See ``docs/provider-batch.md``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

__all__ = ["add_arguments", "run"]

# Live-call options a provider batch cannot honour: the provider schedules the requests itself.
_LIVE_ONLY = ("shard", "shared_limits", "rpm", "tpm", "config")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("provider Batch API (--provider-batch)")
    group.add_argument(
        "--provider-batch",
        action="store_true",
        help="send the requests through the provider's Batch API (OpenAI, Anthropic: half price, within 24h)",
    )
    group.add_argument(
        "--poll-interval", type=float, default=5.0, help="seconds between status polls at first (doubling)"
    )
    group.add_argument("--max-poll-interval", type=float, default=60.0, help="longest wait between polls")
    group.add_argument(
        "--deadline", type=float, help="seconds: then cancel the batch and write what finished"
    )
    group.add_argument("--batch-id", help="pick up a batch an earlier run submitted instead of submitting")


def _spec(args: argparse.Namespace) -> Any:
    from modelwire.config import ModelSpec

    fields: dict[str, Any] = {"name": args.model}
    for flag in ("api_base", "api_key_env", "timeout"):
        if getattr(args, flag) is not None:
            fields[flag] = getattr(args, flag)
    if args.name is not None:
        fields["name"] = args.name
        fields["api_base"] = fields.get("api_base") or args.model
    return ModelSpec.model_validate(fields)


def run(args: argparse.Namespace) -> int:
    from modelwire.batch.provider_run import arun_provider_batch

    given = [f"--{flag.replace('_', '-')}" for flag in _LIVE_ONLY if getattr(args, flag, None) is not None]
    if given or args.model is None:
        what = ", ".join(given) if given else "no --model"
        print(f"modelwire batch: --provider-batch takes one --model ({what} given)", file=sys.stderr)
        return 2
    try:
        summary = asyncio.run(
            arun_provider_batch(
                args.input,
                args.output,
                _spec(args),
                failures_path=args.failures,
                batch_id=args.batch_id,
                poll_interval=args.poll_interval,
                max_poll_interval=args.max_poll_interval,
                deadline=args.deadline,
            )
        )
    except (OSError, ValueError, TypeError) as exc:
        print(f"modelwire batch: {exc}", file=sys.stderr)
        return 2
    summary_path = args.summary or args.output.with_name(args.output.stem + ".summary.json")
    summary_path.write_text(json.dumps(summary.to_json(), indent=2) + "\n")
    print(summary.render(), file=sys.stderr)
    return 1 if summary.failed else 0
