"""Signing Bedrock requests: SigV4 through botocore (the optional extra ``modelwire[bedrock]``, imported
only when a signer is made), or a Bedrock API key sent as a bearer token.

    signer = AwsSigner(region="us-east-1")            # or AwsSigner(api_key=...), AwsSigner(profile="dev")
    headers = signer("POST", url, {"content-type": "application/json"}, body)

A signer is the per-request signing step of the Bedrock dialect: called with the exact method, URL,
headers and body bytes about to be sent, it returns the headers to send (the ones given plus
``Authorization``, ``X-Amz-Date`` and, for temporary credentials, ``X-Amz-Security-Token``). Nothing
here computes SigV4 itself: botocore's ``SigV4Auth`` does.

Where things come from, first match wins:

- **API key** (bearer): ``api_key=``, else ``AWS_BEARER_TOKEN_BEDROCK`` (unless ``key_from_env=False``);
  no credentials are looked up then.
- **Credentials**: ``credentials=`` (any botocore credentials object), else botocore's standard chain for
  ``profile`` (environment variables, shared credentials and config files, SSO, ``credential_process``,
  assume-role, container and instance roles). Refreshable credentials (SSO, assumed roles, instance and
  container roles) are asked for a fresh frozen copy on every request, so they renew before expiry.
- **Region**: ``region=``, else ``AWS_REGION``, else ``AWS_DEFAULT_REGION`` or the profile's ``region``.

Secrets that pass through (the key, the secret access key, the session token) are registered for
redaction.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Final

from modelwire._redact import register_secret
from modelwire.exceptions import AuthenticationError, BadRequestError

__all__ = ["BEARER_TOKEN_ENV", "AwsSigner"]

BEARER_TOKEN_ENV: Final = "AWS_BEARER_TOKEN_BEDROCK"
_INSTALL: Final = "Bedrock needs botocore: pip install 'modelwire[bedrock]'"


def _botocore() -> tuple[Any, Any]:
    """botocore's session and auth modules (the extra is imported here, on first use)."""
    try:
        import botocore.auth
        import botocore.session
    except ImportError as exc:  # the extra is not installed
        raise ImportError(_INSTALL) from exc
    return botocore.session, botocore.auth


class AwsSigner:
    """``(method, url, headers, body) -> headers`` for one service in one region (see the module)."""

    __slots__ = ("_auth", "_credentials", "_token", "provider", "region", "service")

    def __init__(
        self,
        *,
        region: str | None = None,
        profile: str | None = None,
        api_key: str | None = None,
        credentials: Any = None,
        service: str = "bedrock",
        provider: str = "bedrock",
        key_from_env: bool = True,
    ) -> None:
        self.service = service
        self.provider = provider
        self._token = api_key or (os.environ.get(BEARER_TOKEN_ENV) if key_from_env else None) or None
        self._credentials: Any = None
        self._auth: Any = None
        if self._token is not None:
            register_secret(self._token)
            self.region = region or _env_region()
            return
        sessions, auth = _botocore()
        session = sessions.Session(profile=profile)
        self._credentials = credentials if credentials is not None else session.get_credentials()
        if self._credentials is None:
            raise AuthenticationError(
                "no AWS credentials for Bedrock: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile "
                "(AWS_PROFILE), SSO, a container or instance role, or a Bedrock API key "
                f"({BEARER_TOKEN_ENV})",
                provider=provider,
            )
        self.region = region or _env_region() or session.get_config_variable("region")
        if not self.region:
            raise BadRequestError(
                "no AWS region for Bedrock: pass region=, or set AWS_REGION or AWS_DEFAULT_REGION, or a "
                "region in the profile",
                provider=provider,
            )
        self._auth = auth.SigV4Auth

    def refresh_due(self) -> bool:
        """The credentials will be renewed by the next signature (a call to STS, SSO or an instance
        metadata service that may block): async callers sign in a worker thread then."""
        refresh_needed = getattr(self._credentials, "refresh_needed", None)
        return bool(refresh_needed()) if callable(refresh_needed) else False

    @property
    def uses_api_key(self) -> bool:
        """Requests carry a bearer API key instead of a SigV4 signature."""
        return self._token is not None

    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        if self._token is not None:
            return {**headers, "Authorization": f"Bearer {self._token}"}
        from botocore.awsrequest import AWSRequest

        # A refreshable provider renews here, before it expires; static credentials come back as they are.
        frozen = self._credentials.get_frozen_credentials()
        register_secret(frozen.secret_key)
        register_secret(frozen.token)
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        self._auth(frozen, self.service, self.region).add_auth(request)
        return dict(request.headers.items())


def _env_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
