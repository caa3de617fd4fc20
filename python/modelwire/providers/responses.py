"""The OpenAI Responses API (``POST /responses``) as a dialect: ``responses_dialect(OPENAI)``.

Chosen per model with ``ModelSpec(responses_api=True)`` (or ``responses_api=True`` on
``OpenAICompatibleClient`` / ``AzureOpenAIClient``): chat requests are translated by
:func:`modelwire.request.responses.responses_body_fields`, answers read by ``parse_responses`` and streams
by the ``responses`` folder; embeddings and images keep OpenAI's routes. The request's ``extra_body`` is
merged last, so ``extra_body={"store": True}`` stores responses and ``{"reasoning": {...}}`` replaces the
reasoning settings whole.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from modelwire.parsing import parse_responses
from modelwire.providers.dialect import Body, Context, Dialect, Operation, StreamRoute
from modelwire.request.responses import responses_body_fields
from modelwire.types import ChatCompletionRequest

__all__ = ["RESPONSES_PATH", "responses_dialect"]

RESPONSES_PATH: Final = "/responses"


def _chat(request: ChatCompletionRequest, ctx: Context) -> Body:
    fields, dropped = responses_body_fields(
        request, provider=ctx.provider, drop_params=ctx.drop_params, stream=ctx.stream
    )
    return Body(fields, exclude=ChatCompletionRequest.BODY_FIELDS, dropped=dropped)


def responses_dialect(base: Dialect) -> Dialect:
    """``base`` (the OpenAI dialect) with chat and streaming on the Responses API; other operations stay."""
    return dataclasses.replace(
        base,
        api="the OpenAI Responses API",
        chat=Operation(RESPONSES_PATH, _chat, parse_responses),
        stream=StreamRoute(RESPONSES_PATH, "responses"),
    )
