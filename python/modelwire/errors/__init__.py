"""Classification: HTTP error responses, in-stream errors and transport failures -> one exception tree.

Every adapter funnels its failures through these four functions, so the same failure gets the same
``ProviderError`` subclass, kind, retryability and Retry-After whatever provider produced it. Nothing
here imports httpx: headers may be an ``httpx.Headers`` or a plain dict, exceptions are matched by name.
"""

from __future__ import annotations

from modelwire.errors.classify import classify_response, classify_stream_error
from modelwire.errors.retry_after import (
    parse_duration,
    parse_requests_limit,
    parse_retry_after,
    parse_should_retry,
)
from modelwire.errors.transport import from_transport_error

__all__ = [
    "classify_response",
    "classify_stream_error",
    "from_transport_error",
    "parse_duration",
    "parse_requests_limit",
    "parse_retry_after",
    "parse_should_retry",
]
