"""``modelwire demo`` in a subprocess, as a user runs it: the embedded local server by default, a "real"
provider with ``--model`` (here the local server standing in for one, with the key in the environment)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from modelwire.testing import LocalProviderServer

KEY_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")
STEP = re.compile(r"^  (?P<label>\S.*?)\s+(?P<ms>\d+\.\d) ms  (?P<text>.*)$")


def demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    return subprocess.run(
        [sys.executable, "-m", "modelwire", "demo", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def steps(out: str) -> list[tuple[str, str]]:
    return [(m["label"], m["text"]) for m in map(STEP.match, out.splitlines()) if m]


def test_the_demo_runs_everything_on_the_embedded_server() -> None:
    result = demo()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert re.match(r"modelwire demo: local provider server at http://127\.0\.0\.1:\d+ \(no network", out)
    answer = "echo: In one sentence: why should a client reuse its HTTP connections?"
    tool = 'get_weather({"city":"echo-city"}) -> tool result: sunny, 21 C'
    embedding = "2 x 32 float32 [0.2406, 0.2831, 0.0960, ...]  [openai/text-embedding-3-small]"
    image = "image/png (112 base64 chars)  [openai/gpt-image-1]"
    adapters = [("chat", answer), ("tool call", tool), ("embedding", embedding), ("image", image)]
    streamed = [(label, text) for label, text in steps(out) if label == "stream"]
    assert streamed == [("stream", f"14 events -> {answer}"), ("stream", f"15 events -> {answer}")]
    plain = [step for step in steps(out) if step[0] != "stream"]
    assert plain[:8] == adapters * 2  # the OpenAI-compatible adapter, then Anthropic's (with fallbacks)
    assert plain[8:] == [
        ("429 + wait", "echo: retry me  (2 requests)"),
        ("529 overloaded", "echo: again  (2 requests)"),
        ("context window", "echo: a long text  (2 requests)"),
        ("400 bad request", "raised at once: BadRequestError 400  (1 request)"),
    ]
    assert re.search(r"openai/gpt-4\.1-mini attempt 1/4 failed \(rate_limit 429 retry-after 0\.3s", out)
    assert re.search(r"-> retrying in 0\.3\d+s", out)
    assert "-> another model may succeed; moving on to anthropic/claude-sonnet-4-5" in out
    assert "-> raising it: no model would accept this request" in out
    table = out.split("Usage, per registered name and model\n")[1].splitlines()[:7]
    # Every model of the demo is one genai-prices knows: each line ends with its cost (docs/cost.md).
    assert all(re.search(r" \| cost \$\d+\.\d{6}$", line) for line in table), table
    table = [line.rsplit(" | cost ", 1)[0] for line in table]
    assert [" ".join(line.split()) for line in table] == [
        "openai openai/gpt-4.1-mini input 45 | output 33 | total 78",
        "openai-embeddings openai/text-embedding-3-small input 4 | total 4",
        "openai-images openai/gpt-image-1 input 4 | output 16 | total 20 | images 1",
        "anthropic anthropic/claude-sonnet-4-5 input 46 | output 34 | total 80",
        "anthropic-embeddings openai/text-embedding-3-small input 4 | total 4",
        "anthropic-images openai/gpt-image-1 input 4 | output 16 | total 20 | images 1",
        "long-context anthropic/claude-sonnet-4-5 input 3 | output 4 | total 7",
    ]
    assert re.search(r"\n19 requests in \d+\.\d\d s \(client and server in this one process\)\n$", out)


def test_a_real_provider_needs_its_key() -> None:
    result = demo("--model", "openai/gpt-4.1-mini")
    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        result.stderr == "modelwire demo: --model openai/gpt-4.1-mini needs an API key: set OPENAI_API_KEY\n"
    )


def test_options_of_a_real_provider_need_model() -> None:
    result = demo("--embedding-model", "openai/text-embedding-3-small")
    assert (result.returncode, result.stderr) == (2, "modelwire demo: --embedding-model need --model\n")


def test_with_model_it_talks_to_that_provider_with_the_key_from_the_environment(
    local_server: LocalProviderServer,
) -> None:
    env = {"OPENAI_API_KEY": "sk-from-the-environment-42"}
    result = demo(
        "--model", "openai/gpt-4.1-mini", "--api-base", local_server.openai_base_url,
        "--api-key-env", "OPENAI_API_KEY",  # keys follow hosts: a user-given address names its variable
        "--embedding-model", "openai/text-embedding-3-small", "--image-model", "openai/gpt-image-1",
        env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    labels = [label for label, _ in steps(result.stdout)]
    assert labels == ["chat", "stream", "tool call", "embedding", "image"]
    assert "echo: In one sentence: why should a client reuse its HTTP connections?" in result.stdout
    assert "get_weather(" in result.stdout
    assert {r.header("authorization") for r in local_server.requests} == {"Bearer sk-from-the-environment-42"}
    chat = local_server.requests_for("chat_completions")
    assert [r.json["max_tokens"] for r in chat] == [150, 150, 300, 300]
    assert chat[1].json["stream"] is True
    assert chat[2].json["tool_choice"] == "required"
    assert "  openai/gpt-4.1-mini" in result.stdout.split("\nUsage\n")[1]


def test_a_failing_provider_is_reported_without_its_key(local_server: LocalProviderServer) -> None:
    local_server.configure(api_keys=["sk-the-only-valid-key"])
    key = "sk-rejected-by-the-server-0123456789"
    result = demo("--model", "openai/gpt-4.1-mini", "--api-base", local_server.openai_base_url,
                  env={"OPENAI_API_KEY": key})  # fmt: skip
    assert result.returncode == 1
    labels = steps(result.stdout)
    assert [label for label, _ in labels] == ["chat", "stream", "tool call"]
    # One model: its own error, saying what the provider answered.
    assert all(text.startswith("FAILED AuthenticationError: [openai/gpt-4.1-mini] ") for _, text in labels)
    assert key not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("flag", ["--help"])
def test_the_demo_is_a_listed_command(flag: str) -> None:
    listed = subprocess.run([sys.executable, "-m", "modelwire", flag], capture_output=True, text=True)
    assert "demo" in listed.stdout
    assert "run a chat, a tool-call round trip" in listed.stdout


def test_responses_api_is_shown_locally_when_asked() -> None:
    result = demo("--responses-api")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("\nOpenAI Responses API: openai/gpt-5-mini at ")[1].split("\n\n")[0]
    answer = "echo: In one sentence: why should a client reuse its HTTP connections?"
    # The tool round trip sends the reasoning items back; the server refuses them if they are not intact.
    assert steps(section) == [
        ("chat", answer),
        ("stream", f"14 events -> {answer}"),
        ("tool call", 'get_weather({"city":"echo-city"}) -> tool result: sunny, 21 C'),
    ]


def test_with_model_and_responses_api_it_uses_the_responses_route(local_server: LocalProviderServer) -> None:
    result = demo(
        "--model", "openai/gpt-5", "--api-base", local_server.openai_base_url,
        "--api-key-env", "OPENAI_API_KEY", "--responses-api",
        env={"OPENAI_API_KEY": "sk-from-the-environment-42"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [label for label, _ in steps(result.stdout)] == ["chat", "stream", "tool call"]
    sent = local_server.requests_for("responses")
    assert len(sent) == 4
    assert [r.json.get("max_output_tokens") for r in sent] == [150, 150, 300, 300]
    assert sent[3].json["input"][-1]["type"] == "function_call_output"
