"""Every exception modelwire raises, in one tree.

``ProviderError`` carries a ``kind`` (a superset of Data Designer's ``ProviderErrorKind``) and there is one
subclass per kind, so ``except modelwire.RateLimitError`` works. Classification of HTTP responses and
transport failures into these classes lives in :mod:`modelwire.errors`; this module only defines them,
so that every layer (parsing included) can raise them without reaching up the data flow.

Messages and body excerpts are passed through :func:`modelwire._redact.redact` when the exception is
built, whoever builds it: no message, repr or excerpt can carry a key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Final

from modelwire._redact import excerpt, redact, truncate

if TYPE_CHECKING:
    from modelwire.types.chat import ChatCompletionResponse

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AdmissionTimeoutError",
    "AllModelsExhaustedError",
    "AttemptRecord",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ContentPolicyError",
    "ContextWindowExceededError",
    "ErrorKind",
    "InternalServerError",
    "InvalidBatchItemError",
    "ModelRefusalError",
    "ModelwireError",
    "ModelwireWarning",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "PoolTimeoutError",
    "ProviderError",
    "QuotaExceededError",
    "RateLimitError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "StreamInterruptedError",
    "ToolArgumentsError",
    "UnprocessableEntityError",
    "UnsupportedCapabilityError",
    "UnsupportedParamsError",
    "error_class_for",
]

EXCERPT_LIMIT: Final = 240


class ErrorKind(StrEnum):
    """What went wrong, independent of provider. The first 15 are Data Designer's ``ProviderErrorKind``."""

    API_ERROR = "api_error"
    API_CONNECTION = "api_connection"
    AUTHENTICATION = "authentication"
    CONTEXT_WINDOW_EXCEEDED = "context_window_exceeded"
    QUOTA_EXCEEDED = "quota_exceeded"
    UNSUPPORTED_PARAMS = "unsupported_params"
    BAD_REQUEST = "bad_request"
    INTERNAL_SERVER = "internal_server"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    RATE_LIMIT = "rate_limit"
    REQUEST_ADMISSION_TIMEOUT = "request_admission_timeout"
    TIMEOUT = "timeout"
    UNPROCESSABLE_ENTITY = "unprocessable_entity"
    UNSUPPORTED_CAPABILITY = "unsupported_capability"
    # modelwire's additions
    OVERLOADED = "overloaded"
    CONTENT_POLICY = "content_policy"
    POOL_TIMEOUT = "pool_timeout"
    INVALID_RESPONSE = "invalid_response"
    STREAM_INTERRUPTED = "stream_interrupted"
    REFUSAL = "refusal"
    CLIENT_CLOSED = "client_closed"

    @property
    def retryable(self) -> bool:
        """Whether the same request to the same model may succeed if sent again later."""
        return self in _RETRYABLE


_RETRYABLE: Final = frozenset(
    {
        ErrorKind.API_CONNECTION,  # includes a connection dropped mid-request
        ErrorKind.INTERNAL_SERVER,
        ErrorKind.RATE_LIMIT,
        ErrorKind.TIMEOUT,
        ErrorKind.OVERLOADED,
        ErrorKind.POOL_TIMEOUT,  # our own pool was full; a later attempt may find a free connection
        ErrorKind.INVALID_RESPONSE,  # a truncated or garbled body is usually a transient fault
    }
)


class ModelwireError(Exception):
    """Base of every exception raised by modelwire."""


class ModelwireWarning(UserWarning):
    """A configuration modelwire can run with but that will not do what its user probably meant."""


