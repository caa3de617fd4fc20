"""Defaults for timeouts, retries, pools and concurrency, in one place.

Every layer takes these as its defaults, so a number in the docs and the number the code uses cannot
drift apart.
"""

from __future__ import annotations

from typing import Final

# The release. Cargo's workspace version is the source (maturin stamps it on the wheel, _core reports it);
# tests/test_packaging.py fails when this literal, the installed metadata or _core disagree with it.
VERSION: Final = "0.1.0"
USER_AGENT: Final = f"modelwire/{VERSION}"

# Timeouts, seconds. The overall default is LMI's (60 s); connecting gets less because a host that has
# not accepted a connection in 10 s is down, not busy.
DEFAULT_TIMEOUT: Final = 60.0
DEFAULT_CONNECT_TIMEOUT: Final = 10.0
DEFAULT_POOL_TIMEOUT: Final = 30.0
# A whole non-streamed response (headers and body) must arrive within this, whatever the per-read timeout:
# a body trickling in a byte at a time is cut here. A number passed as `timeout` replaces it. Streams
# have no whole-time cap unless `stream_total` is set; their reads, and the wait between two events,
# are bounded by the read timeout.
DEFAULT_RESPONSE_TIMEOUT: Final = 600.0
# The largest response body read (decoded bytes; a stream's bytes count too). Generous: a non-streamed
# answer of ten 4K images in base64 is well under it.
DEFAULT_MAX_RESPONSE_BYTES: Final = 256 << 20
# Every retry/fallback chain ends by this deadline (seconds) unless configured otherwise: long enough for
# every default retry of a few models, short enough that a stalled run ends with an error (LMI had no bound).
DEFAULT_DEADLINE: Final = 600.0
# Redis sits next to the workers: a shared-limits call slower than this means it is in trouble, not busy.
DEFAULT_REDIS_TIMEOUT: Final = 0.5
# AsyncClient.aclose() waits this long in all for async hooks still running, then cancels them (a warning
# says how many): a stuck exporter must not hang a shutdown.
HOOKS_DRAIN_TIMEOUT: Final = 5.0

# Connection pool. Without a configured concurrency the pool allows this many connections; with one,
# the pool is sized to the concurrency so requests never queue invisibly inside httpx.
DEFAULT_MAX_CONNECTIONS: Final = 100
DEFAULT_KEEPALIVE_EXPIRY: Final = 30.0

# Retries: attempts per model = max_retries + 1. Backoff is full jitter: the sleep before retry k is
# uniform in [0, min(MAX_RETRY_DELAY, INITIAL_RETRY_DELAY * 2**(k-1))], and never shorter than a
# Retry-After the provider gave. A Retry-After longer than MAX_RETRY_AFTER is not waited for: the error is
# raised at once (or the chain moves on) with its retry_after.
DEFAULT_MAX_RETRIES: Final = 3
INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 30.0
MAX_RETRY_AFTER: Final = 60.0

# Adaptive concurrency (AIMD), per (provider, model): multiply the limit by DECREASE_FACTOR on a
# 429/503/529 (once per burst), add 1 after INCREASE_AFTER successes in a row. After a cut nothing new is
# admitted for the provider's Retry-After; without one, for COOLDOWN seconds only once SATURATED_AFTER cuts
# came in a row (no success between): a lone 429 is waited out by the retry's backoff alone.
AIMD_DECREASE_FACTOR: Final = 0.75
AIMD_INCREASE_AFTER: Final = 25
AIMD_COOLDOWN: Final = 2.0
AIMD_SATURATED_AFTER: Final = 2
AIMD_MIN_LIMIT: Final = 1

# Anthropic requires max_tokens on every request; this is sent when the caller gives none and the model is
# not in request/anthropic.py's MAX_OUTPUT_TOKENS (4096: the smallest maximum of any Claude model, so it is
# valid everywhere; Data Designer's default too).
ANTHROPIC_DEFAULT_MAX_TOKENS: Final = 4096
ANTHROPIC_API_VERSION: Final = "2023-06-01"

# Structured outputs (response_format=<type>): how many times a model is re-asked after an answer that is
# not valid JSON for the type, before the chain moves on (pydantic-ai's default output retries, too).
DEFAULT_STRUCTURED_RETRIES: Final = 1
