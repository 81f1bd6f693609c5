"""Fixtures of the Custody tab's tests: a stored custodial connection for a fresh sandbox
account set up for custody (``POST /sandbox/v1/accounts/<email>/custody``) with a custodial key
(``POST /sandbox/v1/keys``), and ``Partner``, the sandbox's side of the story read and driven
through its admin API and the custodial key itself."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal

import pytest
import requests

import binanceus
from accounts import services
from accounts.models import Environment, KeyType
from tests.factories import login, make_user
from tests.support import exchange_client

_seq = itertools.count(1)

RAIL = "ANCHORAGE"
WALLET = {"USD": "1000", "BTC": "2", "ETH": "10"}
CUSTODY = {
    "rail": RAIL,
    "balances": {"BTC": "1"},
    "inSettlement": {"ETH": "0.5"},
    "partnerBalances": {"BTC": "100", "ETH": "50"},
    "transferEligible": ["BTC", "ETH"],
    "settlementEligible": ["BTC"],
    "settlementSetting": {
        "settlementActive": True,
        "frequencyInHours": 12,
        "nextTriggerTime": 4_102_444_800_000,  # 2100-01-01: never reached by a test
    },
    "settlementRecords": [
        {
            "status": "SUCCESS",
            "triggerTime": 1_660_074_030_009,
            "settlementId": "1a22baf2",
            "settlementAssets": [
                {"asset": "BTC", "settleTo": "0xc80e", "network": "BTC", "amount": "0.25"}
            ],
        }
    ],
}
PATHS = {
    "wallet": "/sapi/v1/custodian/walletTransfer",
    "custodian": "/sapi/v1/custodian/custodianTransfer",
    "undo": "/sapi/v1/custodian/undoTransfer",
    "order": "/sapi/v1/custodian/order",
}
# A custodial sub-account that can buy too (USD), and a partner that can fill a shortfall.
TRADER = {
    **CUSTODY,
    "balances": {"BTC": "1", "USD": "1000"},
    "partnerBalances": {"BTC": "100", "ETH": "50", "USD": "100000"},
}


class Partner:
    """The sandbox's custody of one account, through its admin API and the custodial key."""

    def __init__(self, base: str, email: str, key: dict):
        self.base, self.email = base, email
        self.api_key, self.secret = key["apiKey"], key["secretKey"]

    def _post(self, path: str, doc: dict) -> dict:
        resp = requests.post(f"{self.base}/sandbox/v1/{path}", json=doc, timeout=5)
        resp.raise_for_status()
        return resp.json()

    def faults(self, **doc) -> None:
        self._post("faults", doc)

    def advance_clock(self, ms: int) -> None:
        self._post("clock", {"advanceMs": ms})

    def calls(self, kind: str) -> int:
        """How many requests of ``kind`` (wallet, custodian, undo) reached the exchange, from
        any account: the sandbox counts by path."""
        doc = requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()
        return doc["byPath"].get(PATHS[kind], 0)

    def requests(self) -> int:
        """How many REST requests this account's custodial key has made so far."""
        doc = requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()
        return doc["byApiKey"].get(self.api_key, 0)

    def client(self) -> binanceus.Client:
        return exchange_client(self.api_key, self.secret, self.base)

    def custodial_free(self, asset: str) -> Decimal:
        with self.client() as c:
            rows = c.custodian_balance(rail=RAIL).custodial_account_balance
        return sum((r.free for r in rows if r.asset == asset), Decimal(0))

    def wallet_free(self, asset: str) -> Decimal:
        with self.client() as c:
            rows = c.custodian_balance(rail=RAIL).exchange_wallet_balance
        return sum((r.free for r in rows if r.asset == asset), Decimal(0))

    def wallet_history(self) -> list:
        with self.client() as c:
            return c.custodian_wallet_transfer_history(rail=RAIL, limit=100)

    def partner_history(self) -> list:
        with self.client() as c:
            return c.custodian_transfer_history(rail=RAIL, limit=100)


def _account(sandbox_url, custody: dict) -> tuple[str, dict]:
    email = f"custody{next(_seq)}-{time.monotonic_ns()}@example.test"
    base = f"{sandbox_url}/sandbox/v1"
    requests.post(f"{base}/accounts", json={"email": email, "balances": WALLET}, timeout=5)
    requests.post(f"{base}/accounts/{email}/custody", json=custody, timeout=5).raise_for_status()
    key = requests.post(f"{base}/keys", json={"email": email, "type": "custodial"}, timeout=5)
    key.raise_for_status()
    return email, key.json()


@pytest.fixture
def custody_account(sandbox_url) -> tuple[str, dict]:
    """(email, custodial key) of a fresh sandbox account set up for custody."""
    return _account(sandbox_url, CUSTODY)


@pytest.fixture
def custody_master(sandbox_url, custody_account):
    """(connection, Partner): the custodial key stored as a connection of a fresh user. The
    sandbox's faults are cleared afterwards."""
    yield from _master(sandbox_url, custody_account)


@pytest.fixture
def custody_trader(sandbox_url):
    """As ``custody_master``, the custodial sub-account holding ``TRADER``'s balances."""
    yield from _master(sandbox_url, _account(sandbox_url, TRADER))


