"""Incremental Server-Sent Events and NDJSON decoding: the pure-Python twin of ``modelwire-core``'s ``sse``.

The SSE rules are the WHATWG "event stream interpretation" with three departures both backends share:

- invalid UTF-8 raises :class:`~modelwire.exceptions.ResponseParseError` naming the byte offset in the
  stream (a stripped byte-order mark counts); nothing is replaced;
- an event is dispatched when its block set any field (``data``, ``event``, a valid ``id`` or ``retry``),
  so ``event: ping`` with no data still arrives, with ``data == ""``;
- :meth:`SseDecoder.finish` dispatches a last block that had no blank line after it.

Every decoder enforces two caps (docs/stream-rules.md section 7): a line longer than ``max_line`` bytes
(:data:`MAX_LINE_BYTES` by default; the incomplete last line is the only buffered frame, so this also caps
the buffered bytes) and an SSE event holding more than ``max_event`` bytes of data (:data:`MAX_EVENT_BYTES`)
raise :class:`~modelwire.exceptions.ResponseParseError`, so a hostile stream cannot grow memory without
bound. A line's length is checked as its bytes arrive, before its UTF-8.

After an error a decoder stays failed: every later call raises the same error. Events completed before
the faulty line are still returned by that ``feed``; the error is then raised by the next call.
"""

from __future__ import annotations

from typing import ClassVar, Final

from modelwire.exceptions import ResponseParseError
from modelwire.types._record import Record

__all__ = ["MAX_EVENT_BYTES", "MAX_LINE_BYTES", "NdjsonDecoder", "SseDecoder", "SseEvent"]

MAX_LINE_BYTES: Final = 32 << 20
"""The longest line (bytes, without its line end) a decoder buffers; the Rust core's ``MAX_LINE_BYTES``."""
MAX_EVENT_BYTES: Final = 64 << 20
"""The most data (bytes, ``data`` lines joined by ``\\n``) one SSE event may hold."""

_BOM: Final = b"\xef\xbb\xbf"
_U64_MAX: Final = (1 << 64) - 1
_JSON_WHITESPACE: Final = " \t\r\n"


class SseEvent(Record):
    """One dispatched event. ``event`` is None when the block named none (the spec's "message"); ``id``
    is the stream's last event id, which carries over to later events; ``retry`` is in milliseconds."""

    __slots__ = ("event", "data", "id", "retry")
    _fields: ClassVar[tuple[str, ...]] = ("event", "data", "id", "retry")

    def __init__(
        self, event: str | None = None, data: str = "", id: str | None = None, retry: int | None = None
    ) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry


