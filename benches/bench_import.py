"""Import cost of an installed modelwire next to its runtime dependencies, and the installed size.

Run: ``python benches/bench_import.py [--python PY ...] [--rounds N]`` where each ``PY`` is the interpreter of
a venv a wheel was installed into (default: this one), e.g. after ``make wheel-check``::

    python benches/bench_import.py --python .venv-check-3.12/bin/python .venv-check-pure/bin/python

Every round starts a fresh interpreter per contender, in a shuffled order (interleaved, so a noisy
neighbour hits all of them alike), and times the statement alone inside it with ``time.perf_counter``
(interpreter start-up excluded), then reads the process's peak RSS (``ru_maxrss``, interpreter included).
Figures are medians over ``--rounds``; read the ratio and the RSS difference to the floor, ``import httpx,
orjson, pydantic`` (modelwire's three runtime dependencies), not the milliseconds: the machine is shared
and noisy. Target (issue 19.4): ``modelwire.Client`` <= 1.3x the floor in time and <= +8 MiB.

Contenders:
  httpx, orjson, pydantic  the floor: importing the runtime dependencies
  httpx, orjson            what any httpx-based client pays
  modelwire                ``import modelwire`` as shipped (types, exceptions, backend; clients load lazily)
  modelwire (twin)         the same with MODELWIRE_PURE_PYTHON=1
  modelwire.Client         ``import modelwire; modelwire.Client``: the client classes and the policy
  first Client(...)        the same, then ``Client("openai/gpt-4.1-mini", api_key=...)``: the config
                           models (pydantic), the OpenAI adapter and its parsers load here (no request)

The installed size is the bytes under site-packages of the ``modelwire`` package and its dist-info.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys

TIMER = (
    "import time, resource; t = time.perf_counter(); {stmt}; took = time.perf_counter() - t;"
    "print(took, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)
FLOOR = "httpx, orjson, pydantic"
FIRST_CLIENT = "modelwire.Client('openai/gpt-4.1-mini', api_key='sk-bench-import')"
CONTENDERS: dict[str, tuple[str, dict[str, str]]] = {
    FLOOR: ("import httpx, orjson, pydantic", {}),
    "httpx, orjson": ("import httpx, orjson", {}),
    "modelwire": ("import modelwire", {}),
    "modelwire (twin)": ("import modelwire", {"MODELWIRE_PURE_PYTHON": "1"}),
    "modelwire.Client": ("import modelwire; modelwire.Client", {}),
    "first Client(...)": (f"import modelwire; {FIRST_CLIENT}", {}),
}
SIZE = (
    "import modelwire, pathlib, importlib.metadata as m; d = m.distribution('modelwire');"
    "files = [p for p in (d.files or []) if not p.name.endswith('.pyc')];"
    "print(sum(pathlib.Path(d.locate_file(p)).stat().st_size for p in files), modelwire.BACKEND)"
)


def _run(python: str, code: str, extra: dict[str, str]) -> str:
    # Bytecode is written (and read) as in an installed package: with PYTHONDONTWRITEBYTECODE set, an
    # editable checkout would be compiled from source in every run and the figures would measure that.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MODELWIRE_") and k != "PYTHONDONTWRITEBYTECODE"
    } | extra
    done = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def measure(python: str, rounds: int) -> dict[str, tuple[float, float, float]]:
    """name -> (median ms, median of the per-round ratio to the floor, median peak RSS in MiB)."""
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    ratios: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    rss: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for stmt, extra in CONTENDERS.values():  # warm-up: bytecode caches written, files in the page cache
        _run(python, TIMER.format(stmt=stmt), extra)
    for _ in range(rounds):
        order = list(CONTENDERS)
        random.shuffle(order)
        took: dict[str, float] = {}
        for name in order:
            stmt, extra = CONTENDERS[name]
            seconds, kib = _run(python, TIMER.format(stmt=stmt), extra).split()
            took[name] = float(seconds)
            rss[name].append(int(kib) / 1024)
        for name, seconds in took.items():
            times[name].append(seconds)
            ratios[name].append(seconds / took[FLOOR])
    return {
        name: (
            statistics.median(times[name]) * 1000,
            statistics.median(ratios[name]),
            statistics.median(rss[name]),
        )
        for name in CONTENDERS
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", nargs="+", default=[sys.executable], help="interpreters to measure")
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    for python in args.python:
        size, backend = _run(python, SIZE, {}).split()
        version = _run(python, "import sys; print(sys.version.split()[0])", {})
        print(f"\n{python}: CPython {version}, {backend} backend, installed {int(size) / 1e6:.2f} MB")
        medians = measure(python, args.rounds)
        floor_rss = medians[FLOOR][2]
        print(f"  {'import':<26}{'median ms':>10}{'x floor':>9}{'peak RSS MiB':>14}{'- floor':>9}")
        for name, (ms, ratio, mib) in medians.items():
            print(f"  {name:<26}{ms:>10.1f}{ratio:>8.2f}x{mib:>14.1f}{mib - floor_rss:>+9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
