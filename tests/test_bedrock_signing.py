"""Signing Bedrock requests (modelwire.transport.aws): the SigV4 headers equal those botocore's own
bedrock-runtime client sends for the same credentials, time, URL and body bytes (botocore is the
test-only oracle, with its clock frozen); refreshable credentials renew once they expire; the region and
credentials come from the standard places; Bedrock API keys are sent as bearer tokens."""

from __future__ import annotations

import contextlib
import datetime
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from botocore.awsrequest import AWSResponse
from botocore.credentials import Credentials, RefreshableCredentials
from botocore.session import Session

from modelwire import AuthenticationError, BadRequestError
from modelwire._redact import redact
from modelwire.request.bedrock import converse_path
from modelwire.transport.aws import AwsSigner

FROZEN = datetime.datetime(2026, 12, 6, 21, 0, 0)
KEY, SECRET, TOKEN = "AKIDEXAMPLE1234", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-abcdef"


_AWS_ENV = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_BEARER_TOKEN_BEDROCK", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials or region from the machine; no instance-metadata lookups."""
    for name in _AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.auth

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: FROZEN)


def _botocore_request(model: str, region: str, token: str | None) -> Any:
    """The request botocore's bedrock-runtime client would send for a Converse call (not sent)."""
    session = Session()
    client = session.create_client(
        "bedrock-runtime", region_name=region, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
        aws_session_token=token,
    )  # fmt: skip
    captured: list[Any] = []

    def capture(request: Any, **_: Any) -> AWSResponse:
        captured.append(request)
        return AWSResponse(request.url, 200, {"content-type": "application/json"}, None)

    client.meta.events.register("before-send", capture)
    # The empty fake response does not parse; the request was captured before.
    with contextlib.suppress(Exception):
        client.converse(modelId=model, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    return captured[0]


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize("token", [None, TOKEN])
@pytest.mark.parametrize(
    "model",
    [
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.amazon.nova-pro-v1:0",
    ],
)
def test_signatures_equal_what_botocore_sends(model: str, token: str | None) -> None:
    oracle = _botocore_request(model, "us-west-2", token)
    url = f"https://bedrock-runtime.us-west-2.amazonaws.com{converse_path(model)}"
    assert oracle.url == url  # the model id is encoded in the path as botocore encodes it
    sent = {
        name: value.decode() if isinstance(value, bytes) else value for name, value in oracle.headers.items()
    }
    signer = AwsSigner(region="us-west-2", credentials=Credentials(KEY, SECRET, token))
    signed = signer("POST", url, {"Content-Type": sent["Content-Type"]}, oracle.body)
    assert signed["Authorization"] == sent["Authorization"]
    assert signed["X-Amz-Date"] == sent["X-Amz-Date"] == "20261206T210000Z"
    assert signed.get("X-Amz-Security-Token") == sent.get("X-Amz-Security-Token") == token
    assert signed["Authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={KEY}/20261206/us-west-2/bedrock/aws4_request"
    )


@pytest.mark.usefixtures("frozen_clock")
def test_the_signature_covers_the_exact_body_bytes() -> None:
    signer = AwsSigner(region="eu-central-1", credentials=Credentials(KEY, SECRET))
    url = "https://bedrock-runtime.eu-central-1.amazonaws.com/model/m/converse"
    body = orjson.dumps({"messages": []})
    first = signer("POST", url, {"content-type": "application/json"}, body)
    again = signer("POST", url, {"content-type": "application/json"}, body)
    other = signer("POST", url, {"content-type": "application/json"}, body + b" ")
    assert first["Authorization"] == again["Authorization"] != other["Authorization"]
    assert "SignedHeaders=content-type;host;x-amz-date," in first["Authorization"]


def test_refreshable_credentials_renew_when_they_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    issued: list[str] = []

    def refresh() -> dict[str, str]:
        key = f"AKIDROTATED{len(issued):04d}"
        issued.append(key)
        # Already inside the refresh window: the next request asks for new ones.
        expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
        return {"access_key": key, "secret_key": SECRET, "token": TOKEN, "expiry_time": expiry.isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test-provider")
    signer = AwsSigner(region="us-east-1", credentials=credentials)
    url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse"
    first = signer("POST", url, {}, b"{}")["Authorization"]
    second = signer("POST", url, {}, b"{}")["Authorization"]
    assert "Credential=AKIDROTATED0000/" not in second
    assert first != second
    assert len(issued) >= 2


def test_credentials_and_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert AwsSigner().region == "ap-south-1"
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert AwsSigner().region == "eu-west-3"
    assert AwsSigner(region="us-east-2").region == "us-east-2"
    signed = AwsSigner()("POST", "https://bedrock-runtime.eu-west-3.amazonaws.com/model/m/converse", {}, b"")
    assert f"Credential={KEY}/" in signed["Authorization"]
    assert "/eu-west-3/bedrock/aws4_request" in signed["Authorization"]


def test_credentials_and_region_from_a_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "config").write_text("[profile dev]\nregion = ca-central-1\n")
    (tmp_path / "credentials").write_text(
        f"[dev]\naws_access_key_id = AKIDPROFILE0001\naws_secret_access_key = {SECRET}\n"
    )
    signer = AwsSigner(profile="dev")
    assert signer.region == "ca-central-1"
    signed = signer("POST", "https://bedrock-runtime.ca-central-1.amazonaws.com/model/m/converse", {}, b"")
    assert "Credential=AKIDPROFILE0001/" in signed["Authorization"]


def test_no_credentials_or_no_region_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AuthenticationError, match="no AWS credentials for Bedrock"):
        AwsSigner(region="us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    with pytest.raises(BadRequestError, match="no AWS region for Bedrock"):
        AwsSigner()


def test_an_api_key_is_a_bearer_token_and_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-0123456789")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    signer = AwsSigner()
    assert signer.uses_api_key
    assert signer.region == "us-east-1"
    headers = signer(
        "POST", "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse", {"a": "b"}, b""
    )
    assert headers == {"a": "b", "Authorization": "Bearer bedrock-api-key-0123456789"}
    assert "bedrock-api-key-0123456789" not in redact("key bedrock-api-key-0123456789 leaked")
    assert AwsSigner(api_key="another-key-abcdefgh")("GET", "https://x", {}, b"")["Authorization"] == (
        "Bearer another-key-abcdefgh"
    )


def test_the_secret_key_is_registered_for_redaction() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG+REDACTMEPLEASE"
    signer = AwsSigner(region="us-east-1", credentials=Credentials(KEY, secret))
    signer("POST", "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse", {}, b"")
    assert secret not in redact(f"oops {secret}")


def test_botocore_is_imported_only_when_a_signer_is_made() -> None:
    code = (
        "import sys, modelwire, modelwire.transport.aws, modelwire.request.bedrock\n"
        "import modelwire.parsing.stream\n"
        "print('botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
