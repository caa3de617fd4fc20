"""Incremental AWS event stream decoding (``application/vnd.amazon.eventstream``), from the Rust core
when it is loaded.

``EventStreamDecoder().feed(chunk)`` returns the :class:`EventStreamMessage` objects each chunk
completes and ``finish()`` raises if the stream ended inside a message. The rules (checksums, the caps
:data:`MAX_HEADERS_BYTES` and :data:`MAX_PAYLOAD_BYTES`) are in :mod:`modelwire.parsing.pure.eventstream`;
both backends return equal messages and raise the same :class:`~modelwire.exceptions.ResponseParseError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelwire._backend import core
from modelwire.parsing.pure import eventstream as _pure
from modelwire.parsing.pure.eventstream import MAX_HEADERS_BYTES, MAX_PAYLOAD_BYTES, EventStreamMessage

__all__ = ["MAX_HEADERS_BYTES", "MAX_PAYLOAD_BYTES", "EventStreamDecoder", "EventStreamMessage"]

if TYPE_CHECKING:  # both backends have the twin's signatures (see _core.pyi)
    from modelwire.parsing.pure.eventstream import EventStreamDecoder
else:
    EventStreamDecoder = getattr(core, "EventStreamDecoder", None) or _pure.EventStreamDecoder