class ProviderError(ModelwireError):
    """A model call failed. Subclasses fix ``kind``; the base class may carry any kind.

    Data Designer's constructor works too: ``ProviderError(kind=..., message=..., status_code=...,
    provider_name=..., model_name=..., retry_after=..., cause=...)``, with ``kind`` one of its
    ``ProviderErrorKind`` values (its ``client_error``, a 4xx no other kind covers, becomes
    ``bad_request``). ``ProviderError(kind=k, ...)`` builds the subclass for ``k``, so ``except
    RateLimitError`` catches ``ProviderError(kind="rate_limit", ...)``. ``cause`` becomes ``__cause__``.
    """

    default_kind: ClassVar[ErrorKind] = ErrorKind.API_ERROR

    def __new__(cls, *args: Any, **fields: Any) -> ProviderError:
        kind = fields.get("kind")
        if cls is ProviderError and kind is not None:
            cls = error_class_for(_error_kind(kind))
        return super().__new__(cls)

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind | str | None = None,
        status_code: int | None = None,
        provider: str | None = None,
        model: str | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
        provider_code: str | None = None,
        body_excerpt: str | None = None,
        should_retry: bool | None = None,
        requests_limit: int | None = None,
        provider_name: str | None = None,
        model_name: str | None = None,
        cause: BaseException | None = None,
    ) -> None:
        self.message = redact(message)
        super().__init__(self.message)
        self.kind = _error_kind(kind) if kind is not None else self.default_kind
        self.status_code = status_code
        self.provider = provider if provider is not None else provider_name
        self.model = model if model is not None else model_name
        if cause is not None:
            self.__cause__ = cause
        self.retry_after = retry_after
        # Providers echo request text into codes and ids too: mask them like the message.
        self.request_id = None if request_id is None else redact(request_id)
        self.provider_code = None if provider_code is None else redact(provider_code)
        self.body_excerpt = None if body_excerpt is None else truncate(redact(body_excerpt), EXCERPT_LIMIT)
        # The provider's explicit verdict (x-should-retry), when it gave one.
        self.should_retry = should_retry
        # The request limit the provider stated (x-ratelimit-limit-requests, per minute), when it did:
        # the limiter paces by it when the config sets no requests/min of its own.
        self.requests_limit = requests_limit

    @property
    def retryable(self) -> bool:
        return self.should_retry if self.should_retry is not None else self.kind.retryable

    # Compat with Data Designer's ProviderError field names.
    @property
    def provider_name(self) -> str | None:
        return self.provider

    @property
    def model_name(self) -> str | None:
        return self.model

    def _details(self) -> list[str]:
        details = []
        if self.status_code is not None:
            details.append(f"status {self.status_code}")
        if self.provider_code:
            details.append(f"code {self.provider_code}")
        if self.retry_after is not None:
            details.append(f"retry after {self.retry_after:g}s")
        if self.request_id:
            details.append(f"request {self.request_id}")
        return details

    def __str__(self) -> str:
        where = "/".join(part for part in (self.provider, self.model) if part)
        details = self._details()
        text = f"[{where}] {self.message}" if where else self.message
        return f"{text} ({', '.join(details)})" if details else text

    def __repr__(self) -> str:
        fields = [f"kind={self.kind.value!r}"]
        for name in ("status_code", "provider", "model", "retry_after", "provider_code"):
            value = getattr(self, name)
            if value is not None:
                fields.append(f"{name}={value!r}")
        fields.append(f"message={self.message!r}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def _state(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("message", None)
        return state

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default exception pickling; workers in other
        # processes (multiprocessing, Ray) must get the same error back.
        return (_rebuild, (type(self), self.message, self._state()))


def _rebuild(cls: type[ProviderError], message: str, state: dict[str, Any]) -> ProviderError:
    error = cls.__new__(cls)
    ModelwireError.__init__(error, message)
    error.__dict__.update(state)
    error.message = message
    return error


class APIError(ProviderError):
    """An error the provider reported that fits no more specific kind."""


class APIConnectionError(ProviderError):
    default_kind = ErrorKind.API_CONNECTION


class AuthenticationError(ProviderError):
    default_kind = ErrorKind.AUTHENTICATION


class PermissionDeniedError(ProviderError):
    default_kind = ErrorKind.PERMISSION_DENIED


class NotFoundError(ProviderError):
    default_kind = ErrorKind.NOT_FOUND


class BadRequestError(ProviderError):
    default_kind = ErrorKind.BAD_REQUEST


class ContextWindowExceededError(BadRequestError):
    default_kind = ErrorKind.CONTEXT_WINDOW_EXCEEDED


class ContentPolicyError(BadRequestError):
    default_kind = ErrorKind.CONTENT_POLICY


class UnsupportedParamsError(BadRequestError):
    """The model cannot take these parameters; ``params`` names them."""

    default_kind = ErrorKind.UNSUPPORTED_PARAMS

    def __init__(self, message: str, *, params: tuple[str, ...] = (), **fields: Any) -> None:
        super().__init__(message, **fields)
        self.params = tuple(params)


class UnsupportedCapabilityError(ProviderError):
    """The adapter or model does not offer this operation at all (e.g. embeddings on a chat-only API)."""

    default_kind = ErrorKind.UNSUPPORTED_CAPABILITY


class UnprocessableEntityError(ProviderError):
    default_kind = ErrorKind.UNPROCESSABLE_ENTITY


class RateLimitError(ProviderError):
    default_kind = ErrorKind.RATE_LIMIT


class QuotaExceededError(ProviderError):
    """Out of credits or over a hard quota: waiting will not help (unlike a rate limit)."""

    default_kind = ErrorKind.QUOTA_EXCEEDED


class OverloadedError(ProviderError):
    default_kind = ErrorKind.OVERLOADED


class InternalServerError(ProviderError):
    default_kind = ErrorKind.INTERNAL_SERVER


class APITimeoutError(ProviderError, TimeoutError):
    """The provider did not answer in time (connect, read or write timeout)."""

    default_kind = ErrorKind.TIMEOUT


class PoolTimeoutError(ProviderError, TimeoutError):
    """No connection of our own pool became free in time; the provider was never asked."""

    default_kind = ErrorKind.POOL_TIMEOUT


class AdmissionTimeoutError(ProviderError, TimeoutError):
    """A concurrency or rate-limit slot did not become free before the caller's deadline."""

    default_kind = ErrorKind.REQUEST_ADMISSION_TIMEOUT


class ResponseParseError(ProviderError):
    """A provider's response could not be read: not JSON, truncated, or a field of the wrong type.

    ``path`` names the field (``choices[0].message.tool_calls[1].function.name``) and ``offset`` the byte
    position in the body, when known; ``body_excerpt`` is a short, redacted snippet around the fault.
    """

    default_kind = ErrorKind.INVALID_RESPONSE

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        offset: int | None = None,
        snippet: str | tuple[str, str] | None = None,
        **fields: Any,
    ) -> None:
        if isinstance(snippet, tuple):  # the text each side of the fault: masked, then cut
            snippet = excerpt(*snippet)
        fields.setdefault("body_excerpt", snippet)
        super().__init__(message, **fields)
        self.path = path
        self.offset = offset

    def _details(self) -> list[str]:
        details = super()._details()
        if self.path:
            details.append(f"at {self.path}")
        if self.offset is not None:
            details.append(f"byte {self.offset}")
        return details


