"""One item of a batch (a JSONL line, an element given to ``map``) -> what to call and with which id.

An item is one of:

- a string: a prompt (one user message) for a chat completion;
- a dict with ``messages`` (chat), ``prompt`` (chat, one user message) or ``input`` (embeddings),
  plus request parameters (``temperature``, ``max_tokens``, ``tools``, ...) and an optional ``custom_id``;
- an OpenAI batch-file line ``{"custom_id", "method": "POST", "url": "/v1/chat/completions" or
  "/v1/embeddings", "body": {...}}``, taken as is.

``model`` in an item is ignored: the client's chain decides the model (the batch tool warns once when a
line names another one). ``modelwire_error`` (what a failures file adds to a line) is ignored too, so a
failures file can be fed back in. An item without ``custom_id`` gets ``default_id`` (its line number in a
file, its position for ``map``). A ``custom_id`` is a string; an integer is taken as its decimal string.
An item that is none of these becomes an :class:`~modelwire.exceptions.InvalidBatchItemError` result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from modelwire.exceptions import InvalidBatchItemError

__all__ = ["IGNORED_KEYS", "MapItem", "item_from"]

IGNORED_KEYS: Final = frozenset({"model", "modelwire_error", "modelwire_source"})
_OPENAI_ROUTES: Final[dict[str, Literal["chat", "embed"]]] = {
    "/v1/chat/completions": "chat",
    "/chat/completions": "chat",
    "/v1/embeddings": "embed",
    "/embeddings": "embed",
}

Operation = Literal["chat", "embed"]


class MapItem:
    """A normalised item: ``operation`` with its ``payload`` (messages, prompt or input) and ``params``;
    ``error`` set instead when the item is not a request. ``source`` is the item as given (a failures
    file writes it back); ``model`` is the model the item named, if any (ignored)."""

    __slots__ = ("custom_id", "error", "model", "operation", "params", "payload", "source")

    def __init__(
        self,
        custom_id: str,
        source: Any,
        *,
        operation: Operation = "chat",
        payload: Any = None,
        params: dict[str, Any] | None = None,
        model: str | None = None,
        error: InvalidBatchItemError | None = None,
    ) -> None:
        self.custom_id = custom_id
        self.source = source
        self.operation = operation
        self.payload = payload
        self.params = params or {}
        self.model = model
        self.error = error


def _custom_id(value: Any, default_id: str) -> str:
    if value is None:
        return default_id
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidBatchItemError(f"custom_id must be a string, got {type(value).__name__}")
    text = str(value)
    if not text:
        raise InvalidBatchItemError("custom_id must not be empty")
    return text


def _request(body: Mapping[str, Any], operation: Operation | None) -> tuple[Operation, Any, dict[str, Any]]:
    params = {k: v for k, v in body.items() if k not in IGNORED_KEYS}
    present = [key for key in ("messages", "prompt", "input") if key in params]
    if len(present) != 1:
        found = " and ".join(present) if present else "none of them"
        raise InvalidBatchItemError(
            f"a request needs exactly one of messages, prompt or input; found {found}"
        )
    key = present[0]
    payload = params.pop(key)
    kind: Operation = "embed" if key == "input" else "chat"
    if operation is not None and kind != operation:
        raise InvalidBatchItemError(f"{key!r} does not fit the line's url (a {operation} request)")
    if key == "prompt" and not isinstance(payload, str):
        raise InvalidBatchItemError(f"prompt must be a string, got {type(payload).__name__}")
    if key == "messages" and not isinstance(payload, list | str):
        raise InvalidBatchItemError(f"messages must be a list of messages, got {type(payload).__name__}")
    params.pop("custom_id", None)
    return kind, payload, params


def _openai_line(item: Mapping[str, Any]) -> tuple[Operation, Any, dict[str, Any]]:
    method = item.get("method", "POST")
    if not isinstance(method, str) or method.upper() != "POST":
        raise InvalidBatchItemError(f"method must be POST, got {method!r}")
    url = item.get("url")
    operation = _OPENAI_ROUTES.get(url.split("?", 1)[0].rstrip("/")) if isinstance(url, str) else None
    if operation is None:
        raise InvalidBatchItemError(
            f"url {url!r} is not supported: use /v1/chat/completions or /v1/embeddings"
        )
    body = item.get("body")
    if not isinstance(body, Mapping):
        raise InvalidBatchItemError(f"body must be a JSON object, got {type(body).__name__}")
    return _request(body, operation)


def item_from(item: Any, default_id: str) -> MapItem:
    """``item`` normalised (never raises: an invalid item comes back with ``error`` set)."""
    custom_id = default_id
    try:
        if isinstance(item, str):
            return MapItem(default_id, item, payload=item)
        if not isinstance(item, Mapping):
            raise InvalidBatchItemError(
                f"an item must be a JSON object or a string, got {type(item).__name__}"
            )
        custom_id = _custom_id(item.get("custom_id"), default_id)
        openai = "body" in item and "url" in item
        operation, payload, params = _openai_line(item) if openai else _request(item, None)
        body = item["body"] if openai else item
        model = body.get("model") if isinstance(body, Mapping) else None
        return MapItem(
            custom_id,
            item,
            operation=operation,
            payload=payload,
            params=params,
            model=model if isinstance(model, str) else None,
        )
    except InvalidBatchItemError as exc:
        return MapItem(custom_id, item, error=exc)
