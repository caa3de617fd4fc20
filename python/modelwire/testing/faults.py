"""Scripted responses: what the server does on the next request of a route instead of its default answer.

A ``Fault`` either replaces the answer (``status``/``body``/``events``/``preset`` set) or keeps the route's
default answer and changes how it is delivered (``delay``, ``event_delay``, ``action``, extra headers).
The factories below cover the usual cases; ``dataclasses.replace`` combines them
(``replace(faults.rate_limited(retry_after=2), delay=0.5)``).
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from modelwire.testing.provider_errors import PRESETS

__all__ = [
    "Fault",
    "FaultAction",
    "delay",
    "drop_after_headers",
    "drop_mid_body",
    "error",
    "hang",
    "load_recording",
    "preset",
    "rate_limited",
    "replay",
    "reset_connection",
    "respond",
    "slow_stream",
    "split_events",
]


class FaultAction(StrEnum):
    NONE = "none"
    DROP_AFTER_HEADERS = "drop_after_headers"  # full head sent (with its framing), then a clean close
    DROP_MID_BODY = "drop_mid_body"  # head and ``drop_after_bytes`` of the body, then a clean close
    RESET = "reset"  # TCP RST before anything is sent
    HANG = "hang"  # nothing is ever sent; the connection stays open until the client gives up


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted response. ``events`` (a streamed body) goes out chunked, one chunk per piece, with
    ``event_delay`` seconds between pieces (None: all pieces in one write). ``preset`` names a generated
    error (see ``provider_errors.PRESETS``) whose body, and status when ``status`` is None, follow the
    provider of the route it fires on; a ``status`` with no body gets that provider's error body too."""

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    events: tuple[bytes, ...] | None = None
    preset: str | None = None
    delay: float = 0.0
    event_delay: float | None = None
    action: FaultAction = FaultAction.NONE
    drop_after_bytes: int = 0

    def __post_init__(self) -> None:
        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"unknown error preset {self.preset!r}; expected one of {', '.join(PRESETS)}")
        if self.status is not None and not 100 <= self.status <= 999:
            raise ValueError(f"status must be a 3-digit HTTP status, got {self.status!r}")
        if self.delay < 0 or (self.event_delay is not None and self.event_delay < 0):
            raise ValueError("delays must be >= 0")
        if self.drop_after_bytes < 0:
            raise ValueError(f"drop_after_bytes must be >= 0, got {self.drop_after_bytes!r}")

    @property
    def replaces_answer(self) -> bool:
        return any(x is not None for x in (self.status, self.body, self.events, self.preset))

    def to_json(self) -> dict[str, Any]:
        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        return {
            "status": self.status,
            "headers": [list(pair) for pair in self.headers],
            "body": None if self.body is None else b64(self.body),
            "events": None if self.events is None else [b64(e) for e in self.events],
            "preset": self.preset,
            "delay": self.delay,
            "event_delay": self.event_delay,
            "action": self.action.value,
            "drop_after_bytes": self.drop_after_bytes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        body, events = data.get("body"), data.get("events")
        return cls(
            status=data.get("status"),
            headers=tuple((str(k), str(v)) for k, v in data.get("headers") or ()),
            body=None if body is None else base64.b64decode(body),
            events=None if events is None else tuple(base64.b64decode(e) for e in events),
            preset=data.get("preset"),
            delay=float(data.get("delay") or 0.0),
            event_delay=data.get("event_delay"),
            action=FaultAction(data.get("action") or "none"),
            drop_after_bytes=int(data.get("drop_after_bytes") or 0),
        )


Body = bytes | str | Mapping[str, Any] | list[Any]


def _encode(body: Body) -> tuple[bytes, str]:
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body).encode(), "application/json"


def _headers(headers: Mapping[str, str] | None, **extra: str | None) -> tuple[tuple[str, str], ...]:
    pairs = [(k.replace("_", "-"), v) for k, v in extra.items() if v is not None]
    pairs.extend((k, v) for k, v in (headers or {}).items())
    return tuple(pairs)


