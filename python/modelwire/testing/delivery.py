"""Putting an answer on the wire, with the transport faults a ``Fault`` asks for."""

from __future__ import annotations

import asyncio
import socket
import struct

from modelwire.testing.faults import Fault, FaultAction
from modelwire.testing.http11 import LAST_CHUNK, chunk, response_head
from modelwire.testing.routing import Answer

__all__ = ["deliver"]

_LARGE = 256 * 1024  # only wait for the socket buffer to drain past this much queued data


async def deliver(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    answer: Answer,
    fault: Fault | None,
    *,
    keep_alive: bool,
    default_event_delay: float | None,
    hanging: set[asyncio.StreamWriter],
) -> bool:
    """Send ``answer`` as ``fault`` says; True when the connection can serve another request."""
    action = FaultAction.NONE if fault is None else fault.action
    if fault is not None and fault.delay > 0:
        await asyncio.sleep(fault.delay)
    if action is FaultAction.HANG:
        await _hang(reader, writer, hanging)
        return False
    if action is FaultAction.RESET:
        _reset(writer)
        return False

    streamed = answer.events is not None
    head = response_head(
        answer.status,
        answer.headers,
        content_length=None if streamed else len(answer.body),
        keep_alive=keep_alive or action is not FaultAction.NONE,  # a drop must not look announced
    )
    if action is FaultAction.DROP_AFTER_HEADERS:
        writer.write(head)
        await writer.drain()
        return False
    limit = fault.drop_after_bytes if fault is not None and action is FaultAction.DROP_MID_BODY else None

    if answer.events is None:
        body = answer.body if limit is None else answer.body[:limit]
        writer.write(head + body)
        if limit is not None or writer.transport.get_write_buffer_size() > _LARGE:
            await writer.drain()
        return limit is None and keep_alive

    events = [e for e in answer.events if e]
    event_delay = (
        fault.event_delay if fault is not None and fault.event_delay is not None else default_event_delay
    )
    if event_delay is None and limit is None:
        writer.write(head + b"".join(chunk(e) for e in events) + LAST_CHUNK)
        await writer.drain()
        return keep_alive
    writer.write(head)
    sent = 0
    for index, event in enumerate(events):
        if index and event_delay is not None:
            await asyncio.sleep(event_delay)
        if limit is not None and sent + len(event) >= limit:
            # The chunk announces the whole event but only part of it arrives: a real mid-body drop.
            writer.write(b"%x\r\n" % len(event) + event[: limit - sent])
            await writer.drain()
            return False
        writer.write(chunk(event))
        sent += len(event)
        await writer.drain()
    if limit is not None:
        return False  # the body was shorter than the limit: drop before the terminating chunk
    writer.write(LAST_CHUNK)
    await writer.drain()
    return keep_alive


async def _hang(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hanging: set[asyncio.StreamWriter]
) -> None:
    """Read and discard until the client closes (or ``reset()`` aborts the connection)."""
    hanging.add(writer)
    try:
        while await reader.read(65536):
            pass
    finally:
        hanging.discard(writer)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0, so the kernel sends RST instead of FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
