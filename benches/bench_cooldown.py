"""The wait after a 429 without Retry-After, under the cool-down rule (``modelwire.policy.aimd``) and under
the fixed 2 s cool-down it replaced, side by side in one run against the local provider server.

Run: ``.venv/bin/python benches/bench_cooldown.py [--rounds 20]``

Each round is one ``Client.complete`` whose first attempt gets a 429 with no Retry-After:

- ``isolated``: one 429, then the answer (a lone request over a per-second limit);
- ``saturated``: two 429s in a row from successive attempts (the evidence of saturation), then the answer.

Printed: the median seconds per call under each rule, and the ratio old/new. The backoff's jitter is the
same sequence under both rules (one seeded RNG per rule).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from modelwire import Client
from modelwire.policy import Limiters
from modelwire.testing import LocalProviderServer, Route, faults

KEY = "sk-bench-cooldown"


def _round(server: LocalProviderServer, saturated_after: int, failures: int, seed: int) -> float:
    # A configured requests/min, far above what is sent, keeps the limiter from pacing by the request limit
    # the local server's 429 states (learned_rpm): only the cool-down differs between the rules.
    spec = {
        "name": "openai/model-a", "api_base": server.openai_base_url, "api_key": KEY, "max_retries": 3,
        "requests_per_minute": 1_000_000,
    }  # fmt: skip
    limiters = Limiters()
    with Client(spec, limiters=limiters) as client:
        client.policy.backoff.rng.seed(seed)  # the same jitter for both rules
        limiters.for_spec(client.config.primary).aimd.saturated_after = saturated_after
        server.enqueue(Route.CHAT, *[faults.rate_limited()] * failures, model="model-a")
        started = time.perf_counter()
        client.complete("hi")
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    seeds = [random.randrange(2**32) for _ in range(args.rounds)]
    print(f"{'scenario':<10} {'fixed 2 s (s)':>14} {'this rule (s)':>14} {'old/new':>8}")
    with LocalProviderServer() as server:
        for scenario, failures in (("isolated", 1), ("saturated", 2)):
            old = [_round(server, 1, failures, seed) for seed in seeds]  # a cool-down after every cut
            new = [_round(server, 2, failures, seed) for seed in seeds]
            old_m, new_m = statistics.median(old), statistics.median(new)
            print(f"{scenario:<10} {old_m:>14.3f} {new_m:>14.3f} {old_m / new_m:>8.1f}")


if __name__ == "__main__":
    main()
