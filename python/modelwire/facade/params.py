"""Per-call keyword parameters that are not fields of the canonical request, checked against the request
fields a provider documents, so that a misspelling (``temprature=``) is a ``TypeError`` before anything
is sent instead of a body field the provider rejects, or silently ignores.

Only providers whose request fields are known are checked (OpenAI, Azure OpenAI, Anthropic); for any other
server an unknown keyword still goes to the body, as a provider extension. ``extra_body={...}`` is the
escape hatch for a real extension the table does not know yet.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from modelwire.config import ModelSpec

__all__ = ["KNOWN_EXTRAS", "check_extras", "known_fields_provider"]

_OPENAI_CHAT: Final = frozenset(
    {
        "logit_bias", "user", "store", "metadata", "prediction", "modalities", "audio", "service_tier",
        "web_search_options", "verbosity", "prompt_cache_key", "safety_identifier", "stream_options",
        "functions", "function_call",
    }
)  # fmt: skip
_OPENAI: Final = {
    "complete()": _OPENAI_CHAT,
    "embed()": frozenset({"user"}),
    "generate_image()": frozenset(
        {"user", "style", "background", "moderation", "output_format", "output_compression", "partial_images"}
    ),
}
# The request fields each known provider documents beyond the canonical request's, per operation.
KNOWN_EXTRAS: Final[Mapping[str, Mapping[str, frozenset[str]]]] = {
    "openai": _OPENAI,
    "azure": _OPENAI,
    "anthropic": {
        "complete()": frozenset(
            {"top_k", "metadata", "thinking", "service_tier", "stop_sequences", "mcp_servers", "container"}
        ),
    },
}


def known_fields_provider(spec: ModelSpec) -> str | None:
    """The provider whose request fields ``spec``'s calls are checked against, if any: ``openai/`` with
    an ``api_base`` is LiteLLM's way to reach any OpenAI-compatible server (vLLM takes ``top_k``), so
    only OpenAI's own address is checked; Azure and Anthropic speak their own API wherever they are."""
    provider = spec.provider_name
    if provider == "openai" and spec.route.api_base is not None:
        return None
    return provider


def check_extras(
    extras: Iterable[str], known_fields: frozenset[str], what: str, models: Iterable[tuple[str, str | None]]
) -> None:
    """Raise ``TypeError`` for the first of ``extras`` that a known provider of ``models`` ((name,
    provider) pairs) does not take, suggesting the nearest field and ``extra_body=``."""
    names = list(extras)
    if not names:
        return
    for model, provider in models:
        known = KNOWN_EXTRAS.get(provider or "", {}).get(what)
        if known is None:
            continue
        for name in names:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known_fields | known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise TypeError(
                    f"{what} got an unexpected parameter {name!r}{hint}: {model} ({provider}) takes no such "
                    "request field; pass a real provider extension as extra_body={...}"
                )
