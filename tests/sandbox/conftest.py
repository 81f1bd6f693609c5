"""Fixtures for the sandbox tests on top of the shared `sandbox_url` / `sandbox_account`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox.sandbox_support import start, stop


@pytest.fixture(scope="session")
def quiet_url() -> Iterator[str]:
    """A sandbox without background market flow (--tick-ms 0): the book only changes when a
    test trades, so fills and balances are exactly predictable."""
    proc, base = start("--tick-ms", "0", seed=7)
    yield base
    stop(proc)


@pytest.fixture(scope="module")
def private_url() -> Iterator[str]:
    """A quiet sandbox of the test module's own, for tests that change exchange-wide state
    (faults, history lag) which would disturb other tests sharing a sandbox."""
    proc, base = start("--tick-ms", "0", seed=11)
    yield base
    stop(proc)