def _master(sandbox_url, account):
    email, key = account
    conn = services.connection_import(
        user=make_user(),
        label=f"Custody {next(_seq)}",
        key_type=KeyType.CUSTODIAL,
        environment=Environment.SANDBOX,
        api_key=key["apiKey"],
        api_secret=key["secretKey"],
    )
    conn.custodian_rail = RAIL
    conn.save(update_fields=["custodian_rail"])
    yield conn, Partner(sandbox_url, email, key)
    requests.delete(f"{sandbox_url}/sandbox/v1/faults", timeout=5)


@pytest.fixture
def custody_desk(client, custody_master):
    """The custody connection's owner signed in (fresh auth): (client, connection, Partner)."""
    conn, partner = custody_master
    login(client, conn.user)
    return client, conn, partner


def custody_objects(connection_id: int) -> dict:
    """For the ownership matrix (``tests/desk``): a failed partner transfer of the connection,
    a failed custodial order and an open custodial order as the exchange listed it; the ids
    ``custody`` URLs carry (``tid``, ``coid``, ``oid``)."""
    from custody.models import CustodialOrder, CustodyTransfer, ExchangeOrder

    order = CustodialOrder.objects.create(
        connection_id=connection_id,
        request_key=f"{time.monotonic_ns():032x}"[-32:],
        rail=RAIL,
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=Decimal("0.001"),
        price=Decimal("50000"),
        status="failed",
    )
    row = ExchangeOrder.objects.create(
        connection_id=connection_id,
        symbol="BTCUSD",
        order_id=next(_seq) + 10_000_000,
        side="BUY",
        type="LIMIT",
        status="NEW",
        price=Decimal("50000"),
        orig_qty=Decimal("0.001"),
    )

    transfer = CustodyTransfer.objects.create(
        connection_id=connection_id,
        client_order_id=f"{time.monotonic_ns():032x}"[-32:],
        kind="custodian",
        rail=RAIL,
        asset="BTC",
        amount=Decimal("1"),
        status="failed",
    )
    return {"tid": transfer.pk, "coid": order.pk, "oid": row.pk}


def custody_matrix_objects(owner) -> tuple[object, dict]:
    """For the ownership and bad-input matrices (``tests/desk``, namespace ``custody``): a
    custodial connection (no exchange behind its keys) with a failed partner transfer and the
    custodial orders of ``custody_objects``; every id a Custody URL carries (``pk``, ``tid``,
    ``coid``, ``oid``). The transfer must survive a stranger's visit (the open order, a
    stranger's cancel, too: ``oid`` is scoped to the connection)."""
    from custody.models import CustodyTransfer
    from tests.factories import make_connection

    conn = make_connection(owner, key_type=KeyType.CUSTODIAL)
    conn.custodian_rail = RAIL
    conn.save(update_fields=["custodian_rail"])
    ids = custody_objects(conn.pk)
    return CustodyTransfer.objects.get(pk=ids["tid"]), {"pk": conn.pk, **ids}


def make_custodial(connection) -> None:
    """Turn a stored exchange connection of a real sandbox account (its ``account_email``
    set) into a custodial one: the account set up for custody, a custodial key stored."""
    from django.conf import settings

    from accounts import crypto
    from accounts.models import ExchangeConnection

    email = ExchangeConnection.objects.get(pk=connection.pk).account_email
    base = f"{settings.SANDBOX_REST_URL}/sandbox/v1"
    requests.post(f"{base}/accounts/{email}/custody", json=CUSTODY, timeout=5).raise_for_status()
    key = requests.post(f"{base}/keys", json={"email": email, "type": "custodial"}, timeout=5)
    key.raise_for_status()
    ExchangeConnection.objects.filter(pk=connection.pk).update(
        key_type=KeyType.CUSTODIAL,
        custodian_rail=RAIL,
        api_key_encrypted=crypto.encrypt(key.json()["apiKey"]),
        api_secret_encrypted=crypto.encrypt(key.json()["secretKey"]),
    )


def unknown_custody_transfer(connection, sub: str = ""):
    """For ``BEAT_WORK`` (``custody.tasks.reconcile_custody``): the connection made custodial,
    with a partner transfer whose outcome is unknown since past the grace period (the sweep
    settles it: the exchange's history never had it)."""
    from datetime import timedelta

    from django.utils import timezone

    from custody.models import CustodyTransfer
    from custody.reconcile import grace

    make_custodial(connection)
    sent = timezone.now() - grace() - timedelta(seconds=60)
    return CustodyTransfer.objects.create(
        connection_id=connection.pk,
        client_order_id=f"{time.monotonic_ns():032x}"[-32:],
        kind="custodian",
        rail=RAIL,
        asset="BTC",
        amount=Decimal("1"),
        status="unknown",
        sent_at=sent,
        unknown_since=sent,
    )


def custody_watched(connection, sub: str = ""):
    """For ``BEAT_WORK`` (``custody.tasks.sync_custody_all``): the connection made custodial and
    its Custody tab opened (the beat syncs such connections)."""
    from custody.models import CustodySync

    make_custodial(connection)
    return CustodySync.objects.create(connection_id=connection.pk)


def custody_synced(connection, row) -> bool:
    row.refresh_from_db()
    return row.synced_at is not None
