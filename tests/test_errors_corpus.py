"""Golden tests: every recorded or transcribed error response in the corpus maps to the expected
exception class, kind, status, message, provider code and Retry-After (tests/error_expectations.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from corpus_files import Recording, recordings
from modelwire import ErrorKind, ProviderError
from modelwire.errors import classify_response
from modelwire.exceptions import error_class_for

ERROR_KINDS = ("errors", "errors_observed_in_issues")
_DOC = json.loads((Path(__file__).parent / "error_expectations.json").read_text(encoding="utf-8"))
NOW: float = _DOC["now"]
EXPECTED: dict[str, dict[str, Any]] = _DOC["expected"]
RECORDINGS = list(recordings(*ERROR_KINDS))


def test_every_error_recording_has_an_expectation_and_no_expectation_is_stale() -> None:
    paths = {recording.path for recording in RECORDINGS}
    assert sorted(paths - EXPECTED.keys()) == [], "new error recordings without an expectation"
    assert sorted(EXPECTED.keys() - paths) == [], "expectations for recordings that no longer exist"


def _classify(recording: Recording) -> ProviderError:
    expected = EXPECTED[recording.path]
    status = recording.status if recording.status is not None else expected["assume_status"]
    return classify_response(status, recording.headers, recording.body, provider=recording.provider, now=NOW)


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda r: r.id)
def test_corpus_error_is_classified_as_expected(recording: Recording) -> None:
    expected = EXPECTED[recording.path]
    error = _classify(recording)
    assert type(error) is error_class_for(ErrorKind(expected["kind"]))
    assert (error.kind.value, error.status_code, error.message) == (
        expected["kind"],
        expected["status"],
        expected["message"],
    )
    assert error.retry_after == expected["retry_after"]
    assert error.provider_code == expected["code"]
    assert error.should_retry == expected.get("should_retry")
    assert error.provider == recording.provider
    assert error.retryable is (
        expected["should_retry"] if "should_retry" in expected else ErrorKind(expected["kind"]).retryable
    )


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda r: r.id)
def test_corpus_error_keeps_a_short_excerpt_and_the_request_id(recording: Recording) -> None:
    error = _classify(recording)
    body = recording.body.strip()
    if body:
        assert error.body_excerpt is not None
        assert len(error.body_excerpt) <= 300
        assert error.body_excerpt[:20] == " ".join(body.decode().split())[:20]
    else:
        assert error.body_excerpt is None
    id_headers = {"x-request-id", "request-id", "x-amzn-requestid"}
    header_id = next((v for k, v in recording.headers.items() if k.lower() in id_headers), None)
    if header_id is not None:
        assert error.request_id == header_id


def test_the_corpus_covers_the_kinds_that_matter() -> None:
    """A guard against a corpus refresh silently dropping whole families of errors."""
    kinds = {EXPECTED[r.path]["kind"] for r in RECORDINGS}
    assert kinds >= {
        "authentication",
        "bad_request",
        "context_window_exceeded",
        "internal_server",
        "not_found",
        "overloaded",
        "permission_denied",
        "quota_exceeded",
        "rate_limit",
        "unprocessable_entity",
        "unsupported_params",
    }
