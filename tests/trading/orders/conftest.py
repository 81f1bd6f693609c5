import itertools
from decimal import Decimal

import pytest
import requests

import binanceus
from accounts import services
from accounts.models import Environment, KeyType
from tests.factories import make_user

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
        with binanceus.Client(self.api_key, self.secret, base_url=self.base) as client:
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
