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
from modelwire.providers._base import HttpAdapter, spec_options
from modelwire.providers.catalog import PROVIDERS, env_value
from modelwire.providers.dialect import Dialect
from modelwire.providers.keys import env_keys_enabled, key_env_for, resolve_api_key
from modelwire.providers.openai_compatible import OPENAI, OpenAICompatibleClient
from modelwire.providers.responses import RESPONSES_PATH, responses_dialect
from modelwire.transport import TimeoutSpec

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["AzureOpenAIClient"]

_INFO: Final = PROVIDERS["azure"]
_VERSION_ENV: Final = ("AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION", "AZURE_API_VERSION")
_TOKEN_ENV: Final = ("AZURE_OPENAI_AD_TOKEN",)
_OPERATIONS: Final = ("/chat/completions", "/embeddings", "/images/generations")
_DEPLOYMENTS: Final = "/openai/deployments/"
# Every Azure OpenAI resource has a host of its own under these: they are Azure's hosts for the key rule.
AZURE_HOSTS: Final = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


def azure_dialect(
    api_version: str | None,
    deployment: str | None,
    *,
    url_names_deployment: bool,
    v1: bool,
    responses: bool = False,
) -> Dialect:
    """The OpenAI dialect on Azure's paths: ``/openai/deployments/<deployment or {model}>/<operation>``, or
    the operation alone under a URL that names the deployment or the v1 API; ``?api-version=`` written
    into each path once (a ``params=`` mapping would cost httpx a query merge per request). With
    ``responses``, chat goes to the Responses API: ``/openai/responses`` (the model in the body), or
    ``/responses`` under the v1 API."""
    query = f"?api-version={quote(api_version, safe='')}" if api_version else ""
    if v1 or url_names_deployment:
        prefix = ""
    else:
        prefix = _DEPLOYMENTS + (quote(deployment, safe="") if deployment else "{model}")

    def path(operation: str) -> str:
        if operation == RESPONSES_PATH and not v1:
            return f"/openai{operation}{query}"
        return f"{prefix}{operation}{query}"

    return (responses_dialect(OPENAI) if responses else OPENAI).rerouted(path)


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
        api_key_from_env: bool = True,
        responses_api: bool = False,
    ) -> None:
        from_env = not base_url
        endpoint = base_url or env_value(_INFO.base_url_env)[0]
        if not endpoint:
            raise ValueError(
                "Azure OpenAI needs its endpoint: pass base_url= (https://<resource>.openai.azure.com, or "
                "its /openai/v1 URL) or set AZURE_OPENAI_ENDPOINT"
            )
        root, fixed_deployment, url_version, v1 = _parse_endpoint(endpoint)
        url_names_deployment = fixed_deployment is not None
        if responses_api and url_names_deployment:
            # The Responses API lives beside the deployments: address the resource, the deployment by path.
            root, url_names_deployment = root[: root.find(_DEPLOYMENTS)], False
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
        env = key_env_for(
            _INFO,
            root,
            api_key_env=api_key_env,
            api_key_from_env=api_key_from_env,
            base_url_from_env=from_env,
            host_suffixes=AZURE_HOSTS,
        )
        key = resolve_api_key(api_key, provider="azure", env=env, required=False)
        token_env = _TOKEN_ENV if env_keys_enabled(api_key_from_env) and env else ()
        auth = {"api-key": key} if key else self._token_header(azure_ad_token, env, token_env)
        HttpAdapter.__init__(
            self,
            dialect=azure_dialect(
                api_version,
                self.deployment,
                url_names_deployment=url_names_deployment,
                v1=v1,
                responses=responses_api,
            ),
            provider_name="azure",
            base_url=root,
            headers={**auth, **(headers or {})},
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
    def _token_header(token: Any, key_env: tuple[str, ...], token_env: tuple[str, ...]) -> dict[str, str]:
        if token is not None and hasattr(token, "get_secret_value"):
            token = token.get_secret_value()
        token = token or env_value(token_env)[0]
        if not token:
            if key_env:
                where = f"set {' or '.join(key_env)} (or pass azure_ad_token= / set AZURE_OPENAI_AD_TOKEN)"
            else:  # the environment was not read: this address is not Azure's, or lookup is off
                where = (
                    "azure_ad_token=, or name a variable with api_key_env= (environment keys are read only "
                    "for Azure's own hosts or the address AZURE_OPENAI_ENDPOINT gives)"
                )
            raise AuthenticationError(
                f"no API key for provider 'azure': pass api_key= or {where}", provider="azure"
            )
        register_secret(token)
        return {"authorization": f"Bearer {token}"}

    @classmethod
    def from_spec(cls, spec: ModelSpec, **overrides: Any) -> Self:
        """As :meth:`OpenAICompatibleClient.from_spec`, with ``api_version`` and no ``provider``."""
        options = {"api_version": spec.api_version, "responses_api": spec.responses_api, **spec_options(spec)}
        return cls(**{**options, **overrides})


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
