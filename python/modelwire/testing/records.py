"""The server's public records: routes, settings, the request log entries and the counters.

Every record converts to and from plain JSON so the subprocess mode can ship it over the control endpoints.
"""

from __future__ import annotations

import base64
import json as _json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Literal

__all__ = ["Counters", "Provider", "RateLimit", "RecordedRequest", "Route", "ServerConfig"]


class Route(StrEnum):
    """An operation; scripted faults queue per route (OpenAI and Azure paths of one operation share it)."""

    CHAT = "chat_completions"
    EMBEDDINGS = "embeddings"
    IMAGES = "images_generations"
    MESSAGES = "messages"
    GENERATE_CONTENT = "generate_content"  # generateContent and streamGenerateContent (Gemini, Vertex AI)
    EMBED_CONTENT = "embed_content"  # embedContent, batchEmbedContents, Vertex predict
    RESPONSES = "responses"
    CONVERSE = "converse"  # Bedrock Converse and ConverseStream (one queue: the path says which)
    FILES = "files"  # OpenAI Files: upload, retrieve, content
    BATCHES = "batches"  # OpenAI Batch API: create, retrieve (poll), cancel
    MESSAGE_BATCHES = "message_batches"  # Anthropic Message Batches: create, retrieve, results, cancel


class Provider(StrEnum):
    """The wire dialect a request arrived in; it decides the shape of generated errors."""

    OPENAI = "openai"
    AZURE = "azure"
    ANTHROPIC = "anthropic"
    BEDROCK = "bedrock"
    GEMINI = "gemini"
    VERTEX = "vertex_ai"


RetryAfterForm = Literal["both", "seconds", "ms", "none"]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Allow ``requests_per_second`` (a token bucket holding ``burst`` tokens) and answer 429 above it.

    ``retry_after`` picks the headers on a 429: ``retry-after`` (whole seconds, rounded up),
    ``retry-after-ms`` (milliseconds, rounded up), both, or none. ``per_key`` keeps one bucket per API key.
    """

    requests_per_second: float
    burst: int | None = None
    per_key: bool = False
    retry_after: RetryAfterForm = "both"

    def __post_init__(self) -> None:
        if not self.requests_per_second > 0:
            raise ValueError(f"requests_per_second must be > 0, got {self.requests_per_second!r}")
        if self.burst is not None and self.burst < 1:
            raise ValueError(f"burst must be >= 1, got {self.burst!r}")
        if self.retry_after not in ("both", "seconds", "ms", "none"):
            raise ValueError(f"retry_after must be both, seconds, ms or none, got {self.retry_after!r}")

    @property
    def capacity(self) -> float:
        return float(self.burst) if self.burst is not None else max(1.0, self.requests_per_second)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests_per_second": self.requests_per_second,
            "burst": self.burst,
            "per_key": self.per_key,
            "retry_after": self.retry_after,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RateLimit:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Behaviour of the default (non-scripted) answers.

    ``require_auth``: answer 401 when the provider's auth header is missing. ``api_keys``: when not empty,
    only these keys are accepted (others get the provider's invalid-key 401). ``stream_event_delay``:
    default pause between streamed events (None sends a whole stream in one write). ``latency``: seconds
    each default answer waits before it is sent, as a model's generation time (rate-limit 429s and
    scripted answers are not delayed). ``record_requests``: keep the request log (turn off for long load
    runs). ``aws_region``: the region the Bedrock routes require in a SigV4 credential scope.
    """

    require_auth: bool = True
    api_keys: tuple[str, ...] = ()
    rate_limit: RateLimit | None = None
    embedding_dimensions: int = 32
    stream_event_delay: float | None = None
    latency: float = 0.0
    record_requests: bool = True
    aws_region: str = "us-east-1"

    def __post_init__(self) -> None:
        if self.embedding_dimensions < 1:
            raise ValueError(f"embedding_dimensions must be >= 1, got {self.embedding_dimensions!r}")
        if self.stream_event_delay is not None and self.stream_event_delay < 0:
            raise ValueError(f"stream_event_delay must be >= 0, got {self.stream_event_delay!r}")
        if not self.latency >= 0:
            raise ValueError(f"latency must be >= 0, got {self.latency!r}")

    def updated(self, **changes: Any) -> ServerConfig:
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unknown server settings: {', '.join(sorted(unknown))}")
        if "api_keys" in changes:
            changes["api_keys"] = tuple(changes["api_keys"] or ())
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "require_auth": self.require_auth,
            "api_keys": list(self.api_keys),
            "rate_limit": None if self.rate_limit is None else self.rate_limit.to_json(),
            "embedding_dimensions": self.embedding_dimensions,
            "stream_event_delay": self.stream_event_delay,
            "latency": self.latency,
            "record_requests": self.record_requests,
            "aws_region": self.aws_region,
        }

    @staticmethod
    def changes_from_json(data: dict[str, Any]) -> dict[str, Any]:
        """Keyword changes for ``updated`` from their JSON form (the rate limit rebuilt)."""
        changes = dict(data)
        if changes.get("rate_limit") is not None:
            changes["rate_limit"] = RateLimit.from_json(changes["rate_limit"])
        return changes

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerConfig:
        return cls().updated(**cls.changes_from_json(data))


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it. ``json`` is the decoded body (None when not JSON).

    ``connection`` numbers the TCP connection it came on (equal numbers prove keep-alive reuse); ``seq``
    numbers requests in arrival order. ``route``/``provider`` are None for unknown paths.
    """

    seq: int
    connection: int
    method: str
    path: str
    query_string: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_headers: tuple[tuple[str, str], ...]
    body: bytes
    json: Any
    route: str | None
    provider: str | None
    model: str | None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "connection": self.connection,
            "method": self.method,
            "path": self.path,
            "query_string": self.query_string,
            "query": self.query,
            "headers": self.headers,
            "raw_headers": [list(pair) for pair in self.raw_headers],
            "body_b64": base64.b64encode(self.body).decode("ascii"),
            "route": self.route,
            "provider": self.provider,
            "model": self.model,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordedRequest:
        body = base64.b64decode(data["body_b64"])
        return cls(
            seq=data["seq"],
            connection=data["connection"],
            method=data["method"],
            path=data["path"],
            query_string=data["query_string"],
            query=dict(data["query"]),
            headers=dict(data["headers"]),
            raw_headers=tuple((name, value) for name, value in data["raw_headers"]),
            body=body,
            json=decode_json(body),
            route=data["route"],
            provider=data["provider"],
            model=data["model"],
        )


def decode_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return _json.loads(body)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Counters:
    """What the server answered since the last ``clear()``/``reset()``.

    ``requests`` counts every request but the ``/_mw/`` control calls (unknown paths under the route
    ``"unknown"``); ``rate_limited`` the 429s the rate limiter gave; ``statuses`` every answered status
    (scripted ones included; dropped responses count under their status, reset or hung ones under 0 as no
    status line was sent); ``faults`` scripted responses consumed. ``models`` keys are the body's
    ``model`` (the deployment for Azure, "" when absent).
    """

    requests: int = 0
    rate_limited: int = 0
    faults: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    rate_limited_by_model: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "faults": self.faults,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "routes": self.routes,
            "models": self.models,
            "rate_limited_by_model": self.rate_limited_by_model,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counters:
        return cls(
            requests=data["requests"],
            rate_limited=data["rate_limited"],
            faults=data["faults"],
            statuses={int(k): v for k, v in data["statuses"].items()},
            routes=dict(data["routes"]),
            models=dict(data["models"]),
            rate_limited_by_model=dict(data["rate_limited_by_model"]),
        )