class _Lines:
    """Bytes in pieces of any size, out as complete decoded lines.

    Only the incomplete last line is kept (in a bytearray, so appending is amortised O(1)); a chunk is
    searched once for line ends and each line is decoded once, when it completes. ``scanned`` counts the
    bytes handed to those searches, a linearity witness for the tests.
    """

    __slots__ = ("_after_cr", "_any_end", "_at_start", "_max_line", "_what", "offset", "partial", "scanned")

    def __init__(self, *, any_end: bool, what: str, max_line: int) -> None:
        self._any_end = any_end  # CR, LF and CRLF end lines (SSE); otherwise LF only (NDJSON)
        self._what = what
        self._max_line = max_line
        self.scanned = 0
        self._restart()

    def _restart(self) -> None:
        self.partial = bytearray()
        self.offset = 0  # stream offset of the first byte of `partial`
        self._after_cr = False  # the last line ended with a CR that was the last byte fed
        self._at_start = True  # a byte-order mark may still be arriving

    def take(self, chunk: bytes) -> tuple[list[str], ResponseParseError | None]:
        """The lines that ``chunk`` completes, and the error that stopped them, if any."""
        start = 0
        if self._at_start:
            held = len(self.partial)
            want = _BOM[held:]
            head = chunk[: len(want)]
            if not want.startswith(head):
                self._at_start = False
            elif len(head) < len(want):
                self.partial += head
                return [], None
            else:
                self.partial.clear()
                self.offset += 3
                self._at_start = False
                start = len(head)
        if self._after_cr and start < len(chunk):
            self._after_cr = False
            if chunk[start] == 0x0A:
                start += 1
                self.offset += 1
        has_cr = self._any_end and b"\r" in chunk
        end = chunk.rfind(b"\n", start)
        if has_cr:
            end = max(end, chunk.rfind(b"\r", start))
        # Each search above reads the new bytes at most once; nothing read before is searched again.
        self.scanned += (len(chunk) - start) * (2 + has_cr)
        if end < 0:
            self.partial += chunk[start:] if start else chunk
            return [], self._check_partial()
        if self.partial:
            self.partial += chunk[start : end + 1]
            region: bytes | bytearray = self.partial
            self.partial = bytearray(chunk[end + 1 :])
        else:
            region = chunk[start : end + 1] if start or end + 1 < len(chunk) else chunk
            self.partial += chunk[end + 1 :]
        self._after_cr = has_cr and end == len(chunk) - 1 and chunk[end] == 0x0D
        if len(region) > self._max_line:  # only then can a line in it be too long
            long_at = _first_long_line(region, has_cr, self._max_line)
            if long_at is not None:
                at = self.offset + long_at
                lines, error = self._decode(region[:long_at], has_cr)  # an earlier fault comes first
                return lines, error or self._too_long(at)
        lines, error = self._decode(region, has_cr)
        return lines, error or self._check_partial()

    def _check_partial(self) -> ResponseParseError | None:
        """The incomplete last line past the cap: an error (and the buffer dropped)."""
        if len(self.partial) <= self._max_line:
            return None
        return self._too_long(self.offset)

    def _too_long(self, offset: int) -> ResponseParseError:
        self.partial = bytearray()
        cap = self._max_line
        return ResponseParseError(f"a line of the {self._what} is longer than {cap} bytes", offset=offset)

    def rest(self) -> tuple[list[str], ResponseParseError | None]:
        """End of stream: the last line if it had no line end. Then ready for a new stream."""
        last = self.partial
        lines: list[str] = []
        error = None
        if last:
            try:
                lines = [last.decode()]
            except UnicodeDecodeError as exc:
                error = self._error(self.offset + exc.start)
        self._restart()
        return lines, error

    def _decode(self, region: bytes | bytearray, has_cr: bool) -> tuple[list[str], ResponseParseError | None]:
        # `region` ends with a line end. Decoding it whole is one C call; on an error, the lines that end
        # before the faulty byte are still decoded and returned.
        self.scanned += len(region)
        error = None
        try:
            text = region.decode()
        except UnicodeDecodeError as exc:
            error = self._error(self.offset + exc.start)
            good = region[: exc.start]
            cut = good.rfind(b"\n")
            if has_cr:
                cut = max(cut, good.rfind(b"\r"))
            text = good[: cut + 1].decode()
        self.offset += len(region)
        if has_cr:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        lines.pop()  # the empty string after the last line end
        return lines, error

    def _error(self, offset: int) -> ResponseParseError:
        return ResponseParseError(f"invalid UTF-8 in the {self._what}", offset=offset)


def _first_long_line(region: bytes | bytearray, has_cr: bool, limit: int) -> int | None:
    """The position of the first line of ``region`` (which ends with a line end) longer than ``limit``."""
    pos = 0
    size = len(region)
    while pos < size:
        end = region.find(b"\n", pos)
        if end < 0:
            end = size
        if has_cr:
            cr = region.find(b"\r", pos, end)
            if cr >= 0:
                end = cr
        if end - pos > limit:
            return pos
        pos = end + (2 if region[end : end + 2] == b"\r\n" else 1)
    return None


