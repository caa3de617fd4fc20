"""The HTTP/1.1 wire format on asyncio streams: request parsing and response framing.

Just enough of RFC 9112 for a test server that real clients (httpx, the official SDKs, curl) talk to:
keep-alive, Content-Length and chunked request bodies, ``Expect: 100-continue``, chunked responses.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

__all__ = [
    "LAST_CHUNK",
    "MAX_BODY_BYTES",
    "MAX_HEAD_BYTES",
    "ProtocolError",
    "Request",
    "chunk",
    "read_request",
    "reason",
    "response_head",
]

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
LAST_CHUNK = b"0\r\n\r\n"

# Statuses providers use that http.HTTPStatus does not know.
_EXTRA_REASONS = {529: "Site Overloaded"}


class ProtocolError(Exception):
    """A request the server cannot parse; answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class Request:
    method: str
    target: str
    path: str
    query_string: str
    version: str
    raw_headers: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names; repeated fields joined with ", "
    body: bytes
    keep_alive: bool


async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request | None:
    """The next request on the connection, or None when the client closed it between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise ProtocolError(400, "connection closed in the middle of the request head") from None
        return None
    except asyncio.LimitOverrunError:
        raise ProtocolError(431, f"request head larger than {MAX_HEAD_BYTES} bytes") from None

    lines = head[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise ProtocolError(400, f"malformed request line: {lines[0][:100]!r}")
    method, target, version = parts
    raw_headers: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(400, f"malformed header line: {line[:100]!r}")
        value = value.strip()
        raw_headers.append((name, value))
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value

    path, _, query_string = target.partition("?")
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection

    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    try:
        body = await _read_body(reader, headers)
    except asyncio.LimitOverrunError:
        raise ProtocolError(400, "chunk-size or trailer line too long") from None
    return Request(method, target, path, query_string, version, raw_headers, headers, body, keep_alive)


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    encoding = headers.get("transfer-encoding", "").lower()
    if encoding:
        if encoding != "chunked":
            raise ProtocolError(501, f"unsupported transfer-encoding {encoding!r}")
        return await _read_chunked(reader)
    length_text = headers.get("content-length")
    if length_text is None:
        return b""
    if not length_text.isdigit():
        raise ProtocolError(400, f"invalid content-length {length_text[:40]!r}")
    length = int(length_text)
    if length > MAX_BODY_BYTES:
        raise ProtocolError(413, f"request body of {length} bytes is larger than {MAX_BODY_BYTES}")
    return await reader.readexactly(length) if length else b""


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    pieces: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size_text = size_line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(400, f"invalid chunk size {size_text[:20]!r}") from None
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields are ignored
                pass
            return b"".join(pieces)
        total += size
        if total > MAX_BODY_BYTES:
            raise ProtocolError(413, f"chunked request body larger than {MAX_BODY_BYTES} bytes")
        pieces.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolError(400, "chunk data not followed by CRLF")


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _EXTRA_REASONS.get(status, "Unknown")


_date_cache: tuple[int, str] = (0, "")


def _date() -> str:
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def response_head(
    status: int, headers: list[tuple[str, str]], *, content_length: int | None, keep_alive: bool
) -> bytes:
    """Status line and header block; ``content_length=None`` means a chunked body."""
    lines = [f"HTTP/1.1 {status} {reason(status)}", f"date: {_date()}", "server: modelwire-local"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    if content_length is None:
        lines.append("transfer-encoding: chunked")
    else:
        lines.append(f"content-length: {content_length}")
    if not keep_alive:
        lines.append("connection: close")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1", "replace")


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (never empty: an empty chunk would end the body)."""
    return b"%x\r\n%s\r\n" % (len(data), data)
