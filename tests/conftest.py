from __future__ import annotations

import os

import pytest

import modelwire

# Fixtures: the local provider server, a real redis-server and the policy tests' runner; the secret scan
# fails the run on any key that reaches an exception's message, repr or excerpt.
pytest_plugins = ["fixtures_server", "fixtures_redis", "fixtures_policy", "secret_scan"]


def pytest_report_header() -> str:
    return f"modelwire backend: {modelwire.BACKEND}"


@pytest.fixture(scope="session", autouse=True)
def _expected_backend() -> None:
    """`make test` runs the suite once per backend; fail loudly if the wrong one loaded."""
    expected = os.environ.get("MODELWIRE_EXPECT_BACKEND")
    if expected and expected != modelwire.BACKEND:
        pytest.fail(f"expected the {expected} backend, but {modelwire.BACKEND} is active")
