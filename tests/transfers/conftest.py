import itertools

import pytest
import requests

from accounts import services
from accounts.models import Environment, KeyType
from tests.factories import make_user
from tests.support import broker_clear

_seq = itertools.count(1)


class Ledger:
    """The sandbox's side of the story, read through its admin API."""

    def __init__(self, base: str, master: str, subs: list[str]):
        self.base, self.master, self.subs = base, master, subs

    def free(self, email: str, asset: str) -> str:
        acct = requests.get(f"{self.base}/sandbox/v1/accounts/{email}", timeout=5).json()
        return acct["balances"].get(asset, {}).get("free", "0")

    def faults(self, **doc) -> None:
        requests.post(f"{self.base}/sandbox/v1/faults", json=doc, timeout=5).raise_for_status()

    def advance_clock(self, ms: int) -> None:
        """Move the sandbox's clock (its history lag runs on it), not the wall clock."""
        doc = {"advanceMs": ms}
        requests.post(f"{self.base}/sandbox/v1/clock", json=doc, timeout=5).raise_for_status()

    def requests_total(self) -> int:
        return requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()["total"]

    def transfer_calls(self) -> int:
        """How many transfer requests reached the exchange (any account) so far."""
        doc = requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()
        return doc["byPath"].get("/sapi/v3/sub-account/transfer", 0)


@pytest.fixture
def master(sandbox_url, settings):
    """A master account with two sub-accounts, and a stored connection for its key."""
    n = next(_seq)
    email = f"master{n}-{id(settings)}@example.test"

    def post(path, doc):
        return requests.post(f"{sandbox_url}/sandbox/v1/{path}", json=doc, timeout=5).json()

    acct = post("accounts", {"email": email, "balances": {"USD": "1000", "BTC": "1"}})
    subs = []
    for i in (1, 2):
        sub = f"sub{i}-{n}-{id(settings)}@example.test"
        post("accounts", {"email": sub, "master": email, "balances": {"USD": "50"}})
        subs.append(sub)
    conn = services.connection_import(
        user=make_user(),
        label=f"Master {n}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=acct["apiKey"],
        api_secret=acct["secretKey"],
    )
    conn.account_email = email
    conn.save(update_fields=["account_email"])
    yield conn, Ledger(sandbox_url, email, subs)
    requests.delete(f"{sandbox_url}/sandbox/v1/faults", timeout=5)


@pytest.fixture
def broker(settings):
    import redis

    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    yield r
    broker_clear(r)
