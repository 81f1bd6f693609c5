import itertools
import time
from decimal import Decimal

import pytest
import requests

from accounts import services
from accounts.models import Environment, KeyType
from tests.factories import login, make_user
from tests.support import exchange_client, start_sandbox, terminate

_seq = itertools.count(1)


class Exchange:
    """The sandbox's side of the story, read through its public and admin APIs."""

    def __init__(self, base: str, account: dict):
        self.base, self.email = base, account["email"]
        self.api_key, self.secret = account["apiKey"], account["secretKey"]

    def faults(self, **doc) -> None:
        requests.post(f"{self.base}/sandbox/v1/faults", json=doc, timeout=5).raise_for_status()

    def requests(self) -> int:
        """How many REST requests this account's key has made so far."""
        doc = requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()
        return doc["byApiKey"].get(self.api_key, 0)

    def orders(self, symbol: str = "BTCUSD", client_order_id: str | None = None) -> list:
        """Every order the exchange holds for the account (optionally: with this client id)."""
        client = exchange_client(self.api_key, self.secret, self.base)
        with client:
            rows = client.all_orders(symbol=symbol)
        return [o for o in rows if client_order_id in (None, o.client_order_id)]

    def free(self, asset: str) -> Decimal:
        acct = requests.get(f"{self.base}/sandbox/v1/accounts/{self.email}", timeout=5).json()
        return Decimal(acct["balances"].get(asset, {}).get("free", "0"))

    def price(self, symbol: str = "BTCUSD") -> Decimal:
        doc = requests.get(f"{self.base}/api/v3/avgPrice", params={"symbol": symbol}, timeout=5)
        return Decimal(doc.json()["price"])

    def below(self, symbol: str = "BTCUSD", percent: int = 5) -> Decimal:
        """A price ``percent`` under the average: rests on the book, within PERCENT_PRICE."""
        return (self.price(symbol) * (100 - percent) / 100).quantize(Decimal("0.01"))

    def above(self, symbol: str = "BTCUSD", percent: int = 5) -> Decimal:
        return (self.price(symbol) * (100 + percent) / 100).quantize(Decimal("0.01"))

    def oco(self):
        """A SELL OCO of 0.01 BTC whose legs both rest: the limit above the price, the stop
        under it."""
        from trading.orders.services import OcoRequest

        return OcoRequest(
            symbol="BTCUSD",
            side="SELL",
            quantity=Decimal("0.01"),
            price=self.above(),
            stop_price=self.below(),
            stop_limit_price=self.below(percent=6),
            stop_limit_time_in_force="GTC",
        )


@pytest.fixture
def trader(sandbox_account, sandbox_url):
    """A stored exchange connection for a fresh funded sandbox account, and that account."""
    conn = services.connection_import(
        user=make_user(),
        label=f"Trader {next(_seq)}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=sandbox_account["apiKey"],
        api_secret=sandbox_account["secretKey"],
    )
    yield conn, Exchange(sandbox_url, sandbox_account)
    requests.delete(f"{sandbox_url}/sandbox/v1/faults", timeout=5)


@pytest.fixture
def desk(client, trader):
    """The trader's owner signed in: (client, connection, sandbox account)."""
    conn, ex = trader
    login(client, conn.user)
    return client, conn, ex


@pytest.fixture(scope="module")
def still_sandbox_url():
    """A sandbox of the test module's own with the market flow off: the book holds only what
    tests put there, and its clock can be moved without touching other tests' listen keys."""
    proc, base = start_sandbox("--tick-ms", "0")
    yield base
    terminate(proc)


@pytest.fixture
def still_trader(still_sandbox_url, settings):
    """Like ``trader``, on the module's still sandbox (the settings point the desk at it).
    Its open orders are canceled afterwards, so the next test finds the initial book."""
    settings.SANDBOX_REST_URL = still_sandbox_url
    settings.SANDBOX_WS_URL = still_sandbox_url.replace("http://", "ws://")
    resp = requests.post(
        f"{still_sandbox_url}/sandbox/v1/accounts",
        json={
            "email": f"still-{time.monotonic_ns()}@example.test",
            "balances": {"USD": "100000", "BTC": "5"},
        },
        timeout=5,
    )
    resp.raise_for_status()
    account = resp.json()
    conn = services.connection_import(
        user=make_user(),
        label=f"Still trader {next(_seq)}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=account["apiKey"],
        api_secret=account["secretKey"],
    )
    yield conn, Exchange(still_sandbox_url, account)
    requests.delete(f"{still_sandbox_url}/sandbox/v1/faults", timeout=5)
    requests.post(f"{still_sandbox_url}/sandbox/v1/clock", json={"offsetMs": 0}, timeout=5)
    with exchange_client(account["apiKey"], account["secretKey"], still_sandbox_url) as c:
        for symbol in {o.symbol for o in c.open_orders()}:
            c.cancel_open_orders(symbol=symbol)
