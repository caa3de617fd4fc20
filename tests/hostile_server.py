"""A tiny hostile HTTP server on loopback for the hardening tests: it answers every request with the
behaviour its path's first segment names, forever or slowly, over a raw socket (no framework to buffer
or tidy up):

- ``/trickle``: a valid chat completion, one byte every ``interval``; ``/slow-headers``: its status line
  and headers that way too;
- ``/endless-body``: JSON that never ends; ``/endless-error``: a 500 whose body never ends;
  ``/huge-declared``: a content-length of a terabyte;
- ``/endless-line``: an SSE line that never ends; ``/endless-event``: data lines without a blank line;
  ``/endless-stream``: valid SSE events forever; ``/slow-stream``: that, one every ``interval``;
  ``/keepalive-stream``: one event, then comments forever;
- ``/cut-openai``, ``/no-done-openai``, ``/cut-anthropic``: close-delimited streams ending at an event
  boundary.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Final

__all__ = ["CHUNK", "HostileServer"]

CHUNK: Final = b"x" * 65536
_BODY: Final = (
    b'{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"slow"},"finish_reason":"stop"}]}'
)
_EVENT: Final = b'data: {"choices":[{"index":0,"delta":{"content":"' + b"y" * 1000 + b'"}}]}\n\n'


class _Handler(socketserver.BaseRequestHandler):
    server: HostileServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            piece = sock.recv(65536)
            if not piece:
                return
            head += piece
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = head.partition(b"\r\n\r\n")[2]
        while len(body) < length:
            body += sock.recv(65536)
        behaviour = head.split(b" ", 2)[1].split(b"/")[1].decode()
        self.server.served.append(behaviour)
        try:
            for piece in getattr(self.server, "_" + behaviour.replace("-", "_"))():
                sock.sendall(piece)
                if self.server.stopping.is_set():
                    return
        except OSError:
            return  # the client gave up: that is the point


class HostileServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.interval = interval
        self.served: list[str] = []
        self.stopping = threading.Event()
        self.sent = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, behaviour: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{behaviour}"

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def _head(self, content_type: bytes, length: int | None = None) -> bytes:
        framing = b"content-length: %d\r\n" % length if length is not None else b"connection: close\r\n"
        return b"HTTP/1.1 200 OK\r\ncontent-type: " + content_type + b"\r\n" + framing + b"\r\n"

    def _forever(self, piece: bytes) -> Iterator[bytes]:
        while not self.stopping.is_set():
            self.sent += len(piece)
            yield piece

    def _trickle(self) -> Iterator[bytes]:
        yield self._head(b"application/json", len(_BODY))
        for byte in _BODY:
            time.sleep(self.interval)
            yield bytes([byte])

    def _endless_body(self) -> Iterator[bytes]:
        yield self._head(b"application/json")
        yield b'{"id":"'
        yield from self._forever(CHUNK)

    def _endless_error(self) -> Iterator[bytes]:
        """An error status whose body never ends."""
        yield b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n"
        yield b"connection: close\r\n\r\n"
        yield b'{"error": {"message": "'
        yield from self._forever(CHUNK)

    def _huge_declared(self) -> Iterator[bytes]:
        yield self._head(b"application/json", 1 << 40)
        yield from self._forever(CHUNK)

    def _endless_line(self) -> Iterator[bytes]:
        yield self._head(b"text/event-stream")
        yield _EVENT + b"data: "
        yield from self._forever(CHUNK)

    def _endless_event(self) -> Iterator[bytes]:
        """One SSE event whose data lines never end (no blank line)."""
        yield self._head(b"text/event-stream")
        yield _EVENT
        yield from self._forever(b"data: " + CHUNK + b"\n")

    def _endless_stream(self) -> Iterator[bytes]:
        yield self._head(b"text/event-stream")
        yield from self._forever(_EVENT * 16)

    def _slow_stream(self) -> Iterator[bytes]:
        """Valid SSE events forever, one every ``interval``."""
        yield self._head(b"text/event-stream")
        while not self.stopping.is_set():
            time.sleep(self.interval)
            yield _EVENT

    def _keepalive_stream(self) -> Iterator[bytes]:
        yield self._head(b"text/event-stream")
        yield _EVENT
        while not self.stopping.is_set():
            time.sleep(self.interval)
            yield b": keep-alive\n\n"

    def _cut_openai(self) -> Iterator[bytes]:
        """Close-delimited, cut at an event boundary: no finish reason, no [DONE]."""
        yield self._head(b"text/event-stream")
        yield _EVENT * 2

    def _no_done_openai(self) -> Iterator[bytes]:
        """Whole (a finish reason) but without [DONE], as many OpenAI-compatible servers end."""
        yield self._head(b"text/event-stream")
        yield _EVENT + b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'

    def _cut_anthropic(self) -> Iterator[bytes]:
        """Anthropic events up to a finish, but no message_stop."""
        yield self._head(b"text/event-stream")
        yield (
            b'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","model":"c",'
            b'"content":[],"usage":{"input_tokens":1,"output_tokens":0}}}\n\n'
            b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
            b'"content_block":{"type":"text","text":""}}\n\n'
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
            b'"delta":{"type":"text_delta","text":"partial"}}\n\n'
            b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
            b'"usage":{"output_tokens":2}}\n\n'
        )

    def _slow_headers(self) -> Iterator[bytes]:
        for byte in self._head(b"application/json", len(_BODY)) + _BODY:
            time.sleep(self.interval)
            yield bytes([byte])
