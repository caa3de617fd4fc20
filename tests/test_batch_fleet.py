"""Two ``modelwire batch --shard i/2 --shared-limits redis://...`` processes against one rate-limited
server: every id answered exactly once between them, and the shared limit keeps 429s rare."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest

from modelwire.testing import LocalProviderServer

pytestmark = pytest.mark.redis

KEY = "sk-batch-fleet-test"
SERVER_RPS = 100


def test_two_shards_share_one_limit(
    local_server: LocalProviderServer, redis_url: str, tmp_path: Path
) -> None:
    pytest.importorskip("redis")
    local_server.set_rate_limit(SERVER_RPS, retry_after="ms")  # a bucket of one second's worth
    n = 500
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b"".join(orjson.dumps({"custom_id": f"f{i}", "prompt": f"p {i}"}) + b"\n" for i in range(n))
    )
    rpm = int(SERVER_RPS * 60 * 0.9)  # the fleet's budget: 90% of the server's limit, shared
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "modelwire",
                "batch",
                str(source),
                "-o",
                str(tmp_path / f"out{i}.jsonl"),
                "--model",
                "openai/gpt-4.1-mini",
                "--api-base",
                local_server.openai_base_url,
                "--api-key-env",
                "FLEET_KEY",
                "--concurrency",
                "16",
                "--rpm",
                str(rpm),
                "--shard",
                f"{i}/2",
                "--shared-limits",
                redis_url,
                "--quiet",
            ],
            env={**os.environ, "FLEET_KEY": KEY},
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    ids: Counter[str] = Counter()
    shares = []
    for i in range(2):
        lines = [json.loads(line) for line in (tmp_path / f"out{i}.jsonl").read_text().splitlines()]
        assert all(line["status"] == "ok" for line in lines)
        ids.update(line["custom_id"] for line in lines)
        shares.append(len(lines))
    assert ids == Counter(f"f{i}" for i in range(n))
    assert min(shares) > n // 4  # both workers did a real share
    counters = local_server.counters()
    print(f"\nfleet of 2: {counters.requests} requests, {counters.rate_limited} answered 429")
    assert counters.rate_limited < 0.05 * counters.requests
