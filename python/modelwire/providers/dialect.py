"""A provider's wire dialect: everything that differs between providers, declared as data and callables.

An adapter is one :class:`~modelwire.providers.HttpAdapter` (keys, transports, sending, lifecycle, errors,
streaming) driven by one ``Dialect``. The dialect says, per operation (chat, stream, embeddings, images),
where the request goes, how a canonical request becomes that provider's body and headers, and which parser
reads the answer; which stream folder reads its streams; which reader classifies its errors; and how a
request is signed just before it is sent. An operation it lacks (``None``) is a capability it does not
have: the adapter raises ``UnsupportedCapabilityError`` for it and its ``supports_*`` method says False.

    OPENAI = Dialect(
        api="the OpenAI API",
        chat=Operation("/chat/completions", chat_body, parse_chat_completion),
        stream=StreamRoute("/chat/completions", "openai"),
        embeddings=Operation("/embeddings", embeddings_body, parse_embeddings),
    )

Paths are relative to the adapter's base URL; ``{model}`` in one is replaced by the request's model,
URL-quoted (``/model/{model}/converse``). A path may carry a query (``?api-version=...``).

A dialect is immutable: one made for an instance (a signer holding credentials, Azure's deployment paths)
is a ``dataclasses.replace`` of a module-level one, or built by :meth:`Dialect.rerouted`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from modelwire.errors import classify_response, classify_stream_error
from modelwire.exceptions import ProviderError
from modelwire.parsing.stream import StreamFormat
from modelwire.types import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ImageGenerationRequest,
    ImageGenerationResponse,
)

__all__ = [
    "AsyncSigner",
    "Body",
    "Context",
    "Dialect",
    "ErrorReader",
    "Operation",
    "OutgoingRequest",
    "Signer",
    "StreamErrorReader",
    "StreamRoute",
    "route_path",
]

R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Context:
    """What a translation step may need beside the request: the provider label (for errors), whether the
    caller asked to drop what the provider cannot take, and whether the chat request is streamed."""

    provider: str
    drop_params: bool = False
    stream: bool = False


@dataclass(frozen=True, slots=True)
class Body:
    """A translated request. ``fields`` are placed first in the JSON body, then the request's optional
    fields (``BODY_FIELDS``) that are set and not in ``exclude``, then its ``extra_body`` (which wins).
    ``headers``: per-request headers of the dialect (the request's ``extra_headers`` win over them).
    ``dropped``: parameters left out because of ``drop_params`` (the adapter warns once, naming them).
    ``route``: the operation whose path this request takes, when not its own (image generation through
    the chat route). ``merged_extra_body``: the translation already placed the request's ``extra_body``
    (Gemini nests parts of it under ``generationConfig``; Bedrock splits it between
    Converse's own fields and ``additionalModelRequestFields``), so it is not merged flat again."""

    fields: dict[str, Any]
    exclude: Collection[str] = ()
    headers: Mapping[str, str] | None = None
    dropped: tuple[str, ...] = ()
    route: str | None = None
    merged_extra_body: bool = False


@dataclass(frozen=True, slots=True)
class Operation(Generic[R, T]):
    """One operation: its path, its translation step, and the parser of a 2xx body
    (``parse(body, provider) -> canonical response``)."""

    path: str
    translate: Callable[[R, Context], Body]
    parse: Callable[[bytes, str], T]


@dataclass(frozen=True, slots=True)
class StreamRoute:
    """Streamed chat: its path (the chat path for most APIs) and the stream format whose folder reads the
    raw response bytes (the folder owns the framing: SSE, NDJSON or a binary event stream). The body is the
    chat translation with ``Context.stream`` set; a whole JSON answer is read by the chat parser."""

    path: str
    format: StreamFormat


@dataclass(frozen=True, slots=True)
class OutgoingRequest:
    """A request exactly as it will be sent: what a signer signs."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes


Signer = Callable[[OutgoingRequest], Mapping[str, str]]
"""Gets the final request and returns the headers to send: the given ones plus its own (SigV4's
``authorization``/``x-amz-date``, a refreshed bearer token). Called once per attempt, just before sending."""
AsyncSigner = Callable[[OutgoingRequest], Awaitable[Mapping[str, str]]]
ErrorReader = Callable[..., ProviderError]
"""``(status, headers, body, *, provider, model) -> ProviderError`` for a non-2xx answer."""
StreamErrorReader = Callable[..., ProviderError]
"""``(payload, *, provider, model) -> ProviderError`` for an error event inside a 2xx stream."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """A provider's API, declared. ``api`` names it in messages ("the Anthropic Messages API has no
    embeddings endpoint"). ``headers`` are sent with every request (before the adapter's user-given ones).
    ``sign`` / ``asign``: the signing step (``asign`` is used by async calls when given, else ``sign``).
    ``read_error`` / ``read_stream_error``: the error readers (the shared classifier by default)."""

    api: str
    chat: Operation[ChatCompletionRequest, ChatCompletionResponse]
    stream: StreamRoute | None = None
    embeddings: Operation[EmbeddingRequest, EmbeddingResponse] | None = None
    images: Operation[ImageGenerationRequest, ImageGenerationResponse] | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    sign: Signer | None = None
    asign: AsyncSigner | None = None
    read_error: ErrorReader = classify_response
    read_stream_error: StreamErrorReader = classify_stream_error

    def operation(self, name: str) -> Operation[Any, Any] | None:
        """The operation called ``name`` (``chat``, ``embeddings``, ``images``)."""
        op: Operation[Any, Any] | None = getattr(self, name)
        return op

    def rerouted(self, path: Callable[[str], str]) -> Dialect:
        """This dialect with every path passed through ``path`` (a prefix, a deployment, a query)."""

        def moved(op: Operation[Any, Any] | None) -> Any:
            return None if op is None else dataclasses.replace(op, path=path(op.path))

        stream = self.stream
        return dataclasses.replace(
            self,
            chat=moved(self.chat),
            stream=None if stream is None else dataclasses.replace(stream, path=path(stream.path)),
            embeddings=moved(self.embeddings),
            images=moved(self.images),
        )


def route_path(template: str, model: str) -> str:
    """``template`` with ``{model}`` replaced by the URL-quoted model (unchanged without one)."""
    if "{model}" not in template:
        return template
    return template.replace("{model}", quote(model, safe=""))
