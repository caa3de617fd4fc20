"""``AzureOpenAIClient``: the OpenAI-compatible adapter with Azure OpenAI's addressing and auth.

Three endpoint forms are understood:

- a resource root (``https://<resource>.openai.azure.com``): requests go to
  ``/openai/deployments/<deployment>/<operation>?api-version=...``, the deployment being ``deployment=``
  or else the request's ``model``;
- a deployment URL (``.../openai/deployments/<name>``, also the portal's full "target URI" with its
  operation and ``?api-version=``): that deployment, always;
- the versionless v1 API (``.../openai/v1``): ``/openai/v1/<operation>``, the model in the body, and an
  ``api-version`` only when one is passed explicitly.

The key goes in the ``api-key`` header (``AZURE_OPENAI_API_KEY`` / ``AZURE_API_KEY``); with no key, an
Entra ID token (``azure_ad_token=`` or ``AZURE_OPENAI_AD_TOKEN``) is sent as a bearer token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Self
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

from modelwire._constants import DEFAULT_MAX_RESPONSE_BYTES
from modelwire._redact import register_secret
from modelwire.exceptions import AuthenticationError
from modelwire.providers._base import HttpAdapter, resolve_api_key, spec_options
from modelwire.providers.catalog import PROVIDERS, env_value
from modelwire.providers.openai_compatible import OpenAICompatibleClient, warn_if_responses_api
from modelwire.transport import TimeoutSpec

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["AzureOpenAIClient"]

_INFO: Final = PROVIDERS["azure"]
_VERSION_ENV: Final = ("AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION", "AZURE_API_VERSION")
_TOKEN_ENV: Final = ("AZURE_OPENAI_AD_TOKEN",)
_OPERATIONS: Final = ("/chat/completions", "/embeddings", "/images/generations")
_DEPLOYMENTS: Final = "/openai/deployments/"


class AzureOpenAIClient(OpenAICompatibleClient):
    """Azure OpenAI. ``base_url`` is the endpoint (or ``AZURE_OPENAI_ENDPOINT`` / ``AZURE_API_BASE``);
    ``api_version`` (or ``AZURE_OPENAI_API_VERSION`` / ``OPENAI_API_VERSION``) is required except for the
    v1 API. Other options are those of :class:`OpenAICompatibleClient`."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: Any = None,
        api_key_env: str | None = None,
        api_version: str | None = None,
        deployment: str | None = None,
        azure_ad_token: Any = None,
        timeout: TimeoutSpec = ...,
        max_concurrency: int | None = None,
        headers: Mapping[str, str] | None = None,
        http_client: Any | None = None,
        async_http_client: Any | None = None,
        transport: Any | None = None,
        async_transport: Any | None = None,
        default_params: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        drop_params: bool = False,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        trust_env: bool = True,
    ) -> None:
        endpoint = base_url or env_value(_INFO.base_url_env)[0]
        if not endpoint:
            raise ValueError(
                "Azure OpenAI needs its endpoint: pass base_url= (https://<resource>.openai.azure.com, or "
                "its /openai/v1 URL) or set AZURE_OPENAI_ENDPOINT"
            )
        root, fixed_deployment, url_version, v1 = _parse_endpoint(endpoint)
        if api_version is None and not v1:
            api_version = url_version or env_value(_VERSION_ENV)[0]
            if not api_version:
                raise ValueError(
                    "Azure OpenAI deployment URLs need an api-version: pass api_version= or set "
                    "AZURE_OPENAI_API_VERSION (or use the versionless https://<resource>.openai.azure.com"
                    "/openai/v1 endpoint)"
                )
        self.api_version = api_version
        self.deployment = fixed_deployment or deployment
        self._v1 = v1
        self._url_names_deployment = fixed_deployment is not None
        env = (api_key_env,) if api_key_env else _INFO.key_env
        key = resolve_api_key(api_key, provider="azure", env=env, required=False)
        auth = {"api-key": key} if key else self._token_header(azure_ad_token, env)
        HttpAdapter.__init__(
            self,
            provider_name="azure",
            base_url=root,
            headers={**auth, "content-type": "application/json", **(headers or {})},
            timeout=timeout,
            max_concurrency=max_concurrency,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
            async_transport=async_transport,
            default_params=default_params,
            extra_body=extra_body,
            drop_params=drop_params,
            max_response_bytes=max_response_bytes,
            trust_env=trust_env,
        )

    @staticmethod
    def _token_header(token: Any, key_env: tuple[str, ...]) -> dict[str, str]:
        if token is not None and hasattr(token, "get_secret_value"):
            token = token.get_secret_value()
        token = token or env_value(_TOKEN_ENV)[0]
        if not token:
            raise AuthenticationError(
                f"no API key for provider 'azure': pass api_key= or set {' or '.join(key_env)} "
                "(or pass azure_ad_token= / set AZURE_OPENAI_AD_TOKEN)",
                provider="azure",
            )
        register_secret(token)
        return {"authorization": f"Bearer {token}"}

    @classmethod
    def from_spec(cls, spec: ModelSpec, **overrides: Any) -> Self:
        """As :meth:`OpenAICompatibleClient.from_spec`, with ``api_version`` and no ``provider``."""
        warn_if_responses_api(spec)
        return cls(**{"api_version": spec.api_version, **spec_options(spec), **overrides})

    def _path(self, operation: str, model: str) -> str:
        # The api-version is written into the path: handing httpx a params= mapping costs it a query merge
        # and re-encode on every request.
        query = f"?api-version={quote(self.api_version, safe='')}" if self.api_version else ""
        if self._v1 or self._url_names_deployment:
            return f"/{operation}{query}"
        return f"{_DEPLOYMENTS}{quote(self.deployment or model, safe='')}/{operation}{query}"


def _parse_endpoint(endpoint: str) -> tuple[str, str | None, str | None, bool]:
    """``(base URL, deployment fixed by the URL, api-version in its query, is the v1 API)``."""
    parts = urlsplit(endpoint.strip())
    versions = parse_qs(parts.query).get("api-version")
    version = versions[0] if versions else None
    path = parts.path.rstrip("/")
    for operation in _OPERATIONS:
        if path.endswith(operation):
            path = path[: -len(operation)]
            break
    deployment = None
    marker = path.find(_DEPLOYMENTS)
    if marker >= 0:
        deployment = path[marker + len(_DEPLOYMENTS) :].split("/", 1)[0] or None
        if deployment is not None:
            path = path[: marker + len(_DEPLOYMENTS) + len(deployment)]
    v1 = path.endswith("/openai/v1")
    root = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return root, deployment, version, v1
