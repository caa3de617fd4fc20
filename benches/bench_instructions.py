"""Instructions per parse under callgrind: the Rust parser (tool-call ``.arguments`` read, as in
``report.py``) against ``orjson.loads`` of the same bytes. Instruction counts do not move with the load
of a shared machine, so they steer work on the small bodies where wall-time ratios are noisiest.

    .venv/bin/python benches/bench_instructions.py [--case "chat: 2 tool calls" ...] [--low 1000 --high 3000]

Each case and contender runs in its own process under ``valgrind --tool=callgrind``, once with ``--low``
and once with ``--high`` calls; the difference divided by ``high - low`` is the cost of one call, with
start-up and imports cancelled out. Needs valgrind and the built extension.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["MODELWIRE_BENCH_SKIP_EMBEDDINGS"] = "1"  # parsing cases only; the embeddings take long to build

from bench_parse_cases import cases
from report import _contenders

CONTENDERS = ("rust", "orjson.loads")
DEFAULT_CASES = ("chat: 2 tool calls", "chat: 4 tool calls", "anthropic: tool_use")
_COLLECTED = re.compile(rb"Collected\s*:\s*(\d+)")


def _inner(case_name: str, contender: str, calls: int) -> None:
    (case,) = [case for case in cases() if case.name == case_name]
    fn = _contenders(case, sdks=False)[contender]
    for _ in range(calls):
        fn(case.body)


def _instructions(case_name: str, contender: str, calls: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
    command += ["--inner", case_name, contender, str(calls)]
    # one hash seed for every run, so start-up does the same work in both and cancels out
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, check=True, env=env)
    found = _COLLECTED.search(done.stderr)
    if found is None:
        output = done.stderr.decode(errors="replace")
        raise SystemExit(f"no instruction count in valgrind's output:\n{output}")
    return int(found.group(1))


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--case", action="append", help=f"a case of bench_parse_cases ({DEFAULT_CASES})")
    parser.add_argument("--low", type=int, default=1000, help="calls in the first run")
    parser.add_argument("--high", type=int, default=3000, help="calls in the second run")
    parser.add_argument("--inner", nargs=3, metavar=("CASE", "CONTENDER", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        _inner(args.inner[0], args.inner[1], int(args.inner[2]))
        return
    calls = args.high - args.low
    print(f"instructions per call: (count at {args.high} calls - count at {args.low}) / {calls}\n")
    print(f"| case | {' | '.join(CONTENDERS)} | rust / orjson |")
    print("|---|" + "---|" * (len(CONTENDERS) + 1))
    for name in args.case or DEFAULT_CASES:
        per_call = {
            contender: (_instructions(name, contender, args.high) - _instructions(name, contender, args.low))
            / calls
            for contender in CONTENDERS
        }
        cells = " | ".join(f"{per_call[c] / 1000:.1f}k" for c in CONTENDERS)
        print(f"| {name} | {cells} | {per_call['rust'] / per_call['orjson.loads']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
