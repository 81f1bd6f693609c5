"""Fixtures of the Rewards tab's and the Broker page's tests: a stored exchange connection for a
fresh sandbox account, and ``Exchange``, the sandbox's side of it, driven through its admin API
(partners, referral rows, brokers, kickbacks) and the account's own key.

Partner ids and agent codes are exchange-wide in the sandbox: each test makes its own.
Also here: what the ownership and bad-input matrices need to build the area's objects
(``rewards_objects``) and to run its beat tasks (``watched_for_rewards`` and the rest).
"""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

import binanceus
from accounts import services
from accounts.models import Environment, KeyType
from tests.factories import login, make_user
from tests.support import exchange_client

_seq = itertools.count(1)
FUNDS = {"USD": "100000", "BTC": "5"}


def unique_code(prefix: str) -> str:
    """8 letters or digits, unlike any other test's (the sandbox may be the session's)."""
    return (prefix + uuid.uuid4().hex.upper())[:8]


class Exchange:
    """One sandbox account, through the admin API and its own key."""

    def __init__(self, base: str, email: str, key: dict):
        self.base, self.email = base, email
        self.api_key, self.secret = key["apiKey"], key["secretKey"]

    def admin(self, path: str, doc: dict) -> dict:
        resp = requests.post(f"{self.base}/sandbox/v1/{path}", json=doc, timeout=5)
        assert resp.ok, resp.text
        return resp.json()

    def client(self) -> binanceus.Client:
        return exchange_client(self.api_key, self.secret, self.base)

    def calls(self, key: str) -> int:
        """How many requests of ``key`` ("GET /sapi/...") reached the exchange (any account)."""
        doc = requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()
        return doc["byEndpoint"].get(key, 0)

    def total_calls(self) -> int:
        return requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()["total"]

    def now_ms(self) -> int:
        return requests.get(f"{self.base}/api/v3/time", timeout=5).json()["serverTime"]

    def register_partner(self, **doc) -> str:
        """A new API partner (its own account) with this account eligible: its id."""
        owner = new_account(self.base)
        partner_id = unique_code("P")
        self.admin("partners", {"partnerId": partner_id, "email": owner["email"], **doc})
        return partner_id

    def referrals(self, *, referrer=(), referee=()) -> dict:
        return self.admin(
            f"accounts/{self.email}/referral",
            {"referrer": list(referrer), "referee": list(referee)},
        )

    def make_broker(self, **doc) -> str:
        code = doc.pop("apiAgentCode", None) or unique_code("B")
        self.admin(f"accounts/{self.email}/broker", {"apiAgentCode": code, **doc})
        return code

    def kickbacks(self, rows=(), **doc) -> dict:
        return self.admin(f"accounts/{self.email}/kickbacks", {"rows": list(rows), **doc})

    def buy(self, client_order_id: str, quantity: str = "0.01") -> binanceus.Order:
        """A market buy of BTCUSD that fills (and pays a commission) under ``client_order_id``."""
        with self.client() as c:
            return c.new_order(
                symbol="BTCUSD",
                side="BUY",
                type="MARKET",
                quantity=Decimal(quantity),
                new_client_order_id=client_order_id,
            )


def new_account(base: str, balances: dict | None = None) -> dict:
    email = f"rewards{next(_seq)}-{time.monotonic_ns()}@example.test"
    resp = requests.post(
        f"{base}/sandbox/v1/accounts",
        json={"email": email, "balances": balances or FUNDS},
        timeout=5,
    )
    resp.raise_for_status()
    return resp.json()


def connection_for(base: str, account: dict, user=None):
    conn = services.connection_import(
        user=user or make_user(),
        label=f"Rewards {next(_seq)}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=account["apiKey"],
        api_secret=account["secretKey"],
    )
    type(conn).objects.filter(pk=conn.pk).update(account_email=account["email"])
    return conn


@pytest.fixture
def rewards_account(sandbox_url):
    """(connection, Exchange): an exchange connection of a fresh user for a fresh account."""
    account = new_account(sandbox_url)
    conn = connection_for(sandbox_url, account)
    return conn, Exchange(sandbox_url, account["email"], account)