def _seconds(value: float | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def respond(status: int = 200, body: Body = b"", *, headers: Mapping[str, str] | None = None) -> Fault:
    """Exactly this status and body; dicts/lists become JSON, a content-type is added when missing."""
    data, content_type = _encode(body)
    names = {k.lower() for k in (headers or {})}
    extra = None if "content-type" in names else content_type
    return Fault(status=status, body=data, headers=_headers(headers, content_type=extra))


def error(
    status: int,
    body: Body | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    retry_after: float | str | None = None,
    retry_after_ms: int | None = None,
) -> Fault:
    """An error status; without ``body``, the route's provider's real error body for that status.
    ``retry_after`` may be seconds or an HTTP-date string (sent as is)."""
    hdrs = _headers(
        headers,
        retry_after=_seconds(retry_after),
        retry_after_ms=None if retry_after_ms is None else str(retry_after_ms),
    )
    if body is None:
        return Fault(status=status, headers=hdrs)
    data, content_type = _encode(body)
    if "content-type" not in {k.lower() for k, _ in hdrs}:
        hdrs = (*hdrs, ("content-type", content_type))
    return Fault(status=status, body=data, headers=hdrs)


def preset(
    name: str,
    *,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    retry_after: float | str | None = None,
    retry_after_ms: int | None = None,
) -> Fault:
    """A named error (``context_window``, ``overloaded``, ``quota``, ...) in the route's provider's shape;
    the status is the provider's usual one unless given (Anthropic overloaded: 529, OpenAI: 503)."""
    hdrs = _headers(
        headers,
        retry_after=_seconds(retry_after),
        retry_after_ms=None if retry_after_ms is None else str(retry_after_ms),
    )
    return Fault(status=status, preset=name, headers=hdrs)


def rate_limited(
    *,
    retry_after: float | str | None = None,
    retry_after_ms: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fault:
    """A 429 in the route's provider's shape, with the Retry-After forms asked for (none by default)."""
    return preset("rate_limit", retry_after=retry_after, retry_after_ms=retry_after_ms, headers=headers)


def delay(seconds: float) -> Fault:
    """The default answer, after ``seconds`` before its status line (read timeouts)."""
    return Fault(delay=seconds)


def slow_stream(event_delay: float) -> Fault:
    """The default answer; when it streams, ``event_delay`` seconds between events."""
    return Fault(event_delay=event_delay)


def drop_after_headers(status: int | None = None) -> Fault:
    """The head of the default answer (or of ``status`` with its error body), then the connection closes."""
    return Fault(status=status, action=FaultAction.DROP_AFTER_HEADERS)


def drop_mid_body(after_bytes: int, *, event_delay: float | None = None) -> Fault:
    """The default answer cut after ``after_bytes`` bytes of body (chunk framing not counted)."""
    return Fault(action=FaultAction.DROP_MID_BODY, drop_after_bytes=after_bytes, event_delay=event_delay)


def reset_connection() -> Fault:
    """A TCP reset instead of any answer."""
    return Fault(action=FaultAction.RESET)


def hang() -> Fault:
    """No answer ever; the server holds the connection until the client closes it (or ``reset()``)."""
    return Fault(action=FaultAction.HANG)


_LINE_DELIMITED = ("ndjson", "jsonl", "stream+json")
# A blank line ends an SSE event; line ends may be CRLF, LF or CR.
_SSE_BOUNDARY = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")


def split_events(body: bytes, content_type: str) -> tuple[bytes, ...]:
    """``body`` cut where events end (SSE blank lines, NDJSON lines, AWS event-stream frames);
    the pieces concatenate back to ``body`` exactly."""
    content_type = content_type.lower()
    cuts: list[int] = []
    if "event-stream" in content_type:
        cuts = [m.end() for m in _SSE_BOUNDARY.finditer(body)]
    elif any(s in content_type for s in _LINE_DELIMITED):
        cuts = [m.end() for m in re.finditer(rb"\n", body)]
    elif "amazon.eventstream" in content_type:
        pos = 0
        while pos + 4 <= len(body):
            (length,) = struct.unpack_from(">I", body, pos)
            if length < 16:
                break
            pos = min(pos + length, len(body))
            cuts.append(pos)
    pieces, start = [], 0
    for cut in cuts:
        if cut > start:
            pieces.append(body[start:cut])
            start = cut
    if start < len(body):
        pieces.append(body[start:])
    return tuple(pieces) or (body,)


_DROPPED_HEADERS = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "content-encoding",
        "content-encoding-original",
    }
)


