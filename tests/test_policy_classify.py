"""Classification of failures into retry / next model / raise, and the backoff's bounds."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelwire.exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    ContextWindowExceededError,
    ErrorKind,
    InternalServerError,
    ModelRefusalError,
    NotFoundError,
    OverloadedError,
    ProviderError,
    QuotaExceededError,
    RateLimitError,
    StreamInterruptedError,
    UnprocessableEntityError,
    UnsupportedParamsError,
)
from modelwire.policy import ACTIONS, Action, Backoff, action_for, is_overload


def rate_limit(retry_after: float | None = None) -> RateLimitError:
    return RateLimitError("slow down", status_code=429, retry_after=retry_after, model="m")


# -- classification ----------------------------------------------------------------------------------------

CLASSIFIED: list[tuple[ProviderError, Action]] = [
    (rate_limit(), Action.RETRY),
    (OverloadedError("busy", status_code=529), Action.RETRY),
    (APITimeoutError("slow"), Action.RETRY),
    (APIConnectionError("reset"), Action.RETRY),
    (InternalServerError("oops", status_code=502), Action.RETRY),
    (APIError("gateway", status_code=503), Action.RETRY),
    (ContextWindowExceededError("long", status_code=400), Action.NEXT_MODEL),
    (ContentPolicyError("no", status_code=400), Action.NEXT_MODEL),
    (ModelRefusalError("I can't"), Action.NEXT_MODEL),
    (NotFoundError("no model", status_code=404), Action.NEXT_MODEL),
    (AuthenticationError("key", status_code=401), Action.NEXT_MODEL),
    (QuotaExceededError("credits", status_code=429), Action.NEXT_MODEL),
    (BadRequestError("bad", status_code=400), Action.RAISE),
    (UnsupportedParamsError("seed", params=("seed",)), Action.RAISE),
    (UnprocessableEntityError("422", status_code=422), Action.RAISE),
    (APIError("teapot", status_code=418), Action.RAISE),
    (StreamInterruptedError("dropped", should_retry=True), Action.RAISE),
    (BadRequestError("retry me", should_retry=True), Action.RETRY),
    (InternalServerError("do not retry", should_retry=False), Action.NEXT_MODEL),
]


@pytest.mark.parametrize(("error", "action"), CLASSIFIED, ids=[repr(e)[:40] for e, _ in CLASSIFIED])
def test_classification(error: ProviderError, action: Action) -> None:
    assert action_for(error) is action


def test_every_kind_has_an_action_and_retry_kinds_are_the_retryable_ones() -> None:
    assert set(ACTIONS) == set(ErrorKind)
    retried = {kind for kind, action in ACTIONS.items() if action is Action.RETRY}
    assert retried == {kind for kind in ErrorKind if kind.retryable}


@given(
    retry=st.integers(1, 20),
    retry_after=st.floats(0, 60, allow_nan=False),
    seed=st.integers(0, 2**32),
)
def test_a_retry_after_is_never_undercut(retry: int, retry_after: float, seed: int) -> None:
    backoff = Backoff(rng=random.Random(seed))
    delay = backoff.delay(retry, retry_after)
    assert retry_after <= delay <= retry_after * 1.1 + 1e-9
    assert 0 <= backoff.delay(retry) <= backoff.ceiling(retry)


@pytest.mark.parametrize(
    ("error", "overload"),
    [
        (rate_limit(), True),
        (OverloadedError("busy", status_code=529), True),
        (InternalServerError("unavailable", status_code=503), True),
        (InternalServerError("oops", status_code=500), False),
        (QuotaExceededError("credits", status_code=429), False),
        (APITimeoutError("slow"), False),
    ],
    ids=lambda v: repr(v)[:30],
)
def test_overload_signals_cut_the_concurrency(error: ProviderError, overload: bool) -> None:
    assert is_overload(error) is overload
