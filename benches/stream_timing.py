"""What the stream benchmarks share: a contender decodes one stream delivered as chunks; the floor is
``orjson.loads`` of each event's payload; contenders are timed in interleaved, shuffled rounds so
machine noise hits all of them alike."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import orjson

Contender = Callable[[list[bytes]], object]


def loads_floor(payloads: list[bytes]) -> Contender:
    loads = orjson.loads

    def run(_: list[bytes]) -> object:
        for payload in payloads:
            loads(payload)
        return None

    return run


def measure(contenders: dict[str, Contender], chunks: list[bytes], rounds: int) -> dict[str, list[int]]:
    """CPU nanoseconds of each contender on ``chunks``, one sample per round."""
    for contender in contenders.values():
        contender(chunks)  # warm-up
    samples: dict[str, list[int]] = {name: [] for name in contenders}
    for _ in range(rounds):
        order = list(contenders)
        random.shuffle(order)
        for name in order:
            start = time.process_time_ns()
            contenders[name](chunks)
            samples[name].append(time.process_time_ns() - start)
    return samples
