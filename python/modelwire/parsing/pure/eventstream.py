"""Incremental AWS event stream decoding (``application/vnd.amazon.eventstream``): the pure-Python twin
of ``rust/modelwire-core/src/eventstream``.

A message is a 12-byte prelude (total length, headers length, both big-endian u32, and the CRC32 of
those 8 bytes), the headers, the payload and the CRC32 of everything before it. Headers are a name
(u8 length + UTF-8) and a typed value: ``0``/``1`` true/false, ``2`` i8, ``3`` i16, ``4`` i32, ``5`` i64,
``6`` bytes (u16 length), ``7`` UTF-8 string (u16 length), ``8`` timestamp (i64 milliseconds since the
epoch, kept as an ``int``), ``9`` UUID (16 bytes, kept as ``bytes``).

Rules both backends share (docs/stream-rules.md, section 6):

- bytes arrive in pieces of any size; a message is decoded once its last byte arrived;
- a message may be at most :data:`MAX_HEADERS_BYTES` of headers and :data:`MAX_PAYLOAD_BYTES` of payload
  (the limits of the AWS SDKs); a prelude announcing more is refused as soon as its 12 bytes arrive,
  before anything is buffered;
- a checksum that does not match, a length that cannot be, malformed headers, and a stream that ends
  inside a message are a :class:`~modelwire.exceptions.ResponseParseError` naming the message (1-based)
  and its byte offset in the stream; nothing is skipped;
- as for the SSE decoder, messages completed before a fault are returned by that ``feed``, the error is
  raised by the next call, and the decoder stays failed.
"""

from __future__ import annotations

import struct
import zlib
from typing import ClassVar, Final

from modelwire.exceptions import ResponseParseError
from modelwire.types._record import Record

__all__ = [
    "MAX_HEADERS_BYTES",
    "MAX_PAYLOAD_BYTES",
    "EventStreamDecoder",
    "EventStreamMessage",
    "HeaderValue",
]

PRELUDE_BYTES: Final = 12
MIN_MESSAGE_BYTES: Final = 16  # prelude + message checksum
MAX_HEADERS_BYTES: Final = 128 * 1024
MAX_PAYLOAD_BYTES: Final = 24 * 1024 * 1024

HeaderValue = bool | int | bytes | str
_PRELUDE: Final = struct.Struct(">III")
_CRC: Final = struct.Struct(">I")
_FIXED: Final = {
    2: struct.Struct(">b"),
    3: struct.Struct(">h"),
    4: struct.Struct(">i"),
    5: struct.Struct(">q"),
}
_TIMESTAMP: Final = struct.Struct(">q")
_U16: Final = struct.Struct(">H")


class EventStreamMessage(Record):
    """One decoded message: its headers (a later header of the same name wins) and its payload bytes."""

    __slots__ = ("headers", "payload")
    _fields: ClassVar[tuple[str, ...]] = ("headers", "payload")

    def __init__(self, headers: dict[str, HeaderValue], payload: bytes) -> None:
        self.headers = headers
        self.payload = payload


class _Malformed(Exception):
    """A fault in one message's header block."""


