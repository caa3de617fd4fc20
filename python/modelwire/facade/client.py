"""``Client`` and ``AsyncClient``: one model or a fallback chain behind ``complete``, ``embed``,
``generate_image`` and ``stream``, with retries, fallbacks, limits and usage accounting.

    with modelwire.Client("openai/gpt-4.1-mini") as client:
        response = client.complete("Say hi", temperature=0)
        print(response.message.content, client.usage)

    async with modelwire.AsyncClient(["anthropic/claude-sonnet-4-5", "openai/gpt-4.1"]) as client:
        vectors = await client.embed(["a", "b"])   # Anthropic has no embeddings: the chain moves on

Every call goes through one ``RetryPolicy`` (the only retry layer): it admits the call under the model's
limits, retries what can be retried, moves on to the next model when another may succeed, and raises
the request's own error, or ``AllModelsExhaustedError`` with one record per attempt. The adapters behind
it never retry. See :mod:`modelwire.facade.options` for what ``**options`` accepts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Container, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Self

from modelwire.exceptions import ClientClosedError
from modelwire.facade.calls import REQUEST_FIELDS, Call, chat_call, embedding_call, image_call, refusal_error
from modelwire.facade.checks import apply_tool_parser, avalidate, validate
from modelwire.facade.hooks import CallTrace, Hook, Hooks, arun, observed, run
from modelwire.facade.mapping import MapProgress, MapResult, amap_results, map_results
from modelwire.facade.options import Settings, build_settings
from modelwire.facade.params import check_extras, known_fields_provider
from modelwire.facade.pool import AdapterPool
from modelwire.facade.stream import AsyncStream, Stream
from modelwire.facade.usage import UsageLedger
from modelwire.policy import RetryPolicy
from modelwire.providers import Adapter, model_id_for
from modelwire.types import (
    ChatCompletionResponse,
    EmbeddingResponse,
    ImageGenerationResponse,
    Usage,
)

if TYPE_CHECKING:
    from modelwire.config import LLMConfig
    from modelwire.policy import AttemptContext

__all__ = ["AsyncClient", "Client"]


def _raise_all(errors: list[Exception], what: str) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ExceptionGroup(f"{len(errors)} failures while closing {what}", errors)


class _Life:
    """Whether a client, and the copies ``with_options`` made of it, were closed (they close together)."""

    __slots__ = ("closed",)

    def __init__(self) -> None:
        self.closed = False


class _BaseClient:
    """What both clients share: settings, the policy, the adapters, usage. Not used directly."""

    _ASYNC = False

    def __init__(self, model: Any, **options: Any) -> None:
        self._setup(build_settings(model, options), AdapterPool(), UsageLedger(), _Life())

    def _setup(self, settings: Settings, pool: AdapterPool, ledger: UsageLedger, life: _Life) -> None:
        self._life = life
        self._settings = settings
        self._policy = RetryPolicy(settings.config, limiters=settings.limiters)
        self._pool = pool
        self._ledger = ledger
        models = settings.config.models
        self._adapters: list[Adapter | None] = [None] * len(models)
        self._model_ids = [model_id_for(spec) for spec in models]
        self._count_tokens = any(spec.tokens_per_minute for spec in models)
        self._refusals_fall_back = settings.on_refusal == "fallback"
        self._providers = [(spec.name, known_fields_provider(spec)) for spec in models]
        self._hooks = Hooks.of(settings.hooks, asynchronous=self._ASYNC)

    @classmethod
    def _derived(
        cls, settings: Settings, pool: AdapterPool, ledger: UsageLedger, life: _Life | None = None
    ) -> Self:
        client = cls.__new__(cls)
        client._setup(settings, pool, ledger, life or _Life())
        return client

    def with_options(self, **options: Any) -> Self:
        """A copy with ``options`` changed (same keywords as the constructor). The copy shares this
        client's connections (adapters are shared wherever their settings are equal), its usage, and its
        lifetime: closing either closes both."""
        self._check_open()
        merged = {**self._settings.options, **options}
        return self._derived(
            build_settings(self._settings.model, merged), self._pool, self._ledger, self._life
        )

    @property
    def closed(self) -> bool:
        """Whether the client (or a ``with_options`` copy of it) was closed; it then refuses every call."""
        return self._life.closed

    def _check_open(self) -> None:
        if self._life.closed:
            raise ClientClosedError(
                f"{self!r} was closed; create a new client to send more requests", model=self.models[0]
            )

    # -- what the client is ----------------------------------------------------------------------------

    @property
    def config(self) -> LLMConfig:
        """The validated chain: ``config.models[0]`` is the primary, the rest are fallbacks."""
        return self._settings.config

    @property
    def models(self) -> list[str]:
        return [spec.name for spec in self._settings.config.models]

    @property
    def policy(self) -> RetryPolicy:
        return self._policy

    @property
    def hooks(self) -> tuple[Hook, ...]:
        """The callables every event of every call goes to (``modelwire.events``)."""
        return self._settings.hooks

    @property
    def usage(self) -> dict[str, Usage]:
        """Usage so far, per model that answered (``ModelSpec.name``); a snapshot, shared with the copies
        ``with_options`` made."""
        return self._ledger.by_model()

    @property
    def total_usage(self) -> Usage:
        return self._ledger.total()

    @property
    def calls(self) -> dict[str, int]:
        """Answered calls so far, per model."""
        return self._ledger.calls()

    def reset_usage(self) -> dict[str, Usage]:
        """Start counting from zero; returns the usage so far."""
        return dict(self._ledger.reset())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {' -> '.join(self.models)}>"

    # -- the pieces of an attempt ------------------------------------------------------------------------

    def _adapter(self, ctx: AttemptContext) -> Adapter:
        self._check_open()  # a retry or a fallback after close() must not reach a pool
        adapter = self._adapters[ctx.model_index]
        if adapter is None:
            adapter = self._pool.adapter(ctx.spec, self._settings.adapter_overrides, self._life)
            self._adapters[ctx.model_index] = adapter
        return observed(adapter, ctx)

    def _trace(self, call: Call, *, stream: bool = False) -> CallTrace | None:
        return None if self._hooks is None else CallTrace(self._hooks, call, self.models, stream=stream)

    def _request(self, call: Call, ctx: AttemptContext) -> Any:
        return call.request(self._model_ids[ctx.model_index], ctx)

    def _settle(self, ctx: AttemptContext, usage: Usage | None) -> None:
        self._ledger.add(ctx.spec.name, usage)
        if usage is not None and self._count_tokens:
            ctx.record_tokens(usage.total_tokens)

    def _settle_chat(
        self, ctx: AttemptContext, response: ChatCompletionResponse, call: Call
    ) -> ChatCompletionResponse:
        """Count the answer; a refusal raises (when refusals fall back); the chain's tool parser runs."""
        self._settle(ctx, response.usage)
        if self._refusals_fall_back:
            error = refusal_error(response, ctx.spec.name)
            if error is not None:
                raise error
        parser = self._settings.config.tool_parser
        if parser is not None:
            apply_tool_parser(parser, response, call.fields.get("tools"))
        return response

    def _checked(self, call: Call, what: str) -> Call:
        """``call``, once its non-field keywords are known to every known provider of the chain."""
        if call.extras:
            check_extras(call.extras, REQUEST_FIELDS[what], what, self._providers)
        return call

    def _chat(self, messages: str | Iterable[Any], params: dict[str, Any]) -> Call:
        self._check_open()
        return self._checked(chat_call(messages, params, count_tokens=self._count_tokens), "complete()")

    def _embedding(self, inputs: str | Iterable[str], params: dict[str, Any]) -> Call:
        self._check_open()
        return self._checked(embedding_call(inputs, params, count_tokens=self._count_tokens), "embed()")

    def _image(self, prompt: str, params: dict[str, Any]) -> Call:
        self._check_open()
        return self._checked(image_call(prompt, params, count_tokens=self._count_tokens), "generate_image()")


