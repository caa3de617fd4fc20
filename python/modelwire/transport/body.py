"""Reading a response body under a size cap and a whole-response deadline, sync and async.

httpx bounds each read (its read timeout), not the whole body: a server trickling one byte a second kept
a sync call open for as long as it liked, and a body without end was buffered until memory ran out. Here
every body is read chunk by chunk: past ``max_bytes`` (decoded bytes, so a compressed bomb is stopped
too; a ``content-length`` above it fails before anything is read) it raises
:class:`~modelwire.exceptions.ResponseTooLargeError`, and past the deadline the library's ``ReadTimeout``
(classified as a timeout like any other). The async reader is also cancelled at the deadline while
waiting; the sync one checks it after each chunk, each wait being bounded by the read timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

from modelwire.exceptions import ResponseTooLargeError

__all__ = ["aread_body", "astream_chunks", "read_body", "stream_chunks"]


def _too_large(limit: int, what: str) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"the {what} is larger than max_response_bytes ({limit} bytes); raise the limit if it is expected",
        should_retry=False,
    )


def _check_declared(response: Any, limit: int | None) -> None:
    declared = response.headers.get("content-length")
    if limit is not None and declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, f"response body ({declared} bytes declared)")


def _timed_out(library: ModuleType, response: Any, seconds: float | None, what: str) -> Exception:
    error: Exception = library.ReadTimeout(
        f"the {what} took longer than {seconds:g}s", request=response.request
    )
    return error


def read_body(
    response: Any, *, max_bytes: int | None, total: float | None, started: float, library: ModuleType
) -> None:
    """Read ``response``'s whole body into it (``response.content``), within the caps."""
    _check_declared(response, max_bytes)
    deadline = None if total is None else started + total
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise _too_large(max_bytes, "response body")
        chunks.append(chunk)
        if deadline is not None and time.monotonic() > deadline:
            raise _timed_out(library, response, total, "response")
    response._content = b"".join(chunks)  # what httpx's own Response.read() sets


async def aread_body(response: Any, *, max_bytes: int | None) -> None:
    """The async twin of :func:`read_body`; the caller bounds the time (a cancel scope)."""
    _check_declared(response, max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise _too_large(max_bytes, "response body")
        chunks.append(chunk)
    response._content = b"".join(chunks)


def _identity(response: Any) -> bool:
    """No content encoding: the raw bytes are the body (one generator layer less per chunk)."""
    return str(response.headers.get("content-encoding", "identity")).strip().lower() in ("", "identity")


def stream_chunks(
    response: Any, *, max_bytes: int | None, total: float | None, started: float, library: ModuleType
) -> Iterator[bytes]:
    """The chunks of a streamed body (decoded), failing past ``max_bytes`` or ``total`` seconds after
    ``started`` (both optional)."""
    deadline = None if total is None else started + total
    chunks = response.iter_raw() if _identity(response) else response.iter_bytes()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise _too_large(max_bytes, "streamed response")
        if deadline is not None and time.monotonic() > deadline:
            raise _timed_out(library, response, total, "stream")
        yield chunk


async def astream_chunks(
    response: Any, *, max_bytes: int | None, total: float | None, started: float, library: ModuleType
) -> AsyncIterator[bytes]:
    """The async twin of :func:`stream_chunks` (the wait for a chunk is also cut at the deadline)."""
    deadline = None if total is None else started + total
    chunks = response.aiter_raw() if _identity(response) else response.aiter_bytes()
    size = 0
    while True:
        try:
            if deadline is None:
                chunk = await anext(chunks)
            else:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise _timed_out(library, response, total, "stream") from None
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise _too_large(max_bytes, "streamed response")
        yield chunk