class EventStreamDecoder:
    """Event-stream bytes in (split anywhere), :class:`EventStreamMessage` objects out."""

    __slots__ = ("_buffer", "_failure", "_number", "_offset")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._offset = 0  # stream offset of the buffer's first byte
        self._number = 0  # messages completed
        self._failure: ResponseParseError | None = None

    def feed(self, chunk: bytes) -> list[EventStreamMessage]:
        """The messages ``chunk`` completes."""
        if self._failure is not None:
            raise self._failure
        buffer = self._buffer
        buffer += chunk
        out: list[EventStreamMessage] = []
        start = 0
        end = len(buffer)
        try:
            while end - start >= PRELUDE_BYTES:
                total = self._prelude(buffer, start)
                if end - start < total:
                    break
                out.append(self._message(buffer, start, total))
                start += total
        except ResponseParseError as exc:
            self._failure = exc
            if not out:
                raise
        if start:
            del buffer[:start]
            self._offset += start
        return out

    def finish(self) -> list[EventStreamMessage]:
        """End of stream: an error if it ended inside a message."""
        if self._failure is not None:
            raise self._failure
        held = len(self._buffer)
        if held:
            if held < PRELUDE_BYTES:
                what = f"its prelude ({held} of {PRELUDE_BYTES} bytes received)"
            else:
                total = _PRELUDE.unpack_from(self._buffer)[0]
                what = f"it ({held} of {total} bytes received)"
            self._failure = self._error(f"the stream ended inside {what}")
            raise self._failure
        return []

    def _error(self, reason: str, at: int = 0) -> ResponseParseError:
        return ResponseParseError(
            f"event stream message {self._number + 1}: {reason}", offset=self._offset + at
        )

    def _prelude(self, buffer: bytearray, start: int) -> int:
        """The checked total length of the message at ``start``."""
        total: int
        headers: int
        crc: int
        total, headers, crc = _PRELUDE.unpack_from(buffer, start)
        computed = zlib.crc32(buffer[start : start + 8])
        if computed != crc:
            raise self._error(
                f"prelude checksum mismatch (sent {crc:#010x}, computed {computed:#010x})", start
            )
        if total < MIN_MESSAGE_BYTES:
            raise self._error(f"total length {total} is below the {MIN_MESSAGE_BYTES}-byte minimum", start)
        if headers > total - MIN_MESSAGE_BYTES:
            raise self._error(f"headers length {headers} does not fit in total length {total}", start)
        if headers > MAX_HEADERS_BYTES:
            raise self._error(f"headers length {headers} exceeds the {MAX_HEADERS_BYTES}-byte cap", start)
        payload = total - MIN_MESSAGE_BYTES - headers
        if payload > MAX_PAYLOAD_BYTES:
            raise self._error(f"payload length {payload} exceeds the {MAX_PAYLOAD_BYTES}-byte cap", start)
        return total

    def _message(self, buffer: bytearray, start: int, total: int) -> EventStreamMessage:
        end = start + total
        (crc,) = _CRC.unpack_from(buffer, end - 4)
        headers_end = start + PRELUDE_BYTES + _PRELUDE.unpack_from(buffer, start)[1]
        with memoryview(buffer) as view:  # released before the buffer is resized, even on a fault
            computed = zlib.crc32(view[start : end - 4])
            block = bytes(view[start + PRELUDE_BYTES : headers_end])
            payload = bytes(view[headers_end : end - 4])
        if computed != crc:
            raise self._error(
                f"message checksum mismatch (sent {crc:#010x}, computed {computed:#010x})", start
            )
        try:
            headers = _headers(block)
        except _Malformed as fault:
            raise self._error(f"malformed headers: {fault}", start) from None
        self._number += 1
        return EventStreamMessage(headers, payload)


def _headers(block: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    at, end = 0, len(block)
    while at < end:
        size = block[at]
        at += 1
        if size == 0 or at + size > end:
            raise _Malformed("a header name is empty or cut off")
        try:
            name = block[at : at + size].decode("utf-8")
        except UnicodeDecodeError:
            raise _Malformed("a header name is not valid UTF-8") from None
        at += size
        if at >= end:
            raise _Malformed(f'header "{name}" has no value')
        kind = block[at]
        at += 1
        value, at = _value(block, at, kind, name)
        headers[name] = value
    return headers


def _value(block: bytes, at: int, kind: int, name: str) -> tuple[HeaderValue, int]:
    end = len(block)
    if kind in (0, 1):
        return kind == 0, at
    fixed = _FIXED.get(kind)
    if fixed is not None or kind == 8:
        codec = fixed or _TIMESTAMP
        if at + codec.size > end:
            raise _Malformed(f'the value of header "{name}" is cut off')
        return codec.unpack_from(block, at)[0], at + codec.size
    if kind in (6, 7):
        if at + 2 > end:
            raise _Malformed(f'the value of header "{name}" is cut off')
        (size,) = _U16.unpack_from(block, at)
        at += 2
        if at + size > end:
            raise _Malformed(f'the value of header "{name}" is cut off')
        raw = block[at : at + size]
        if kind == 6:
            return raw, at + size
        try:
            return raw.decode("utf-8"), at + size
        except UnicodeDecodeError:
            raise _Malformed(f'the value of header "{name}" is not valid UTF-8') from None
    if kind == 9:
        if at + 16 > end:
            raise _Malformed(f'the value of header "{name}" is cut off')
        return block[at : at + 16], at + 16
    raise _Malformed(f'header "{name}" has unknown value type {kind}')
