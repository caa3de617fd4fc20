"""No key reaches a message, repr, excerpt, code or request id, wherever the provider put it; and the
secret-scan plugin (tests/secret_scan.py) really fails a run that leaks one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelwire import ProviderError
from modelwire._redact import register_secret
from modelwire.errors import classify_response, classify_stream_error, from_transport_error
from secret_scan import find_keys

OPENAI_KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 2
ANTHROPIC_KEY = "sk-ant-api03-" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp"
GOOGLE_KEY = "AIzaSyA" + "1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
AWS_KEY = "AKIA" + "ABCDEFGHIJKLMNOP"
ODD_KEY = "corp-gateway-token-7f3a9c2e1b5d8f40"  # no known shape: masked only because it is registered


def _texts(error: ProviderError) -> list[str]:
    fields = (
        error.message,
        error.body_excerpt,
        error.provider_code,
        error.request_id,
        getattr(error, "params", ""),
    )
    return [str(error), repr(error), *(str(field) for field in fields if field)]


def _assert_clean(error: ProviderError, *secrets: str) -> None:
    for text in _texts(error):
        assert find_keys(text) == [], text
        for secret in secrets:
            # Not even a recognisable fragment survives (e.g. the head of a key cut by truncation).
            assert secret[:12] not in text, text
            assert secret[-12:] not in text, text


BODIES: list[tuple[str, int, Any, dict[str, str], str]] = [
    (
        "openai echoes the key",
        401,
        {"error": {"message": f"Incorrect API key provided: {OPENAI_KEY}.", "code": "invalid_api_key"}},
        {},
        OPENAI_KEY,
    ),
    (
        "anthropic echo",
        401,
        {
            "type": "error",
            "error": {"type": "authentication_error", "message": f"invalid x-api-key: {ANTHROPIC_KEY}"},
        },
        {},
        ANTHROPIC_KEY,
    ),
    (
        "gemini url with key",
        400,
        {
            "error": {
                "code": 400,
                "status": "INVALID_ARGUMENT",
                "message": f"bad request to /v1beta/models/x?key={GOOGLE_KEY}&alt=sse",
            }
        },
        {},
        GOOGLE_KEY,
    ),
    (
        "aws key in message",
        403,
        {"message": f"The security token {AWS_KEY} is invalid"},
        {"x-amzn-errortype": "UnrecognizedClientException"},
        AWS_KEY,
    ),
    ("key as provider code", 400, {"error": {"message": "m", "code": OPENAI_KEY}}, {}, OPENAI_KEY),
    (
        "key as param",
        400,
        {"error": {"message": "Unsupported parameter", "code": "unsupported_parameter", "param": OPENAI_KEY}},
        {},
        OPENAI_KEY,
    ),
    (
        "key in request id header",
        500,
        {"error": {"message": "m"}},
        {"x-request-id": f"Bearer {OPENAI_KEY}"},
        OPENAI_KEY,
    ),
    (
        "authorization echoed in html",
        502,
        f"<html><head><title>Proxy error, Authorization: Bearer {OPENAI_KEY}</title></head></html>".encode(),
        {},
        OPENAI_KEY,
    ),
    ("key at the truncation boundary", 500, ("x" * 180 + " " + GOOGLE_KEY).encode(), {}, GOOGLE_KEY),
    ("key deep in a long message", 400, {"error": {"message": "y" * 970 + " " + OPENAI_KEY}}, {}, OPENAI_KEY),
    (
        "openrouter upstream raw",
        401,
        {
            "error": {
                "code": 401,
                "message": "Provider returned error",
                "metadata": {
                    "raw": json.dumps({"error": {"message": f"Incorrect API key provided: {OPENAI_KEY}"}})
                },
            }
        },
        {},
        OPENAI_KEY,
    ),
    (
        "fastapi detail input echo",
        422,
        {"detail": [{"loc": ["header", "authorization"], "msg": "bad", "input": f"Bearer {OPENAI_KEY}"}]},
        {},
        OPENAI_KEY,
    ),
    ("registered odd key", 401, {"error": {"message": f"token {ODD_KEY} rejected"}}, {}, ODD_KEY),
]


@pytest.mark.parametrize(("case", "status", "body", "headers", "secret"), BODIES, ids=[b[0] for b in BODIES])
def test_keys_in_error_responses_never_surface(
    case: str, status: int, body: Any, headers: dict[str, str], secret: str
) -> None:
    register_secret(ODD_KEY)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    error = classify_response(status, headers, raw, provider="openai", model="m")
    _assert_clean(error, secret)


def test_keys_in_stream_errors_never_surface() -> None:
    payload = {
        "type": "error",
        "error": {"type": "authentication_error", "message": f"bad key {ANTHROPIC_KEY}"},
    }
    _assert_clean(classify_stream_error(payload, provider="anthropic"), ANTHROPIC_KEY)
    _assert_clean(classify_stream_error(json.dumps(payload), provider="anthropic"), ANTHROPIC_KEY)


def test_keys_in_transport_failures_never_surface() -> None:
    request = httpx.Request(
        "POST", f"https://generativelanguage.googleapis.com/v1beta/m:gen?key={GOOGLE_KEY}"
    )
    exc = httpx.ConnectError(
        f"failed for {request.url} with Authorization: Bearer {OPENAI_KEY}", request=request
    )
    error = from_transport_error(exc, provider="gemini")
    _assert_clean(error, GOOGLE_KEY, OPENAI_KEY)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"Incorrect API key provided: {OPENAI_KEY}", True),
        (f"x-api-key {ANTHROPIC_KEY}", True),
        (f"?key={GOOGLE_KEY}", True),
        (f"id {AWS_KEY} here", True),
        ("Authorization: Bearer abcdefghijklmnop1234", True),
        ("https://x.test/v1?alt=sse&key=plainvalue123", True),
        ("ya29.a0AfH6SMBx1234567890abcdefghij", True),
        ("Incorrect API key provided: sk-. You can find your API key", False),
        ("Incorrect API key provided: abc123.", False),
        ("sk-proj-****abcd", False),
        ("Bearer [REDACTED] and ?key=[REDACTED]", False),
        ("risk-assessment-framework-for-everyone", False),
        ("task_name hf_hub_download", False),
    ],
)
def test_scan_patterns(text: str, found: bool) -> None:
    assert bool(find_keys(text)) is found


LEAKY_TESTS = """
from modelwire import ProviderError

KEY = "sk-proj-" + "Q1w2E3r4T5y6U7i8O9p0" * 2


def test_masked_on_construction():
    ProviderError("Incorrect API key provided: " + KEY)


def test_leaks_through_an_attribute():
    error = ProviderError("boom")
    error.body_excerpt = "Authorization: Bearer " + KEY
"""


def _run_pytest(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(source))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "secret_scan", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_plugin_fails_a_run_that_leaks_a_key(tmp_path: Path) -> None:
    result = _run_pytest(tmp_path, LEAKY_TESTS)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout + result.stderr
    assert "2 passed" in result.stdout  # the tests themselves pass: only the scan fails the run
    assert "test_leaks_through_an_attribute: ProviderError.body_excerpt contains " in result.stdout
    assert "test_masked_on_construction" not in result.stdout.split("secret scan")[-1]
    assert "Q1w2E3r4T5y6" not in result.stdout  # the report shortens the key it found


def test_the_plugin_passes_a_clean_run(tmp_path: Path) -> None:
    clean = LEAKY_TESTS.split("def test_leaks_through_an_attribute")[0]
    result = _run_pytest(tmp_path, clean)
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert "secret scan" not in result.stdout
