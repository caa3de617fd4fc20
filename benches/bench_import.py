"""Import cost of an installed modelwire next to its runtime dependencies, and the installed size.

Run: ``python benches/bench_import.py [--python PY ...] [--rounds N]`` where each ``PY`` is the interpreter of
a venv a wheel was installed into (default: this one), e.g. after ``make wheel-check``::

    python benches/bench_import.py --python .venv-check-3.12/bin/python .venv-check-pure/bin/python

Every round starts a fresh interpreter per contender, in a shuffled order (interleaved, so a noisy
neighbour hits all of them alike), and times the import statement alone inside it with
``time.perf_counter`` (interpreter start-up excluded). Figures are medians over ``--rounds``; read the
ratio to ``import httpx, orjson`` (the two runtime dependencies every request path needs), not the
milliseconds: the machine is shared and noisy.

Contenders:
  httpx, orjson          the floor: what any httpx-based client pays
  modelwire              ``import modelwire`` as shipped (types, exceptions, backend; clients load lazily)
  modelwire (twin)       the same with MODELWIRE_PURE_PYTHON=1
  modelwire.Client       ``import modelwire; modelwire.Client``: the facade, config and providers loaded

The installed size is the bytes under site-packages of the ``modelwire`` package and its dist-info.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys

TIMER = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
CONTENDERS: dict[str, tuple[str, dict[str, str]]] = {
    "httpx, orjson": ("import httpx, orjson", {}),
    "modelwire": ("import modelwire", {}),
    "modelwire (twin)": ("import modelwire", {"MODELWIRE_PURE_PYTHON": "1"}),
    "modelwire.Client": ("import modelwire; modelwire.Client", {}),
}
SIZE = (
    "import modelwire, pathlib, importlib.metadata as m; d = m.distribution('modelwire');"
    "files = [p for p in (d.files or []) if not p.name.endswith('.pyc')];"
    "print(sum(pathlib.Path(d.locate_file(p)).stat().st_size for p in files), modelwire.BACKEND)"
)


def _run(python: str, code: str, extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWIRE_")} | extra
    done = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def measure(python: str, rounds: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for _ in range(rounds):
        order = list(CONTENDERS)
        random.shuffle(order)
        for name in order:
            stmt, extra = CONTENDERS[name]
            samples[name].append(float(_run(python, TIMER.format(stmt=stmt), extra)))
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


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
        floor = medians["httpx, orjson"]
        print(f"  {'import':<20}{'median ms':>10}{'vs httpx, orjson':>18}")
        for name, value in medians.items():
            print(f"  {name:<20}{value:>10.1f}{value / floor:>17.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