class SseDecoder:
    """Bytes in (pieces of any size, split anywhere), :class:`SseEvent` out."""

    __slots__ = (
        "_data",
        "_error",
        "_event",
        "_last_id",
        "_lines",
        "_max_event",
        "_retry",
        "_size",
        "_touched",
    )

    def __init__(self, *, max_line: int = MAX_LINE_BYTES, max_event: int = MAX_EVENT_BYTES) -> None:
        self._lines = _Lines(any_end=True, what="event stream", max_line=max_line)
        self._max_event = max_event
        self._error: ResponseParseError | None = None
        self._reset()
        self._last_id: str | None = None

    def _reset(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []
        self._size = 0  # bytes of data, joins included
        self._retry: int | None = None
        self._touched = False  # a field that counts was set: the block becomes an event

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """The events that ``chunk`` completes."""
        if self._error is not None:
            raise self._error
        lines, error = self._lines.take(chunk)
        events, too_large = self._apply(lines)
        return self._deliver(events, too_large or error)

    def finish(self) -> list[SseEvent]:
        """End of stream: the last line and event even without their line end or blank line. The decoder
        is then ready for a new stream."""
        if self._error is not None:
            raise self._error
        lines, error = self._lines.rest()
        events, too_large = self._apply(lines)
        events = self._deliver(events, too_large or error)
        if self._touched:
            events.append(self._dispatch())
        self._reset()
        self._last_id = None
        return events

    def _deliver(self, events: list[SseEvent], error: ResponseParseError | None) -> list[SseEvent]:
        if error is not None:
            self._error = error
            if not events:
                raise error
        return events

    def _dispatch(self) -> SseEvent:
        event = SseEvent(self._event or None, "\n".join(self._data), self._last_id, self._retry)
        self._reset()
        return event

    def _apply(self, lines: list[str]) -> tuple[list[SseEvent], ResponseParseError | None]:
        """The events ``lines`` complete, and the error of a line that makes its event too large."""
        events: list[SseEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if self._touched:
                    events.append(self._dispatch())
                    data = self._data
                continue
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                size = self._size + bool(data) + (len(value) if value.isascii() else len(value.encode()))
                if size > self._max_event:
                    self._data = []
                    cap = self._max_event
                    return events, ResponseParseError(
                        f"an event of the event stream holds more than {cap} bytes of data"
                    )
                self._size = size
                data.append(value)
                self._touched = True
            elif name == "event":
                self._event = value
                self._touched = True
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
                    self._touched = True
            elif name == "retry":
                millis = _parse_retry(value)
                if millis is not None:
                    self._retry = millis
                    self._touched = True
            # Comments (empty name), unknown fields and ids holding NUL are ignored, as the spec says.
        return events, None


def _parse_retry(value: str) -> int | None:
    """ASCII digits only, and the value must fit in a u64 (as in the Rust core); anything else: None."""
    if not value or not (value.isascii() and value.isdigit()):
        return None
    significant = value.lstrip("0")
    if len(significant) > 20:  # also keeps int() clear of its digit limit
        return None
    millis = int(significant or "0")
    return millis if millis <= _U64_MAX else None


class NdjsonDecoder:
    """Newline-delimited JSON (Ollama's native streams): one JSON text per non-blank line, trimmed of JSON
    whitespace. Lines end with LF; a CR before it is whitespace. The texts are not parsed here."""

    __slots__ = ("_error", "_lines")

    def __init__(self, *, max_line: int = MAX_LINE_BYTES) -> None:
        self._lines = _Lines(any_end=False, what="NDJSON stream", max_line=max_line)
        self._error: ResponseParseError | None = None

    def feed(self, chunk: bytes) -> list[str]:
        """The JSON texts of the lines that ``chunk`` completes."""
        if self._error is not None:
            raise self._error
        return self._texts(*self._lines.take(chunk))

    def finish(self) -> list[str]:
        """End of stream: the last line even without its LF. The decoder is then ready for a new stream."""
        if self._error is not None:
            raise self._error
        return self._texts(*self._lines.rest())

    def _texts(self, lines: list[str], error: ResponseParseError | None) -> list[str]:
        texts = [text for line in lines if (text := line.strip(_JSON_WHITESPACE))]
        if error is not None:
            self._error = error
            if not texts:
                raise error
        return texts
