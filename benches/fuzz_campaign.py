"""``make fuzz``: a time-boxed differential fuzz campaign on every parser and decoder, both backends.

Each target of ``tests/fuzz_targets.py`` runs under hypothesis (structure-aware mutations of the recorded
corpus, SSE/NDJSON byte soup with small caps, mutated recorded streams) in rounds of ``--batch`` examples
with fresh seeds until its share of ``--seconds`` is spent. An input that breaks a property (the backends
disagree, a fault differs, anything raises that should not, or the process would crash) is shrunk by
hypothesis and saved to ``tests/fuzz_corpus/<target>-<sha>.bin``, where ``tests/test_fuzz.py`` replays it.

    .venv/bin/python benches/fuzz_campaign.py --seconds 600           # every target, 10 minutes in all
    .venv/bin/python benches/fuzz_campaign.py --seconds 60 --target decoders
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from fuzz_targets import TARGETS, Target  # noqa: E402


def campaign(target: Target, seconds: float, batch: int) -> tuple[int, list[Path]]:
    """Examples run and inputs saved."""
    failing: list[bytes] = []

    def check(body: bytes) -> None:
        try:
            target.check(body)
        except BaseException:
            failing.append(body)  # the last one recorded is hypothesis's shrunk example
            raise

    stop = time.monotonic() + seconds
    examples, saved = 0, []
    rounds = settings(
        max_examples=batch, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    while time.monotonic() < stop:
        run = seed(random.getrandbits(64))(rounds(given(target.inputs)(check)))
        try:
            run()
        except Exception as exc:  # a broken property: keep the input, go on fuzzing
            body = failing[-1]
            path = TESTS / "fuzz_corpus" / f"{target.name}-{hashlib.sha256(body).hexdigest()[:16]}.bin"
            path.write_bytes(body)
            saved.append(path)
            print(f"  {target.name}: {type(exc).__name__}: {str(exc)[:200]} -> {path.name}", flush=True)
        failing.clear()
        examples += batch
    return examples, saved


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=300.0, help="the whole campaign's time box")
    parser.add_argument("--batch", type=int, default=2000, help="examples per hypothesis round")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="only these targets")
    args = parser.parse_args()
    names = args.target or sorted(TARGETS)
    share = args.seconds / len(names)
    total_saved = 0
    print(f"{'target':<16}{'examples':>10}{'seconds':>9}{'saved':>7}")
    for name in names:
        started = time.monotonic()
        examples, saved = campaign(TARGETS[name], share, args.batch)
        total_saved += len(saved)
        print(f"{name:<16}{examples:>10}{time.monotonic() - started:>9.0f}{len(saved):>7}", flush=True)
    return 1 if total_saved else 0


if __name__ == "__main__":
    sys.exit(main())
