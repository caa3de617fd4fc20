"""A TLS certificate or configuration failure is not retried and says so (issue 15.12): four identical
failing handshakes used to be made, as for a dropped connection."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelwire import APIConnectionError, Client
from modelwire.errors import from_transport_error
from tls_server import TlsServer, have_openssl

pytestmark = pytest.mark.skipif(not have_openssl(), reason="needs the openssl command")


@pytest.fixture
def tls(tmp_path: Path) -> Iterator[TlsServer]:
    server = TlsServer(tmp_path)
    yield server
    server.stop()


def test_a_self_signed_certificate_fails_once_and_says_it_is_not_retried(tls: TlsServer) -> None:
    client = Client("openai/m", api_base=tls.url, api_key="sk-test", max_retries=3)
    # One model: its own last error is raised (issue 11), after one attempt.
    with client, pytest.raises(APIConnectionError) as caught:
        client.complete("hi")
    error = caught.value
    assert error.retryable is False
    assert "certificate or configuration (not retried)" in error.message
    assert "CERTIFICATE_VERIFY_FAILED" in error.message
    assert tls.handshakes == 1


def test_the_same_server_trusted_answers_so_the_failure_was_the_certificate(tls: TlsServer) -> None:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(tls.cert))) as trusting:
        assert trusting.post(tls.url + "/chat/completions", content=b"{}").status_code == 500


def test_tls_spoken_to_a_plain_http_port_is_a_configuration_error() -> None:
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)")
    error.reason = "WRONG_VERSION_NUMBER"  # type: ignore[misc]
    wrapped = httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)")
    wrapped.__cause__ = error
    converted = from_transport_error(wrapped, provider="p")
    assert (converted.retryable, "not retried" in converted.message) == (False, True)


@pytest.mark.parametrize(
    "exc",
    [ssl.SSLEOFError(8, "EOF occurred in violation of protocol"), ssl.SSLError(1, "handshake failure"),
     httpx.ConnectError("[Errno 111] Connection refused")],
)  # fmt: skip
def test_a_handshake_cut_short_stays_retryable(exc: BaseException) -> None:
    converted = from_transport_error(exc, provider="p")
    assert converted.retryable is True
    assert "not retried" not in converted.message