class ResponseTooLargeError(ResponseParseError):
    """A response body (or a stream's bytes) passed ``max_response_bytes``; nothing more was read. Not
    retried: the same request would most likely get the same answer."""


class StreamInterruptedError(ProviderError):
    """A stream failed after events had been delivered; ``partial`` holds everything folded so far.

    Never retried silently: the caller has already seen part of the answer.
    """

    default_kind = ErrorKind.STREAM_INTERRUPTED

    def __init__(
        self,
        message: str,
        *,
        partial: ChatCompletionResponse | None = None,
        events_received: int = 0,
        **fields: Any,
    ) -> None:
        super().__init__(message, **fields)
        self.partial = partial
        self.events_received = events_received


class ClientClosedError(ProviderError):
    """The adapter or client was closed: before the call (use after ``close()``), or while the call was in
    flight (its connection was cut by the close). Never retried: a closed client stays closed."""

    default_kind = ErrorKind.CLIENT_CLOSED


class ModelRefusalError(ProviderError):
    """The model refused to answer; ``response`` is the refusal it returned and ``finish_reason`` the
    canonical finish reason it came with (``"refusal"``, ``"content_filter"``), as LMI's has."""

    default_kind = ErrorKind.REFUSAL

    def __init__(
        self,
        message: str,
        *,
        response: ChatCompletionResponse | None = None,
        finish_reason: str | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message, **fields)
        self.response = response
        self.finish_reason = finish_reason


class ResponseValidationError(ProviderError):
    """The chain's ``response_validator`` rejected an answer (its exception is the ``__cause__``).

    An invalid response is retried on the same model, then the chain moves on (LMI's semantics);
    ``response`` is the rejected answer."""

    default_kind = ErrorKind.INVALID_RESPONSE

    def __init__(self, message: str, *, response: Any = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.response = response


class ToolArgumentsError(ModelwireError, ValueError):
    """A tool call's ``arguments_json`` is not a JSON object. Raised when ``ToolCall.arguments`` is read."""

    def __init__(
        self,
        message: str,
        *,
        tool_name: str | None = None,
        call_id: str | None = None,
        offset: int | None = None,
        snippet: str | None = None,
    ) -> None:
        self.message = redact(message)
        super().__init__(self.message)
        self.tool_name = tool_name
        self.call_id = call_id
        self.offset = offset
        self.snippet = None if snippet is None else truncate(redact(snippet), EXCERPT_LIMIT)

    def __reduce__(self) -> tuple[Any, ...]:
        state = {"tool_name": self.tool_name, "call_id": self.call_id, "offset": self.offset}
        return (_rebuild_tool_error, (self.message, self.snippet, state))


def _rebuild_tool_error(message: str, snippet: str | None, state: dict[str, Any]) -> ToolArgumentsError:
    return ToolArgumentsError(message, snippet=snippet, **state)


class InvalidBatchItemError(ModelwireError, ValueError):
    """One item of a batch (a line of a JSONL file, an element given to ``map``) is not a request. It is
    reported as that item's result (kind ``invalid_item``), never raised from the batch as a whole."""

    kind: ClassVar[str] = "invalid_item"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.message = redact(message)
        super().__init__(self.message)
        self.line = line

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,), {"line": self.line})


