"""``modelwire demo --model bedrock/...`` in a subprocess against the local provider server standing in
for Bedrock Runtime: credentials from the environment, every request SigV4-signed for the region."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from modelwire.testing import LocalProviderServer

MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
STEP = re.compile(r"^  (?P<label>\S.*?)\s+(?P<ms>\d+\.\d) ms  (?P<text>.*)$")


def test_the_demo_runs_against_a_local_bedrock(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDDEMO00000001",
        AWS_SECRET_ACCESS_KEY="demo-secret-0123456789abcdefghij",
        AWS_REGION="eu-central-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
    )
    with LocalProviderServer(aws_region="eu-central-1") as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "modelwire",
                "demo",
                "--model",
                f"bedrock/{MODEL}",
                "--api-base",
                server.url,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        requests = server.requests
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [(m["label"], m["text"]) for m in map(STEP.match, result.stdout.splitlines()) if m]
    answer = "echo: In one sentence: why should a client reuse its HTTP connections?"
    assert steps == [
        ("chat", answer),
        ("stream", f"14 events -> {answer}"),
        ("tool call", 'get_weather({"city":"echo-city"}) -> tool result: sunny, 21 C'),
    ]
    assert [r.path.rsplit("/", 1)[-1] for r in requests] == [
        "converse",
        "converse-stream",
        "converse",
        "converse",
    ]
    for request in requests:
        authorization = request.header("authorization") or ""
        assert "Credential=AKIDDEMO00000001/" in authorization
        assert "/eu-central-1/bedrock/aws4_request" in authorization
