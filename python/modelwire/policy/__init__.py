"""Reliability: one retry layer, fallback chains, adaptive concurrency, rate limits (local and Redis).

The facade builds one :class:`RetryPolicy` per configured chain and runs every call through
``policy.call(attempt)`` / ``await policy.acall(attempt)``. Redis is imported only when a config has
``shared_limits``.
"""

from modelwire.policy.aimd import AIMD
from modelwire.policy.backoff import Backoff
from modelwire.policy.buckets import TokenBucket
from modelwire.policy.chain import AttemptContext, ChainRun
from modelwire.policy.classify import ACTIONS, SHARED_LIMITS_UNAVAILABLE, Action, action_for, is_overload
from modelwire.policy.limiter import ModelLimiter, Outcome, Permit
from modelwire.policy.registry import Limiters, default_limiters
from modelwire.policy.runner import RetryPolicy

__all__ = [
    "ACTIONS",
    "AIMD",
    "SHARED_LIMITS_UNAVAILABLE",
    "Action",
    "AttemptContext",
    "Backoff",
    "ChainRun",
    "Limiters",
    "ModelLimiter",
    "Outcome",
    "Permit",
    "RetryPolicy",
    "TokenBucket",
    "action_for",
    "default_limiters",
    "is_overload",
]
