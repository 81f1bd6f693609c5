"""A stored credit-line connection against the real sandbox, and the sandbox's side of it.

The line's collateral is SOL and its loan USD sized so that the LTV starts at 0.5 at the
current SOLUSD price; tests move the price with the sandbox's admin price shock and put it back
afterwards (other tests of the session trade on the same market).
"""

from __future__ import annotations

import itertools
import time
from decimal import Decimal

import pytest
import requests

from accounts import services
from accounts.models import Environment, KeyType
from tests.factories import login, make_user
from tests.support import exchange_client

_seq = itertools.count(1)
SYMBOL = "SOLUSD"
COLLATERAL = Decimal("100")  # SOL


class Line:
    """The sandbox's credit line of one account, read and driven through its APIs."""

    def __init__(self, base: str, email: str, key: dict):
        self.base, self.email = base, email
        self.api_key, self.secret = key["apiKey"], key["secretKey"]

    def admin(self, path: str, doc: dict) -> dict:
        resp = requests.post(f"{self.base}/sandbox/v1/{path}", json=doc, timeout=5)
        resp.raise_for_status()
        return resp.json()

    def configure(self, **doc) -> dict:
        return self.admin(f"accounts/{self.email}/credit-line", doc)

    def price(self) -> Decimal:
        doc = requests.get(
            f"{self.base}/api/v3/ticker/price", params={"symbol": SYMBOL}, timeout=5
        ).json()
        return Decimal(doc["price"])

    def shock(self, price: Decimal) -> Decimal:
        doc = self.admin("prices", {"symbol": SYMBOL, "price": f"{price:.2f}"})
        return Decimal(doc["price"])

    def faults(self, **doc) -> None:
        self.admin("faults", doc)

    def client(self):

        return exchange_client(self.api_key, self.secret, self.base)

    def account(self):
        with self.client() as client:
            return client.credit_line_account()

    def transfers(self) -> list:
        with self.client() as client:
            return client.credit_line_transfer_history()

    def calls(self, path: str) -> int:
        doc = requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()
        return doc["byPath"].get(path, 0)


@pytest.fixture
def credit_line(sandbox_url):
    """(connection, Line): a master account with a credit line (LTV 0.5 at today's SOL price),
    stored as a credit-line connection of a fresh user with an e-mail address."""
    n = next(_seq)
    email = f"cl{n}-{time.monotonic_ns()}@example.test"
    resp = requests.post(
        f"{sandbox_url}/sandbox/v1/accounts",
        json={"email": email, "balances": {"USD": "100000", "SOL": "500"}},
        timeout=5,
    )
    resp.raise_for_status()
    key = requests.post(
        f"{sandbox_url}/sandbox/v1/keys", json={"email": email, "type": "credit_line"}, timeout=5
    ).json()
    line = Line(sandbox_url, email, key)
    start = line.price()
    loan = (COLLATERAL * start / 2).quantize(Decimal("0.01"))
    line.configure(
        balances={"SOL": str(COLLATERAL)},
        loanAssets=[
            {"loanAsset": "USD", "loanQuantity": str(loan), "currentLoanQuantity": str(loan)}
        ],
        contractStartTime=1676332800000,
        contractEndTime=1900000000000,
    )
    user = make_user()
    user.email = f"owner{n}@example.test"
    user.save(update_fields=["email"])
    conn = services.connection_import(
        user=user,
        label=f"Credit {n}",
        key_type=KeyType.CREDIT_LINE,
        environment=Environment.SANDBOX,
        api_key=key["apiKey"],
        api_secret=key["secretKey"],
    )
    yield conn, line
    requests.delete(f"{sandbox_url}/sandbox/v1/faults", timeout=5)
    line.shock(start)


@pytest.fixture
def credit_desk(client, credit_line):
    """The credit line's owner signed in (fresh auth): (client, connection, Line)."""
    conn, line = credit_line
    login(client, conn.user)
    return client, conn, line


def credit_line_objects(owner) -> tuple[object, dict]:
    """A credit-line connection (no exchange behind it) with its figures, one transfer
    (``tid``) and one alert (``aid``): every id a Credit line URL can carry."""
    from datetime import UTC, datetime

    from creditline.models import CreditAlert, CreditLineState, CreditTransfer
    from tests.factories import make_connection

    conn = make_connection(owner, key_type=KeyType.CREDIT_LINE)
    at = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    CreditLineState.objects.create(
        connection=conn,
        current_ltv=Decimal("0.5"),
        initial_ltv=Decimal("0.62"),
        margin_call_ltv=Decimal("0.8"),
        liquidation_ltv=Decimal("0.9"),
        required_deposit_amount=Decimal(0),
        available_to_transfer_out=Decimal("100"),
        can_transfer_in=True,
        can_transfer_out=True,
        synced_at=at,
    )
    transfer = CreditTransfer.objects.create(
        connection=conn,
        request_key=f"matrix-{conn.pk}",
        transfer_type="TRANSFER_IN",
        asset="USD",
        quantity=Decimal("1"),
        status="failed",
    )
    alert = CreditAlert.objects.create(
        connection=conn,
        alert_time=at,
        alert_type="MARGIN_CALL",
        current_ltv=Decimal("0.81"),
        initial_ltv=Decimal("0.62"),
        margin_call_ltv=Decimal("0.8"),
        liquidation_ltv=Decimal("0.9"),
        total_balance=Decimal("1000"),
    )
    return alert, {"pk": conn.pk, "tid": transfer.pk, "aid": alert.pk}


def make_credit_line(connection) -> None:
    """Turn a stored exchange connection of a real sandbox account (its ``account_email``
    set) into a credit-line one: the account given a credit line, a credit-line key stored."""
    from django.conf import settings

    from accounts import crypto
    from accounts.models import ExchangeConnection

    email = ExchangeConnection.objects.get(pk=connection.pk).account_email
    base = f"{settings.SANDBOX_REST_URL}/sandbox/v1"
    doc = {
        "balances": {"SOL": "100"},
        "loanAssets": [{"loanAsset": "USD", "loanQuantity": "1000", "currentLoanQuantity": "1000"}],
    }
    requests.post(f"{base}/accounts/{email}/credit-line", json=doc, timeout=5).raise_for_status()
    key = requests.post(f"{base}/keys", json={"email": email, "type": "credit_line"}, timeout=5)
    key.raise_for_status()
    ExchangeConnection.objects.filter(pk=connection.pk).update(
        key_type=KeyType.CREDIT_LINE,
        api_key_encrypted=crypto.encrypt(key.json()["apiKey"]),
        api_secret_encrypted=crypto.encrypt(key.json()["secretKey"]),
    )


def unknown_credit_transfer(connection, sub: str = ""):
    """For ``BEAT_WORK`` (``creditline.tasks.reconcile_credit_transfers``): the connection made a
    credit line, with a transfer whose outcome is unknown since past the grace period (the sweep
    settles it: the exchange's history never had it)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from creditline.models import CreditTransfer

    make_credit_line(connection)
    grace = timedelta(seconds=settings.CREDIT_TRANSFER_RECONCILE_GRACE_SECONDS + 60)
    sent = timezone.now() - grace
    return CreditTransfer.objects.create(
        connection_id=connection.pk,
        request_key=f"beat-{time.monotonic_ns()}",
        transfer_type="TRANSFER_IN",
        asset="USD",
        quantity=Decimal("1"),
        status="unknown",
        sent_at=sent,
        unknown_since=sent,
    )
