"""Clients built for connections, against the real sandbox."""

import pytest
import requests

from accounts.exchange import client_for_connection
from accounts.models import Environment, KeyType
from accounts.services import connection_import
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _time_requests(base: str) -> int:
    doc = requests.get(f"{base}/sandbox/v1/requests", timeout=5).json()
    return doc["byPath"].get("/api/v3/time", 0)


def test_it_measures_the_exchange_clock_once_for_every_client_of_the_process(
    use_sandbox, sandbox_url, sandbox_account
):
    conn = connection_import(
        user=make_user(),
        label="Clock",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=sandbox_account["apiKey"],
        api_secret=sandbox_account["secretKey"],
    )
    with client_for_connection(conn) as first:
        first.account()
    before = _time_requests(sandbox_url)
    for _ in range(3):  # e.g. three orders placed one after the other, a client each
        with client_for_connection(conn) as c:
            c.account()
    assert _time_requests(sandbox_url) == before
