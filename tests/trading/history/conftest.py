import itertools
import time
from dataclasses import dataclass
from decimal import Decimal

import pytest
import requests

import binanceus
from accounts import services
from accounts.models import Environment, ExchangeConnection, KeyType
from tests.factories import make_user
from tests.support import exchange_client, start_sandbox, terminate

_seq = itertools.count(1)
HOUR_MS = 3_600_000


@dataclass
class Account:
    """A sandbox account, its stored connection and its keys (for placing orders directly)."""

    base: str
    email: str
    api_key: str
    secret: str
    connection: ExchangeConnection

    def client(self) -> binanceus.Client:
        return exchange_client(self.api_key, self.secret, self.base)

    def bulk_history(self, *, orders: int, start_ms: int, end_ms: int, symbol="BTCUSD") -> dict:
        """Filled orders with one trade each, spread evenly over [start_ms, end_ms]."""
        resp = requests.post(
            f"{self.base}/sandbox/v1/accounts/{self.email}/history",
            json={"symbol": symbol, "orders": orders, "start": start_ms, "end": end_ms},
            timeout=30,
        )
        resp.raise_for_status()
        return resp.json()

    def price(self, symbol: str = "BTCUSD") -> Decimal:
        doc = requests.get(f"{self.base}/api/v3/avgPrice", params={"symbol": symbol}, timeout=5)
        return Decimal(doc.json()["price"]).quantize(Decimal("0.01"))


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture(scope="package")
def history_url():
    """A sandbox of the history tests' own: bulk history takes trade ids from the symbols'
    public counters, which would leave gaps in the tape other tests check for contiguity."""
    proc, base = start_sandbox(seed=13)
    yield base
    terminate(proc)


@pytest.fixture(autouse=True)
def _django_uses_history_sandbox(settings, history_url):
    settings.SANDBOX_REST_URL = history_url
    settings.SANDBOX_WS_URL = history_url.replace("http://", "ws://")


@pytest.fixture
def sandbox_account(history_url) -> dict:
    resp = requests.post(
        f"{history_url}/sandbox/v1/accounts",
        json={
            "email": f"user-{time.monotonic_ns()}@example.test",
            "balances": {"USD": "100000", "USDT": "100000", "BTC": "5", "ETH": "50"},
        },
        timeout=5,
    )
    resp.raise_for_status()
    return resp.json()


@pytest.fixture
def account(sandbox_account, history_url) -> Account:
    conn = services.connection_import(
        user=make_user(),
        label=f"History {next(_seq)}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=sandbox_account["apiKey"],
        api_secret=sandbox_account["secretKey"],
    )
    return Account(
        history_url,
        sandbox_account["email"],
        sandbox_account["apiKey"],
        sandbox_account["secretKey"],
        conn,
    )


@pytest.fixture
def exchange_requests(history_url):
    """Requests the sandbox has received for a path so far: call with the path."""

    def count(path: str | None = None) -> int:
        doc = requests.get(f"{history_url}/sandbox/v1/requests", timeout=5).json()
        return doc["total"] if path is None else doc["byPath"].get(path, 0)

    return count


@pytest.fixture(autouse=True)
def _fresh_budget(settings, history_url):
    """Each test starts with an empty weight budget: the session's Redis and sandbox are shared,
    and the sandbox reports the weight every test before this one used this minute."""
    import redis

    requests.delete(f"{history_url}/sandbox/v1/limits", timeout=5).raise_for_status()
    r = redis.Redis.from_url(settings.REDIS_URL)
    for key in r.scan_iter("desk:exchange-weight:*"):
        r.delete(key)
    for key in r.scan_iter("*desk:history:*"):
        r.delete(key)
    yield


@pytest.fixture(scope="module")
def quiet_url():
    """A sandbox of the module's own without market flow: only the test's orders are on the
    book, so two orders at one price meet each other."""
    proc, base = start_sandbox("--tick-ms", "0", seed=5)
    yield base
    terminate(proc)


def _new_account(base: str, prefix: str) -> Account:
    email = f"{prefix}-{time.monotonic_ns()}@example.test"
    doc = requests.post(
        f"{base}/sandbox/v1/accounts",
        json={"email": email, "balances": {"USD": "100000", "BTC": "5"}},
        timeout=5,
    ).json()
    conn = services.connection_import(
        user=make_user(),
        label=f"{prefix} {next(_seq)}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=doc["apiKey"],
        api_secret=doc["secretKey"],
    )
    return Account(base, email, doc["apiKey"], doc["secretKey"], conn)


@pytest.fixture
def quiet(quiet_url, settings) -> tuple[Account, Account]:
    """Two accounts on the quiet sandbox (the connections' environment points there)."""
    settings.SANDBOX_REST_URL = quiet_url
    accounts = _new_account(quiet_url, "maker"), _new_account(quiet_url, "taker")
    yield accounts
    for acct in accounts:  # leave no order on the book for the next test to meet
        with acct.client() as c:
            if c.open_orders(symbol="BTCUSD"):
                c.cancel_open_orders(symbol="BTCUSD")
