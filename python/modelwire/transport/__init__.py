"""HTTP transport over aiohttp (async, when installed) or httpx (or a user's httpx/httpx2 client): timeouts,
pool limits, sending."""

from modelwire.transport.choose import async_transport
from modelwire.transport.http import AsyncTransport, SyncTransport
from modelwire.transport.timeouts import Timeouts, TimeoutSpec

__all__ = ["AsyncTransport", "SyncTransport", "TimeoutSpec", "Timeouts", "async_transport"]
