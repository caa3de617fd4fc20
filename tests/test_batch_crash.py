"""``modelwire batch`` as a subprocess, killed with SIGKILL at random points and resumed: every id exactly
once, no torn line, and the requests sent again after each crash bounded by the concurrency."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

from modelwire.testing import LocalProviderServer

KEY = "sk-batch-crash-test"
CONCURRENCY = 8


def command(server: LocalProviderServer, source: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "modelwire", "batch", str(source), "-o", str(output),
            "--model", "openai/gpt-4.1-mini", "--api-base", server.openai_base_url, "--api-key-env",
            "BATCH_TEST_KEY", "--concurrency", str(CONCURRENCY), "--progress-interval", "0.2",
            *extra]  # fmt: skip


def env() -> dict[str, str]:
    return {**os.environ, "BATCH_TEST_KEY": KEY}


def lines_in(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def interrupted_batch(
    server: LocalProviderServer, tmp_path: Path, latency: float, prompts: int, *, written: int
) -> tuple[Path, Path, subprocess.Popen[str]]:
    """A batch of ``prompts`` prompts against a server answering after ``latency`` seconds, sent SIGINT once
    ``written`` lines are in its output: (source, output, the process)."""
    server.configure(latency=latency, record_requests=False)
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(orjson.dumps({"prompt": f"p {i}"}) + b"\n" for i in range(prompts)))
    output = tmp_path / "out.jsonl"
    process = subprocess.Popen(command(server, source, output), env=env(), stderr=subprocess.PIPE, text=True)
    while lines_in(output) < written:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    return source, output, process


def test_sigkill_at_random_points_then_resume(local_server: LocalProviderServer, tmp_path: Path) -> None:
    local_server.configure(latency=0.01, record_requests=False)
    n = 1500
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b"".join(orjson.dumps({"custom_id": f"c{i}", "prompt": f"p {i}"}) + b"\n" for i in range(n))
    )
    output = tmp_path / "out.jsonl"
    rng = random.Random(int(time.time()))
    kills = 0
    for target in sorted(rng.sample(range(50, n - 100), 3)):
        process = subprocess.Popen(command(local_server, source, output), env=env(), stderr=subprocess.PIPE)
        while lines_in(output) < target and process.poll() is None:
            time.sleep(0.005)
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        if process.stderr is not None:
            process.stderr.close()
    with output.open("ab") as file:  # what an OS crash mid-write would leave: the resume cuts it off
        file.write(b'{"custom_id": "c0", "status": "o')
    done = subprocess.run(command(local_server, source, output), env=env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "cut a torn last line" in done.stderr

    text = output.read_text()
    assert text.endswith("\n")
    ids = Counter(json.loads(line)["custom_id"] for line in text.splitlines())
    assert ids == Counter(f"c{i}" for i in range(n))
    resent = local_server.counters().requests - n
    print(f"\n{kills} SIGKILLs at concurrency {CONCURRENCY}: {resent} requests sent again")
    assert 0 <= resent <= CONCURRENCY * kills


def test_interrupt_stops_admitting_and_says_what_was_written(
    local_server: LocalProviderServer, tmp_path: Path
) -> None:
    _, output, process = interrupted_batch(local_server, tmp_path, 0.02, 2000, written=20)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "admitting no more requests" in stderr
    assert "batch stopped" in stderr
    written = lines_in(output)
    assert f"wrote {written} lines" in stderr
    assert local_server.counters().requests == written  # in-flight requests finished and were written
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["interrupted"] == "stopped"
    assert summary["policy"]["attempts"] == written
    assert summary["ok"] == written


def test_a_second_interrupt_cancels_what_is_in_flight(
    local_server: LocalProviderServer, tmp_path: Path
) -> None:
    source, output, process = interrupted_batch(local_server, tmp_path, 0.3, 40, written=1)
    time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["interrupted"] == "cancelled"
    assert summary["cancelled_in_flight"] > 0
    assert f"{summary['cancelled_in_flight']} requests in flight were cancelled and not written" in stderr
    assert summary["ok"] == lines_in(output)
    done = subprocess.run(command(local_server, source, output), env=env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert lines_in(output) == 40
