"""``modelwire batch`` argument handling, run in this process: a chain file, usage errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelwire.cli import main
from modelwire.testing import LocalProviderServer, Route, faults

KEY = "sk-batch-cli-test"


def test_a_chain_file_and_the_exit_code_of_failures(
    local_server: LocalProviderServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = {
        "models": [{"name": "openai/gpt-4.1-mini", "api_base": local_server.openai_base_url, "api_key": KEY}]
    }
    (tmp_path / "chain.json").write_text(json.dumps(chain))
    (tmp_path / "in.jsonl").write_text('{"prompt": "a"}\n{"prompt": "b"}\n')
    local_server.enqueue(Route.CHAT, faults.error(400))
    args = [
        str(tmp_path / "in.jsonl"),
        "-o",
        str(tmp_path / "out.jsonl"),
        "--config",
        str(tmp_path / "chain.json"),
    ]
    assert main(["batch", *args, "--concurrency", "1", "--progress-interval", "0.01"]) == 1
    err = capsys.readouterr().err
    assert "1 ok, 1 failed" in err
    assert "errors: bad_request 1" in err
    assert "done 2/2 failed 1" in err  # the plain progress lines (not a terminal)
    assert main(["batch", *args]) == 0  # nothing left to do: both ids are in the output
    assert "2 already in the output" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "exactly one of --model and --config"),
        (["--model", "openai/x", "--concurrency", "0"], "--concurrency must be at least 1"),
        (["--model", "openai/x", "--shard", "2/2"], "0 <= i < n"),
        (["--model", "openai/x", "--progress-interval", "0"], "--progress-interval must be a positive"),
        (["--model", "no-such-provider/x"], "modelwire batch:"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    (tmp_path / "in.jsonl").write_text('{"prompt": "a"}\n')
    assert main(["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def test_a_missing_input_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    assert (
        main(
            [
                "batch",
                str(tmp_path / "missing.jsonl"),
                "-o",
                str(out),
                "--model",
                "http://127.0.0.1:9",
                "--name",
                "m",
            ]
        )
        == 2
    )
    assert "missing.jsonl does not exist" in capsys.readouterr().err