class AttemptRecord:
    """One attempt inside a retry/fallback chain, as kept by :class:`AllModelsExhaustedError`."""

    __slots__ = ("attempt", "elapsed", "exception", "kind", "model", "retry_after", "status_code")

    def __init__(
        self,
        model: str,
        attempt: int,
        exception: BaseException,
        elapsed: float,
        kind: ErrorKind | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.model = model
        self.attempt = attempt
        self.exception = exception
        self.elapsed = elapsed
        self.kind = kind
        self.status_code = status_code
        self.retry_after = retry_after

    def __repr__(self) -> str:
        kind = self.kind.value if self.kind is not None else type(self.exception).__name__
        status = f" {self.status_code}" if self.status_code is not None else ""
        return f"<attempt {self.attempt} {self.model}: {kind}{status} after {self.elapsed:.2f}s>"


class AllModelsExhaustedError(ModelwireError):
    """Every model of a chain failed. ``attempts`` holds one record per attempt, in order."""

    def __init__(self, message: str, attempts: list[AttemptRecord]) -> None:
        self.message = redact(message)
        super().__init__(self.message)
        self.attempts = attempts

    @property
    def last(self) -> BaseException | None:
        return self.attempts[-1].exception if self.attempts else None

    @property
    def last_exc(self) -> BaseException | None:
        """The last attempt's exception (LMI's name for :attr:`last`)."""
        return self.last

    def __str__(self) -> str:
        lines = [self.message, *(f"  {record!r}" for record in self.attempts)]
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.attempts))


_CLASS_FOR_KIND: Final[dict[ErrorKind, type[ProviderError]]] = {
    ErrorKind.API_ERROR: APIError,
    ErrorKind.API_CONNECTION: APIConnectionError,
    ErrorKind.AUTHENTICATION: AuthenticationError,
    ErrorKind.CONTEXT_WINDOW_EXCEEDED: ContextWindowExceededError,
    ErrorKind.QUOTA_EXCEEDED: QuotaExceededError,
    ErrorKind.UNSUPPORTED_PARAMS: UnsupportedParamsError,
    ErrorKind.BAD_REQUEST: BadRequestError,
    ErrorKind.INTERNAL_SERVER: InternalServerError,
    ErrorKind.NOT_FOUND: NotFoundError,
    ErrorKind.PERMISSION_DENIED: PermissionDeniedError,
    ErrorKind.RATE_LIMIT: RateLimitError,
    ErrorKind.REQUEST_ADMISSION_TIMEOUT: AdmissionTimeoutError,
    ErrorKind.TIMEOUT: APITimeoutError,
    ErrorKind.UNPROCESSABLE_ENTITY: UnprocessableEntityError,
    ErrorKind.UNSUPPORTED_CAPABILITY: UnsupportedCapabilityError,
    ErrorKind.OVERLOADED: OverloadedError,
    ErrorKind.CONTENT_POLICY: ContentPolicyError,
    ErrorKind.POOL_TIMEOUT: PoolTimeoutError,
    ErrorKind.INVALID_RESPONSE: ResponseParseError,
    ErrorKind.STREAM_INTERRUPTED: StreamInterruptedError,
    ErrorKind.REFUSAL: ModelRefusalError,
    ErrorKind.CLIENT_CLOSED: ClientClosedError,
}


def _error_kind(kind: ErrorKind | str) -> ErrorKind:
    """``kind`` as an ErrorKind: ours, or a Data Designer ``ProviderErrorKind`` (a str enum) by value."""
    value = getattr(kind, "value", kind)
    if value == "client_error":
        return ErrorKind.BAD_REQUEST
    return ErrorKind(value)


def error_class_for(kind: ErrorKind) -> type[ProviderError]:
    """The exception class that stands for ``kind``."""
    return _CLASS_FOR_KIND[kind]
