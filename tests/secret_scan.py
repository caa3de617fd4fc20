"""pytest plugin: fail the run if any modelwire exception built during it shows a key-shaped string.

Every ``ModelwireError`` constructed while the tests run is recorded (``ModelwireError.__init__`` is wrapped
for the session). After each test its message, ``str``, ``repr``, body excerpt, snippet, provider code,
request id and parameter names are scanned with the patterns below, which are written independently of
``modelwire._redact`` so the check is not circular. Any hit fails the run and is listed, with the key
itself shortened so the report does not leak it either.

Enable with ``pytest_plugins = ["secret_scan"]`` in ``tests/conftest.py``, or ``-p secret_scan``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from typing import Any, Final

import pytest

from modelwire.exceptions import ModelwireError

# Shapes of real credentials, long enough that fixtures like "sk-." or "abc123" do not count, with the
# masked forms ("[REDACTED]", "sk-proj-****abcd") excluded because they cannot be used.
KEY_SHAPES: Final = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"sk-[A-Za-z0-9_-]{16,}"  # OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), OpenRouter (sk-or-), DeepSeek
    r"|AIza[0-9A-Za-z_-]{30,}"  # Google API keys
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])"  # AWS access key ids
    r"|(?:gsk|xai|hf|nvapi|pplx|csk|r8)[_-][A-Za-z0-9_-]{16,}"  # Groq, xAI, HF, NVIDIA, Perplexity, ...
    r"|ya29\.[0-9A-Za-z_-]{20,}"  # Google OAuth access tokens
    r"|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"  # JWTs
    r")"
    r"|(?i:bearer)\s+(?!\[)[A-Za-z0-9._~+/-]{16,}"
    r"|[?&](?i:key|api[-_]?key|access_token|token)=(?!\[|%5B)[^&\s\"'<>]{8,}"
)
_FIELDS: Final = ("message", "body_excerpt", "snippet", "provider_code", "request_id", "params")

_created: list[ModelwireError] = []
_findings: list[str] = []
_original_init: Callable[..., None] | None = None
_had_own_init = False


def find_keys(text: str) -> list[str]:
    """Key-shaped substrings of ``text``."""
    return [match.group(0) for match in KEY_SHAPES.finditer(text)]


def _shown(secret: str) -> str:
    return f"{secret[:6]}...({len(secret)} chars)"


def _texts(error: ModelwireError) -> Iterator[tuple[str, str]]:
    for label, render in (("str", str), ("repr", repr)):
        try:
            yield label, render(error)
        except Exception as exc:  # a broken __str__ is a bug too, but not this plugin's to report
            yield label, f"<{label} raised {type(exc).__name__}>"
    for name in _FIELDS:
        value = getattr(error, name, None)
        if value:
            yield name, str(value)


def scan(errors: list[ModelwireError], where: str) -> list[str]:
    findings: list[str] = []
    for error in errors:
        for label, text in _texts(error):
            findings.extend(
                f"{where}: {type(error).__name__}.{label} contains {_shown(secret)}"
                for secret in find_keys(text)
            )
    return findings


def _recording_init(self: ModelwireError, *args: Any, **kwargs: Any) -> None:
    _created.append(self)
    super(ModelwireError, self).__init__(*args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    global _original_init, _had_own_init
    _had_own_init = "__init__" in ModelwireError.__dict__
    _original_init = ModelwireError.__dict__.get("__init__")
    ModelwireError.__init__ = _recording_init  # type: ignore[method-assign,assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _had_own_init:
        ModelwireError.__init__ = _original_init  # type: ignore[method-assign,assignment]
    elif "__init__" in ModelwireError.__dict__:
        del ModelwireError.__init__


def _drain(where: str) -> None:
    errors = list(_created)
    _created.clear()
    _findings.extend(scan(errors, where))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    _drain("before tests")  # built at import or collection time
    try:
        return (yield)
    finally:
        _drain(item.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _drain("session")
    if _findings and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _findings:
        return
    terminalreporter.section("secret scan: key-shaped strings in modelwire exceptions", red=True, bold=True)
    for finding in _findings:
        terminalreporter.line(finding, red=True)
