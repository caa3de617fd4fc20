"""Incremental Server-Sent Events and NDJSON decoding, from the Rust core when it is loaded.

``SseDecoder().feed(chunk)`` returns the :class:`SseEvent` objects each chunk completes and ``finish()``
those left at the end of the stream; ``NdjsonDecoder`` does the same with one JSON text per line. The
rules (and their three departures from the WHATWG spec) are in :mod:`modelwire.parsing.pure.sse`; both
backends return equal events and raise the same :class:`~modelwire.exceptions.ResponseParseError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelwire._backend import core
from modelwire.parsing.pure import sse as _pure
from modelwire.parsing.pure.sse import SseEvent

__all__ = ["NdjsonDecoder", "SseDecoder", "SseEvent"]

if TYPE_CHECKING:  # both backends have the twin's signatures (see _core.pyi)
    from modelwire.parsing.pure.sse import NdjsonDecoder, SseDecoder
else:
    SseDecoder = _pure.SseDecoder if core is None else core.SseDecoder
    NdjsonDecoder = _pure.NdjsonDecoder if core is None else core.NdjsonDecoder