class Client(_BaseClient):
    """The synchronous client. ``Client(model, **options)``; see the module docstring."""

    def complete(self, messages: str | Iterable[Any], **params: Any) -> ChatCompletionResponse:
        """A chat completion. ``messages``: OpenAI-style dicts (``AssistantMessage``s are accepted for
        assistant turns) or one string for a single user message. ``params``: ``ChatCompletionRequest``
        fields (``temperature``, ``tools``, ``max_tokens``, ``timeout``, ...); others go to ``extra_body``."""
        call = self._chat(messages, params)

        validator = self._settings.config.response_validator

        def attempt(ctx: AttemptContext) -> ChatCompletionResponse:
            response = self._settle_chat(ctx, self._adapter(ctx).completion(self._request(call, ctx)), call)
            if validator is not None:
                validate(validator, response, ctx.spec.name)
            return response

        return run(self._policy, attempt, call, self._trace(call))

    def stream(self, messages: str | Iterable[Any], **params: Any) -> Stream:
        """A streamed chat completion (same arguments as :meth:`complete`): a context manager and an
        iterator of typed events, with ``final_response()``. The request goes out when the stream is
        opened; failures before its first event are retried, none after (see ``modelwire.facade.stream``)."""
        return Stream(self, self._chat(messages, params))

    def embed(self, inputs: str | Iterable[str], **params: Any) -> EmbeddingResponse:
        """Embeddings of ``inputs`` (one string or several). ``params``: ``dimensions``,
        ``encoding_format``, ``timeout``, ...; others go to ``extra_body``."""
        call = self._embedding(inputs, params)

        def attempt(ctx: AttemptContext) -> EmbeddingResponse:
            response = self._adapter(ctx).embeddings(self._request(call, ctx))
            self._settle(ctx, response.usage)
            return response

        return run(self._policy, attempt, call, self._trace(call))

    def generate_image(self, prompt: str, **params: Any) -> ImageGenerationResponse:
        """Images for ``prompt``. ``params``: ``n``, ``size``, ``quality``, ``response_format``,
        ``messages`` (set: the chat route, for models that answer with images), ...; others go to
        ``extra_body``."""
        call = self._image(prompt, params)

        def attempt(ctx: AttemptContext) -> ImageGenerationResponse:
            response = self._adapter(ctx).generate_image(self._request(call, ctx))
            self._settle(ctx, response.usage)
            return response

        return run(self._policy, attempt, call, self._trace(call))

    def map(
        self,
        requests: Iterable[Any],
        *,
        concurrency: int = 16,
        ordered: bool = False,
        skip: Container[str] = frozenset(),
        on_progress: Callable[[MapProgress], object] | None = None,
    ) -> Iterator[MapResult]:
        """Send every request (a prompt string, a request dict, an OpenAI batch-file line), ``concurrency``
        at a time on worker threads, yielding one :class:`MapResult` per request as each completes (in
        input order with ``ordered=True``); a failure is a result with ``error`` set. ``skip``: ids
        already answered. See :mod:`modelwire.facade.mapping`."""
        return map_results(
            self, requests, concurrency=concurrency, ordered=ordered, skip=skip, on_progress=on_progress
        )

    def close(self) -> None:
        """Close the client for good, with its ``with_options`` copies: later calls raise
        ``ClientClosedError``, calls in flight fail with it and are not retried. Its connection pools are
        closed unless another client (of the same ``ModelRegistry``) still uses them. Every pool is closed
        even when one fails; failures are raised afterwards (several as an ``ExceptionGroup``)."""
        self._life.closed = True
        _raise_all(self._pool.close(self._life), repr(self))

    def __enter__(self) -> Self:
        self._check_open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """The asyncio client: the same methods as :class:`Client`, awaited. Close it (``await aclose()`` or
    ``async with``) before its event loop ends."""

    _ASYNC = True

    async def complete(self, messages: str | Iterable[Any], **params: Any) -> ChatCompletionResponse:
        """As :meth:`Client.complete`."""
        call = self._chat(messages, params)

        validator = self._settings.config.response_validator

        async def attempt(ctx: AttemptContext) -> ChatCompletionResponse:
            response = await self._adapter(ctx).acompletion(self._request(call, ctx))
            response = self._settle_chat(ctx, response, call)
            if validator is not None:
                await avalidate(validator, response, ctx.spec.name)
            return response

        return await arun(self._policy, attempt, call, self._trace(call))

    def stream(self, messages: str | Iterable[Any], **params: Any) -> AsyncStream:
        """As :meth:`Client.stream`: ``async with client.stream(...) as s`` (or ``s = await
        client.stream(...)``), then ``async for event in s`` and ``await s.final_response()``."""
        return AsyncStream(self, self._chat(messages, params))

    async def embed(self, inputs: str | Iterable[str], **params: Any) -> EmbeddingResponse:
        """As :meth:`Client.embed`."""
        call = self._embedding(inputs, params)

        async def attempt(ctx: AttemptContext) -> EmbeddingResponse:
            response = await self._adapter(ctx).aembeddings(self._request(call, ctx))
            self._settle(ctx, response.usage)
            return response

        return await arun(self._policy, attempt, call, self._trace(call))

    async def generate_image(self, prompt: str, **params: Any) -> ImageGenerationResponse:
        """As :meth:`Client.generate_image`."""
        call = self._image(prompt, params)

        async def attempt(ctx: AttemptContext) -> ImageGenerationResponse:
            response = await self._adapter(ctx).agenerate_image(self._request(call, ctx))
            self._settle(ctx, response.usage)
            return response

        return await arun(self._policy, attempt, call, self._trace(call))

    def amap(
        self,
        requests: Iterable[Any],
        *,
        concurrency: int = 16,
        ordered: bool = False,
        skip: Container[str] = frozenset(),
        on_progress: Callable[[MapProgress], object] | None = None,
    ) -> AsyncIterator[MapResult]:
        """As :meth:`Client.map`, on this event loop: ``async for result in client.amap(requests)``."""
        return amap_results(
            self, requests, concurrency=concurrency, ordered=ordered, skip=skip, on_progress=on_progress
        )

    async def aclose(self) -> None:
        """Close the client for good (as :meth:`Client.close`): its connection pools and this event loop's
        Redis connections (shared limits). Every one is closed even when one fails; failures are raised
        afterwards."""
        self._life.closed = True
        if self._hooks is not None:
            await self._hooks.drain()
        errors = await self._pool.aclose(self._life)
        limiters = self._policy.limiters
        if limiters is not None:
            try:
                await limiters.aclose()
            except Exception as exc:
                errors.append(exc)
        _raise_all(errors, repr(self))

    async def __aenter__(self) -> Self:
        self._check_open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
