"""Request bodies: flattening + serialization (``TransportKwargs.from_request``'s body) vs ``orjson.dumps``.

    .venv/bin/python benches/bench_bodies.py [--rounds 21]

For each body (a chat history, a tool schema list, a base64 image, at about 1 KB, 16 KB and 256 KB) every
contender runs in shuffled order in each round for ~10 ms; reported are the median time per call and the
median of each round's ratio to the floor, ``orjson.dumps`` of the already-flattened dict (a ratio taken
within one round cancels the load swings of this shared machine). Contenders:

  orjson.dumps     the floor: the flat dict (model, messages, the set options, extra_body) to bytes, the
                   same dict every call
  dumps(copy)      ``orjson.dumps`` of a fresh shallow copy of that dict each call, as any flattening
                   makes one: orjson is measurably slower on a dict just built than on one it has seen
  request_body     what ships (``TransportKwargs.from_request``'s builder for this backend): with the
                   extension, flattening through the C API in Rust, then ``orjson.dumps``
  twin             the pure-Python builder (``modelwire.request.pure.request_body``), the reference

Every contender's bytes are checked equal to the floor's before timing. Target (issue 19.2):
request_body / orjson.dumps <= 1.0 (flattening costs no more than the noise of serializing).
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from modelwire._backend import core
from modelwire.request import pure
from modelwire.request.transport_kwargs import _request_body as request_body
from modelwire.types import ChatCompletionRequest

FLOOR = "orjson.dumps"
SENTENCE = "The quarterly report shows revenue grew 12% while costs fell; summarise it in one line please. "


def _history(size: int) -> list[dict[str, Any]]:
    """A multi-turn chat whose JSON is about ``size`` bytes (turns of ~400 characters)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are a careful analyst."}]
    turn = (SENTENCE * 5)[:400]
    while len(orjson.dumps(messages)) < size:
        role = "user" if len(messages) % 2 else "assistant"
        messages.append({"role": role, "content": turn})
    return messages


def _tools(size: int) -> list[dict[str, Any]]:
    """Function tools with nested JSON schemas, about ``size`` bytes in all."""
    tools: list[dict[str, Any]] = []
    while len(orjson.dumps(tools)) < size:
        i = len(tools)
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": f"lookup_{i}",
                    "description": "Look a record up by id and return its fields.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string", "description": "the record id"},
                            "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                            "fields": {"type": "array", "items": {"type": "string"}},
                            "strict": {"type": "boolean"},
                            "score": {"type": "number", "default": 0.5},
                        },
                        "required": ["id"],
                        "additionalProperties": False,
                    },
                },
            }
        )
    return tools


def _image(size: int) -> list[dict[str, Any]]:
    """One user turn with text and a base64 PNG data URI, about ``size`` bytes."""
    data = base64.b64encode(os.urandom(max(1, size * 3 // 4 - 200))).decode()
    return [{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + data}},
    ]}]  # fmt: skip


def cases() -> list[tuple[str, ChatCompletionRequest, dict[str, Any]]]:
    """(name, request, the adapter's fields) for every shape and size."""
    out = []
    for size, label in ((1024, "1 KB"), (16 * 1024, "16 KB"), (256 * 1024, "256 KB")):
        for kind in ("history", "tools", "image"):
            if kind == "tools":
                messages = [{"role": "user", "content": "Find record 42."}]
                request = ChatCompletionRequest(
                    model="m", messages=messages, tools=_tools(size), tool_choice="auto", temperature=0.0
                )
            else:
                messages = _history(size) if kind == "history" else _image(size)
                request = ChatCompletionRequest(
                    model="m", messages=messages, temperature=0.2, max_tokens=512, seed=7,
                    extra_body={"top_k": 40},
                )  # fmt: skip
            fields = {"model": request.model, "messages": request.messages}
            out.append((f"{kind} {label}", request, fields))
    return out


def _flat(request: ChatCompletionRequest, fields: dict[str, Any]) -> dict[str, Any]:
    body = dict(fields)
    for name in type(request).BODY_FIELDS:
        value = getattr(request, name)
        if value is not None:
            body[name] = value
    body.update(request.extra_body or {})
    return body


def contenders(request: ChatCompletionRequest, fields: dict[str, Any]) -> dict[str, Callable[[], bytes]]:
    flat = _flat(request, fields)
    found: dict[str, Callable[[], bytes]] = {
        FLOOR: lambda: orjson.dumps(flat),
        "dumps(copy)": lambda: orjson.dumps(dict(flat)),
        "request_body": lambda: request_body(request, fields, ()),
        "twin": lambda: pure.request_body(request, fields, ()),
    }
    return found


def _per_call(fn: Callable[[], bytes], budget: float = 0.01) -> float:
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        took = time.perf_counter() - start
        if took >= budget:
            return took / n
        n *= 2 if took < budget / 4 else 1
        n = max(n, int(n * budget / max(took, 1e-9)))


def measure(rounds: int) -> list[tuple[str, int, dict[str, float], dict[str, float]]]:
    rows = []
    for name, request, fields in cases():
        calls = contenders(request, fields)
        expected = calls[FLOOR]()
        for who, fn in calls.items():
            assert fn() == expected, f"{who} wrote other bytes for {name}"
        times: dict[str, list[float]] = {who: [] for who in calls}
        ratios: dict[str, list[float]] = {who: [] for who in calls}
        for _ in range(rounds):
            order = list(calls)
            random.shuffle(order)
            took = {who: _per_call(calls[who]) for who in order}
            for who in calls:
                times[who].append(took[who])
                ratios[who].append(took[who] / took[FLOOR])
        rows.append((
            name,
            len(expected),
            {who: statistics.median(v) for who, v in times.items()},
            {who: statistics.median(v) for who, v in ratios.items()},
        ))  # fmt: skip
    return rows


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.2f} us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    rows = measure(args.rounds)
    names = list(rows[0][2])
    backend = "rust" if core is not None else "pure"
    print(f"backend: {backend}; median of {args.rounds} rounds; ratio = per-round time / {FLOOR}\n")
    header = [*names, *(f"{n} / floor" for n in names[1:])]
    print("| body | bytes | " + " | ".join(header) + " |")
    print("|---|---:|" + "---:|" * (2 * len(names) - 1))
    for name, size, times, ratios in rows:
        cells = [_us(times[n]) for n in names] + [f"{ratios[n]:.2f}" for n in names[1:]]
        print(f"| {name} | {size:,} | " + " | ".join(cells) + " |")
    worst = max(ratios["request_body"] for _, _, _, ratios in rows)
    print(f"\nworst request_body / {FLOOR}: {worst:.2f} (target <= 1.0 within noise)")


if __name__ == "__main__":
    main()
