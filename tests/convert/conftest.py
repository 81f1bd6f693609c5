"""Fixtures of the Convert and Dust tabs' tests: a stored exchange connection for a fresh sandbox
account, and ``Desk``, the sandbox's side of it read and driven through its admin API and the
account's own key. The sandbox's OTC and dust settings and its faults are put back afterwards
(they are exchange-wide)."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal

import pytest
import requests

import binanceus
from accounts import services
from accounts.models import Environment, KeyType
from accounts.services.balances import connection_sync_balances
from tests.factories import login, make_user
from tests.support import exchange_client

_seq = itertools.count(1)

FUNDS = {"USD": "10000", "BTC": "1", "ETH": "5"}
# Under the dust threshold into BTC (a few dollars each at the sandbox's prices).
DUST = {"USD": "100", "ETH": "0.001", "SOL": "0.02", "BTC": "0.5"}
ENDPOINTS = {
    "quote": "POST /sapi/v1/otc/quotes",
    "order": "POST /sapi/v1/otc/orders",
    "dust": "POST /sapi/v1/asset/dust",
}


class Exchange:
    """One sandbox account, through the admin API and its own key."""

    def __init__(self, base: str, email: str, key: dict):
        self.base, self.email = base, email
        self.api_key, self.secret = key["apiKey"], key["secretKey"]

    def admin(self, path: str, doc: dict) -> dict:
        resp = requests.post(f"{self.base}/sandbox/v1/{path}", json=doc, timeout=5)
        assert resp.ok, resp.text
        return resp.json()

    def faults(self, **doc) -> None:
        self.admin("faults", doc)

    def advance_clock(self, ms: int) -> None:
        self.admin("clock", {"advanceMs": ms})

    def calls(self, kind: str) -> int:
        """How many requests of ``kind`` reached the exchange (from any account)."""
        doc = requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()
        return doc["byEndpoint"].get(ENDPOINTS[kind], 0)

    def client(self) -> binanceus.Client:
        return exchange_client(self.api_key, self.secret, self.base)

    def free(self, asset: str) -> Decimal:
        with self.client() as c:
            return c.account().balance(asset).free

    def otc_orders(self) -> list:
        with self.client() as c:
            return c.otc_orders(limit=100).rows


def _connection(sandbox_url, balances: dict):
    email = f"convert{next(_seq)}-{time.monotonic_ns()}@example.test"
    resp = requests.post(
        f"{sandbox_url}/sandbox/v1/accounts",
        json={"email": email, "balances": balances},
        timeout=5,
    )
    resp.raise_for_status()
    key = resp.json()
    conn = services.connection_import(
        user=make_user(),
        label=f"Convert {next(_seq)}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=key["apiKey"],
        api_secret=key["secretKey"],
    )
    connection_sync_balances(connection_id=conn.pk)
    return conn, Exchange(sandbox_url, email, key)


@pytest.fixture
def sandbox_reset(sandbox_url):
    """Put the exchange-wide OTC and dust settings and the faults back after the test."""
    otc = requests.get(f"{sandbox_url}/sandbox/v1/otc", timeout=5).json()
    dust = requests.get(f"{sandbox_url}/sandbox/v1/dust", timeout=5).json()
    yield
    requests.delete(f"{sandbox_url}/sandbox/v1/faults", timeout=5)
    keep = ("spread", "quoteValidityMs", "acceptDelayMs", "settleDelayMs", "failNextOrders")
    requests.post(
        f"{sandbox_url}/sandbox/v1/otc", json={k: otc[k] for k in keep if k in otc}, timeout=5
    )
    requests.post(f"{sandbox_url}/sandbox/v1/dust", json=_settable(dust), timeout=5)


def _settable(dust: dict) -> dict:
    return {k: v for k, v in dust.items() if k in ("thresholdUsd", "cooldownMs", "feeRate")}


@pytest.fixture
def convert_account(sandbox_url, sandbox_reset):
    """(connection, Exchange): an exchange connection of a fresh user, with ``FUNDS``."""
    return _connection(sandbox_url, FUNDS)


@pytest.fixture
def dust_account(sandbox_url, sandbox_reset):
    """(connection, Exchange): as ``convert_account``, holding ``DUST``."""
    return _connection(sandbox_url, DUST)


@pytest.fixture
def convert_desk(client, convert_account):
    """The connection's owner signed in (fresh auth): (client, connection, Exchange)."""
    conn, exchange = convert_account
    login(client, conn.user)
    return client, conn, exchange


def convert_objects(owner) -> tuple[object, dict]:
    """For the ownership matrix (``tests/desk``): a failed OTC conversion and a failed dust
    conversion of a connection of ``owner``; the ids ``convert`` URLs carry (``cid``, ``did``)."""
    from django.utils import timezone

    from convert.models import DustConversion, OtcConversion
    from tests.factories import make_connection

    conn = make_connection(owner)
    otc = OtcConversion.objects.create(
        connection=conn,
        quote_id=f"{time.monotonic_ns():032x}"[-32:],
        from_coin="BTC",
        to_coin="USD",
        from_amount=Decimal("0.01"),
        to_amount=Decimal("600"),
        ratio=Decimal("60000"),
        valid_until=timezone.now(),
        status="failed",
    )
    dust = DustConversion.objects.create(
        connection=conn,
        request_key=f"{time.monotonic_ns():032x}"[-32:],
        from_assets=["ETH"],
        to_asset="BTC",
        status="failed",
    )
    return otc, {"pk": conn.pk, "cid": otc.pk, "did": dust.pk}


def unknown_otc_conversion(connection, sub: str = ""):
    """For ``BEAT_WORK`` (``convert.tasks.reconcile_conversions``): an OTC conversion whose
    outcome is unknown since past the grace period (the sweep settles it: the exchange's order
    list never had its quote)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from convert.models import OtcConversion

    grace = timedelta(seconds=settings.CONVERT_RECONCILE_GRACE_SECONDS + 60)
    sent = timezone.now() - grace
    return OtcConversion.objects.create(
        connection_id=connection.pk,
        quote_id=f"beat-{time.monotonic_ns()}",
        from_coin="BTC",
        to_coin="USD",
        from_amount=Decimal("0.01"),
        to_amount=Decimal("600"),
        ratio=Decimal("60000"),
        valid_until=sent,
        status="unknown",
        sent_at=sent,
        unknown_since=sent,
    )
