"""The ``modelwire`` command line: ``parse`` on the built-in sample, corpus files, raw bodies, stdin."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import modelwire
from corpus_files import CORPUS_DIR
from modelwire.cli import main
from parse_support import rust

EMBEDDINGS = CORPUS_DIR / "openai/embeddings/vercel-ai__openai-embedding.json"
IMAGES = CORPUS_DIR / "openai/images/vercel-ai__openai-image.json"
BACKENDS = ["python", pytest.param("rust", marks=pytest.mark.skipif(rust is None, reason="no extension"))]


def test_parse_without_arguments_shows_the_builtin_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("chat completion from deepseek (the built-in sample, parsed by the ")
    assert f"parsed by the {modelwire.BACKEND} parser" in out
    assert "deepseek-v4-flash" in out
    assert 'load_capability({"id": "DICE_ROLL"})  id=call_00_sXqYgMESDht75NCLLZtt9804' in out
    assert "finish tool_calls (sent as 'tool_calls')" in out
    assert "input 563 | output 116 | total 679 | reasoning 60 | cache read 512" in out
    assert "The user wants to play a dice game" in out


@pytest.mark.parametrize("backend", BACKENDS)
def test_corpus_files_use_their_body_and_provider(backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(EMBEDDINGS), "--backend", backend]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"embeddings from openai ({EMBEDDINGS}, parsed by the {backend} parser)")
    assert "2 x 5 float32" in out
    assert "[0.00572932, -0.0127278, 0.0200421, -0.0134376, 0.0228331]" in out


def test_both_backends_print_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    if rust is None:
        pytest.skip("no extension")
    outputs = []
    for backend in ("python", "rust"):
        assert main(["parse", str(IMAGES), "--backend", backend]) == 0
        outputs.append(capsys.readouterr().out.replace(f"the {backend} parser", "the parser"))
    assert outputs[0] == outputs[1]
    assert "image/png, 100 base64 chars" in outputs[0]


def test_raw_body_with_explicit_kind_and_provider(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "body.json"
    body.write_bytes(b'{"data": [{"embedding": [1.5, 2.0]}], "model": "e"}')
    assert main(["parse", str(body), "--kind", "embeddings", "--provider", "vllm"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("embeddings from vllm")
    assert "1 x 2 float32" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--json"]) == 0
    data = orjson.loads(capsys.readouterr().out)
    assert data["model"] == "deepseek-v4-flash"
    assert data["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "load_capability"
    assert data["usage"]["cache_read_tokens"] == 512


def test_bad_input_on_stdin_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"<html>502 Bad Gateway</html>")))
    assert main(["parse", "-"]) == 1
    err = capsys.readouterr().err
    assert "<stdin>: [openai] response body is not valid JSON" in err
    assert "(byte 0)" in err
    assert "502 Bad Gateway" in err


def test_missing_file_and_missing_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main([]) == 2
    assert "parse" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "modelwire", "parse", str(EMBEDDINGS)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 x 5 float32" in done.stdout
    version = subprocess.run(
        [sys.executable, "-m", "modelwire", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert version.stdout.strip() == (
        f"modelwire {modelwire.__version__} ({modelwire.BACKEND} backend: {modelwire.BACKEND_REASON})"
    )


RESPONSES = CORPUS_DIR / "openai/responses/vercel-ai__openai-reasoning-encrypted-content.1.json"


@pytest.mark.parametrize("backend", BACKENDS)
def test_responses_bodies_are_recognised(backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(RESPONSES), "--backend", backend, "--json"]) == 0
    result = orjson.loads(capsys.readouterr().out)
    message = result["choices"][0]["message"]
    assert message["content"].startswith("12 + 7 = 19")
    assert message["reasoning_items"][0]["encrypted_content"].startswith("gAAAA")
    assert result["provider"] == "openai"
    assert result["choices"][0]["native_finish_reason"] == "completed"


@pytest.mark.parametrize("backend", ["python", "rust"])
def test_parse_reads_gemini_bodies(backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    if backend == "rust" and rust is None:
        pytest.skip("the Rust extension is not built")
    corpus = CORPUS_DIR
    body = corpus / "gemini/generate_content/pydantic-ai__test_google_model_top_p__i0.json"
    assert main(["parse", str(body), "--backend", backend]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"chat completion from gemini ({body}, parsed by the {backend} parser)")
    assert "The capital of France is Paris." in out
    batch = corpus / "gemini/embeddings/llm-gemini__test_embedding_batch__i0.json"
    assert main(["parse", str(batch), "--backend", backend]) == 0
    assert "shape      2 x 768 float32" in capsys.readouterr().out
    blocked = (
        corpus
        / "vertex/generate_content"
        / "pydantic-ai__test_google_model_armor_prompt_template_text_gets_blocked__i1.json"
    )
    assert main(["parse", str(blocked), "--backend", backend]) == 1
    assert "the prompt was blocked (MODEL_ARMOR)" in capsys.readouterr().err