@pytest.fixture
def rewards_desk(client, rewards_account):
    """The account's owner signed in: (client, connection, Exchange)."""
    conn, exchange = rewards_account
    login(client, conn.user)
    return client, conn, exchange


# -- the matrices --------------------------------------------------------------------------------


def rewards_objects(owner) -> tuple[object, dict]:
    """For ``OBJECT_FACTORIES["rewards"]``: an exchange connection (no exchange behind it) with
    stored rewards, a rebate and a ready export (``eid``): every id a Rewards URL carries."""
    from rewards.models import BrokerExport, PartnerRebate, ReferralReward, RewardsProfile
    from tests.factories import make_connection

    conn = make_connection(owner)
    at = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    RewardsProfile.objects.create(connection=conn, synced_at=at)
    ReferralReward.objects.create(
        connection=conn,
        biz_type=0,
        user_id=1,
        reward_amount=Decimal("8"),
        reward_type="USD",
        received=at,
    )
    PartnerRebate.objects.create(
        connection=conn, partner_id="ABCD1234", qty=Decimal("0.1"), asset="USD", date=at
    )
    export = BrokerExport.objects.create(
        connection=conn,
        requested_at=at,
        status="ready",
        content=b"income,asset,symbol,time\n",
        size=25,
        finished_at=at,
    )
    return export, {"pk": conn.pk, "eid": export.pk}


def watched_for_rewards(connection, sub: str = ""):
    """For ``BEAT_WORK`` (``rewards.tasks.sync_rewards_all``): the connection's Rewards tab was
    opened (the periodic sync follows it)."""
    from rewards.models import RewardsProfile

    return RewardsProfile.objects.get_or_create(connection_id=connection.pk)[0]


def rewards_synced(connection, profile) -> bool:
    profile.refresh_from_db()
    return profile.synced_at is not None and not profile.sync_error


def lost_export(connection, sub: str = ""):
    """For ``BEAT_WORK`` (``rewards.tasks.sweep_broker_exports``): an export the exchange has
    ready (the account's export asked with no delay) whose follow-up was lost long ago."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from accounts.models import ExchangeConnection
    from rewards.models import BrokerExport

    email = ExchangeConnection.objects.get(pk=connection.pk).account_email
    base = settings.SANDBOX_REST_URL
    if email:
        requests.post(
            f"{base}/sandbox/v1/accounts/{email}/kickbacks",
            json={"exportDelayMs": 0},
            timeout=5,
        ).raise_for_status()
    from accounts.exchange import client_for_connection

    try:
        with client_for_connection(connection) as client:
            client.broker_kickback_export_start()
    except binanceus.BinanceUSError:
        pass  # a connection with made-up keys: its row is followed and fails, as it should
    then = timezone.now() - timedelta(minutes=10)
    return BrokerExport.objects.create(connection_id=connection.pk, requested_at=then)


def export_ready(connection, export) -> bool:
    export.refresh_from_db()
    return export.status == "ready" and bytes(export.content).startswith(b"income,")


def _world_broker(w) -> str:
    """The bad-input world's master made a broker (again: each case rolls back the desk, not
    the exchange) under a fresh agent code, saved on the Rewards connection's profile."""
    from rewards.models import RewardsProfile

    code = unique_code("W")
    requests.post(
        f"{w.base}/sandbox/v1/accounts/{w.master_email}/broker",
        json={"apiAgentCode": code},
        timeout=5,
    ).raise_for_status()
    RewardsProfile.objects.update_or_create(
        connection_id=w.kwargs["rewards"]["pk"], defaults={"agent_code": code}
    )
    return code


def _customize(w, options, field_name) -> dict:
    _world_broker(w)
    return {"email": w.subs[0], "customer_id": unique_code("C")}


def _user_customize(w, options, field_name) -> dict:
    _world_broker(w)
    return {"own_customer_id": unique_code("U")}


# For the bad-input matrix's ``OVERRIDES``: a valid submission of each Broker form that needs one
# (the partner id, the agent code and the export are valid left empty).
MATRIX_OVERRIDES = {
    "rewards:customize": _customize,
    "rewards:user-customize": _user_customize,
}
