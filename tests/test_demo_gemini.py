"""``modelwire demo --model gemini/...`` against the local server standing in for the Gemini API: the
native adapter end to end in a subprocess, with the key from the environment in ``x-goog-api-key``."""

from __future__ import annotations

from modelwire.testing import LocalProviderServer
from test_demo import demo, steps


def test_the_demo_talks_to_gemini_natively(local_server: LocalProviderServer) -> None:
    key = "AIza-demo-key-from-the-environment"
    result = demo(
        "--model", "gemini/gemini-2.5-flash", "--api-base", local_server.gemini_base_url,
        "--api-key-env", "GEMINI_API_KEY", "--embedding-model", "gemini/gemini-embedding-001",
        env={"GEMINI_API_KEY": key},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = steps(result.stdout)
    assert [label for label, _ in found] == ["chat", "stream", "tool call", "embedding"]
    answer = "echo: In one sentence: why should a client reuse its HTTP connections?"
    assert found[0][1] == answer
    assert found[1][1].endswith(f"events -> {answer}")
    assert found[2][1] == 'get_weather({"city":"echo-city"}) -> tool result: sunny, 21 C'
    assert found[3][1].startswith("2 x 32 float32 [")
    assert {r.header("x-goog-api-key") for r in local_server.requests} == {key}
    assert [r.path.rpartition(":")[2] for r in local_server.requests] == [
        "generateContent", "streamGenerateContent", "generateContent", "generateContent",
        "batchEmbedContents",
    ]  # fmt: skip
    usage = result.stdout.split("\nUsage\n")[1]
    assert "gemini/gemini-2.5-flash" in usage
    assert "gemini/gemini-embedding-001" in usage