def load_recording(recording: Any) -> dict[str, Any]:
    """A corpus exchange as a dict: a dict in the corpus format, an object with ``.data`` (the tests'
    ``Recording``) or the path of a corpus JSON file."""
    if isinstance(recording, str | Path):
        loaded: dict[str, Any] = json.loads(Path(recording).read_bytes())
        return loaded
    data = getattr(recording, "data", recording)
    if not isinstance(data, Mapping) or not isinstance(data.get("response"), Mapping):
        raise TypeError("a recording needs a 'response' mapping (see tests/corpus/README.md)")
    return dict(data)


def _reframe(payloads: bytes, url: str) -> bytes:
    """Payload-only recordings (one JSON per line) as the SSE stream they came from: chat completions get
    bare ``data:`` events and ``[DONE]``; typed payloads (Anthropic, Responses API) get ``event:`` lines."""
    chat_like = urlsplit(url).path.rstrip("/").endswith("completions")
    out = bytearray()
    for line in payloads.splitlines():
        if not line.strip():
            continue
        kind = None
        if not chat_like:
            try:
                kind = json.loads(line).get("type")
            except (ValueError, AttributeError):
                kind = None
        if isinstance(kind, str):
            out += b"event: " + kind.encode() + b"\n"
        out += b"data: " + line + b"\n\n"
    if chat_like:
        out += b"data: [DONE]\n\n"
    return bytes(out)


def _sniff_content_type(body: bytes) -> str:
    """A content type for recorded bodies that lack one."""
    if len(body) >= 12 and zlib.crc32(body[:8]) == struct.unpack_from(">I", body, 8)[0]:
        return "application/vnd.amazon.eventstream"  # an AWS event-stream prelude with its checksum
    head = body.lstrip()[:16]
    if head.startswith((b"data:", b"event:", b"id:", b":")):
        return "text/event-stream"
    lines = [line for line in body.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip().startswith(b"{") for line in lines):
        return "application/x-ndjson"
    return "application/json"


def replay(
    recording: Any,
    *,
    event_delay: float | None = None,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fault:
    """A recorded exchange served as recorded (status, headers, body); a streamed body goes out event by
    event. Payload-only recordings are re-framed as SSE. Recordings without a status default to 200."""
    data = load_recording(recording)
    response = data["response"]
    if response.get("body") is None and response.get("body_base64"):
        body = base64.b64decode(response["body_base64"])
    else:
        body = (response.get("body") or "").encode()
    recorded = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
    fidelity = str((data.get("source") or {}).get("body_fidelity") or "")
    if fidelity.startswith("sse_data_payloads"):
        body = _reframe(body, str((data.get("request") or {}).get("url") or ""))
        recorded["content-type"] = "text/event-stream"
    kept = {k: v for k, v in recorded.items() if k not in _DROPPED_HEADERS}
    kept.update({k.lower(): v for k, v in (headers or {}).items()})
    kept.setdefault("content-type", _sniff_content_type(body))
    content_type = kept["content-type"]
    final_status = status if status is not None else (response.get("status") or 200)
    streamed = any(s in content_type for s in ("event-stream", "eventstream", *_LINE_DELIMITED))
    if streamed:
        return Fault(
            status=final_status,
            headers=tuple(kept.items()),
            events=split_events(body, content_type),
            event_delay=event_delay,
        )
    return Fault(status=final_status, headers=tuple(kept.items()), body=body)
