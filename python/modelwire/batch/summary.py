"""What a batch run did: counts by outcome and error kind, tokens, cost, wall time, what was written."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from modelwire.batch.attempts import AttemptCounter
from modelwire.facade.mapping import MapProgress

__all__ = ["BatchSummary"]


class BatchSummary:
    """One run's summary (``to_json()`` is what ``--summary`` writes). ``interrupted`` is ``None`` for a
    run that got through its input, ``"stopped"`` (Ctrl-C or SIGTERM once: in-flight requests finished)
    or ``"cancelled"`` (twice: ``cancelled`` requests in flight were dropped, unwritten)."""

    def __init__(self, output: Path, failures: Path) -> None:
        self.output = output
        self.failures = failures
        self.kinds: Counter[str] = Counter()
        self.progress = MapProgress()
        self.already_done = 0  # lines in the output before this run
        self.torn_bytes = 0  # a torn last line cut off the output before this run
        self.interrupted: str | None = None
        self.cancelled = 0
        self.wall_seconds = 0.0
        self.attempts: AttemptCounter | None = None  # what the policy did, when the client has the hook

    @property
    def ok(self) -> int:
        return self.progress.done - self.progress.failed

    @property
    def failed(self) -> int:
        return self.progress.failed

    @property
    def complete(self) -> bool:
        return self.interrupted is None

    def to_json(self) -> dict[str, Any]:
        p = self.progress
        return {
            "complete": self.complete,
            "interrupted": self.interrupted,
            "ok": self.ok,
            "failed": self.failed,
            "errors_by_kind": dict(sorted(self.kinds.items())),
            "skipped_already_done": p.skipped,
            "duplicates": p.duplicates,
            "cancelled_in_flight": self.cancelled,
            "lines_before": self.already_done,
            "torn_bytes_cut": self.torn_bytes,
            "tokens": {"prompt": p.prompt_tokens, "completion": p.completion_tokens, "total": p.total_tokens},
            "cost_usd": round(p.cost, 6),
            "wall_seconds": round(self.wall_seconds, 3),
            "requests_per_second": round(p.done / self.wall_seconds, 2) if self.wall_seconds > 0 else 0.0,
            "policy": self.attempts.to_json() if self.attempts is not None else None,
            "output": str(self.output),
            "failures": str(self.failures),
        }

    def render(self) -> str:
        p = self.progress
        state = {None: "complete", "stopped": "stopped (Ctrl-C)", "cancelled": "cancelled (Ctrl-C twice)"}
        lines = [
            f"batch {state[self.interrupted]} in {self.wall_seconds:.1f}s: {self.ok} ok, {self.failed} failed"
            + (f", {p.skipped} already in the output" if p.skipped else "")
            + (f", {p.duplicates} duplicate ids skipped" if p.duplicates else ""),
        ]
        if self.kinds:
            lines.append("  errors: " + ", ".join(f"{kind} {n}" for kind, n in self.kinds.most_common()))
        if self.attempts is not None:
            a = self.attempts
            lines.append(
                f"  attempts: {a.attempts} ({a.retries} retries, {a.fallbacks} fallbacks)"
                + "".join(f"; {kind} {n}" for kind, n in a.failed_by_kind.most_common())
            )
        lines.append(
            f"  tokens: {p.prompt_tokens} prompt + {p.completion_tokens} completion = {p.total_tokens}"
            + (f"; cost ${p.cost:.4f}" if p.cost else "")
        )
        lines.append(f"  wrote {p.done} lines to {self.output}; {self.failed} to {self.failures}")
        if self.torn_bytes:
            lines.append(f"  cut a torn last line ({self.torn_bytes} bytes) off the output before resuming")
        if self.cancelled:
            lines.append(f"  {self.cancelled} requests in flight were cancelled and not written")
        if not self.complete:
            lines.append("  run the same command again to resume where this run stopped")
        return "\n".join(lines)
