"""A local provider server on 127.0.0.1 for tests, demos and benchmarks (stdlib only).

A real HTTP/1.1 server on asyncio streams that speaks the OpenAI-compatible API
(``/v1/chat/completions``, ``/v1/embeddings``, ``/v1/images/generations``), Azure OpenAI
(``/openai/deployments/{deployment}/...?api-version=...`` and ``/openai/v1/...``) and Anthropic Messages
(``/v1/messages``), streamed and not::

    with LocalProviderServer() as server:              # or LocalProviderServer.start_subprocess()
        server.enqueue(Route.CHAT, faults.rate_limited(retry_after=1), faults.drop_mid_body(100))
        ...  # point a client at server.openai_base_url / server.anthropic_base_url / server.azure_endpoint
        assert server.last_request.json["model"] == "gpt-4.1-mini"

- Default answers are deterministic echoes of the request (rules in ``modelwire.testing.echo``); auth
  headers are required (401 in each provider's shape when missing).
- ``server.enqueue(route, *faults, model=None)`` queues scripted ``Fault``s for the next requests of a
  route (factories in ``modelwire.testing.faults``); ``server.replay(recording)`` serves a corpus exchange.
- ``modelwire.testing.answers`` scripts whole answers in each dialect (a given text, tool call or refusal).
- OpenAI Files + Batches (``/v1/files``, ``/v1/batches``) and Anthropic Message Batches
  (``/v1/messages/batches``) answer each request line with its synchronous route's handler;
  ``server.script_batches(BatchScript(...))`` scripts progress over polls, failing lines and expiry.
- ``server.set_rate_limit(k)`` answers 429 with Retry-After above k requests per second.
- ``server.requests`` / ``server.last_request`` / ``server.counters()`` observe; ``clear()`` forgets the
  log and counters, ``reset()`` also drops queued faults and restores the starting settings.
"""

from modelwire.testing import answers, faults
from modelwire.testing.batch_jobs import BatchScript
from modelwire.testing.faults import Fault, FaultAction
from modelwire.testing.records import Counters, Provider, RateLimit, RecordedRequest, Route, ServerConfig
from modelwire.testing.server import LocalProviderServer

__all__ = [
    "BatchScript",
    "Counters",
    "Fault",
    "FaultAction",
    "LocalProviderServer",
    "Provider",
    "RateLimit",
    "RecordedRequest",
    "Route",
    "ServerConfig",
    "answers",
    "faults",
]
