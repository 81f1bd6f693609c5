from __future__ import annotations

import pytest

from .fakes import FakeExchange, make_client


@pytest.fixture
def fake() -> FakeExchange:
    return FakeExchange()


@pytest.fixture
def client(fake):
    with make_client(fake) as c:
        yield c
