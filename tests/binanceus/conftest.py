from __future__ import annotations

import pytest

from tests.support import exchange_client

from .fakes import FakeExchange, make_client


@pytest.fixture
def fake() -> FakeExchange:
    return FakeExchange()


@pytest.fixture
def client(fake):
    with make_client(fake) as c:
        yield c


@pytest.fixture
def trader(sandbox_url, sandbox_account):
    """A fresh funded account's client of the suite's sandbox."""
    with exchange_client(
        sandbox_account["apiKey"], sandbox_account["secretKey"], base_url=sandbox_url, timeout=5
    ) as c:
        yield c
