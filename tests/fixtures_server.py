"""pytest plugin: fixtures that run modelwire.testing's local provider server.

Enable with ``pytest_plugins = ["fixtures_server"]`` in tests/conftest.py.

- ``local_server``: the session's thread-mode server, reset (log, counters, queued faults, settings)
  before and after each test. Use this one by default.
- ``local_server_session``: the same server without the resets (for module-level setup).
- ``local_server_subprocess``: a server in a child process (so a benchmark or a CPU measurement of the
  client does not count the server), shared by the session and reset around each test.
- ``fresh_local_server``: a server of the test's own (thread mode), for tests that change what cannot
  be reset, e.g. a fixed port.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelwire.testing import LocalProviderServer

__all__ = [
    "fresh_local_server",
    "local_server",
    "local_server_session",
    "local_server_subprocess",
    "local_server_subprocess_session",
]


@pytest.fixture(scope="session")
def local_server_session() -> Iterator[LocalProviderServer]:
    with LocalProviderServer() as server:
        yield server


@pytest.fixture
def local_server(local_server_session: LocalProviderServer) -> Iterator[LocalProviderServer]:
    local_server_session.reset()
    yield local_server_session
    local_server_session.reset()


@pytest.fixture(scope="session")
def local_server_subprocess_session() -> Iterator[LocalProviderServer]:
    with LocalProviderServer.start_subprocess() as server:
        yield server


@pytest.fixture
def local_server_subprocess(
    local_server_subprocess_session: LocalProviderServer,
) -> Iterator[LocalProviderServer]:
    local_server_subprocess_session.reset()
    yield local_server_subprocess_session
    local_server_subprocess_session.reset()


@pytest.fixture
def fresh_local_server() -> Iterator[LocalProviderServer]:
    with LocalProviderServer() as server:
        yield server
