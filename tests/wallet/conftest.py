"""Fixtures shared by the Wallet tab's tests (activity and withdrawals).

``wallet_master`` is a stored exchange connection for a fresh funded sandbox master account with
one sub-account (listed in ``SubAccount`` as a sub-account sync would), and ``Chain`` is the
sandbox's side of the story: deposits arriving, withdrawals ending, the catalogue and the
clock, all through the admin API under ``/sandbox/v1/`` (see ``sandbox/admin_wallet.py``).

Keep this module additive: both packages' tests use it.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
import requests
from django.utils import timezone

from accounts import services
from accounts.models import Environment, KeyType, SubAccount
from tests.factories import login, make_user
from tests.support import broker_clear, broker_messages, exchange_client

_seq = itertools.count(1)

BALANCES = {"USD": "100000", "USDT": "100000", "BTC": "5", "ETH": "50"}


class Chain:
    """The sandbox's wallet, read and driven through its admin API."""

    def __init__(self, base: str, email: str, sub: str, account: dict):
        self.base, self.email, self.sub = base, email, sub
        self.api_key, self.secret = account["apiKey"], account["secretKey"]

    def _post(self, path: str, doc: dict) -> dict:
        resp = requests.post(f"{self.base}/sandbox/v1/{path}", json=doc, timeout=5)
        resp.raise_for_status()
        return resp.json()

    def deposit(self, coin: str, amount: str, *, email: str | None = None, **extra) -> dict:
        """A crypto deposit arriving (status 0; 0 -> 6 -> 1 on the sandbox clock)."""
        return self._post(
            "wallet/deposits",
            {"email": email or self.email, "coin": coin, "amount": amount, **extra},
        )

    def fiat_deposit(self, amount: str, *, email: str | None = None, **extra) -> dict:
        return self._post(
            "wallet/fiat-deposits", {"email": email or self.email, "amount": amount, **extra}
        )

    def end_withdrawal(self, withdraw_id: str, status: int) -> dict:
        """End an open crypto withdrawal now: 6 completed, 5 failure, 3 rejected, 1 canceled."""
        return self._post(f"wallet/withdrawals/{withdraw_id}", {"status": status})

    def end_fiat_order(self, order_id: str, outcome: str = "Successful") -> dict:
        return self._post(f"wallet/fiat-orders/{order_id}", {"orderStatus": outcome})

    def catalog(self) -> dict:
        return requests.get(f"{self.base}/sandbox/v1/wallet/catalog", timeout=5).json()

    def change_catalog(self, doc: dict) -> dict:
        """Change the sandbox-wide coin catalogue; ``wallet_master`` restores it afterwards."""
        return self._post("wallet/catalog", doc)

    def advance_clock(self, ms: int) -> None:
        """Move the sandbox's clock (deposits and withdrawals progress on it)."""
        self._post("clock", {"advanceMs": ms})

    def faults(self, **doc) -> None:
        self._post("faults", doc)

    def free(self, asset: str, email: str | None = None) -> Decimal:
        acct = requests.get(
            f"{self.base}/sandbox/v1/accounts/{email or self.email}", timeout=5
        ).json()
        return Decimal(acct["balances"].get(asset, {}).get("free", "0"))

    def change_staking(self, doc: dict) -> dict:
        """Change the sandbox-wide staking catalogue; ``wallet_master`` restores it afterwards."""
        return self._post("staking/catalog", doc)

    def client(self):

        return exchange_client(self.api_key, self.secret, self.base)

    def staked(self, asset: str) -> Decimal:
        """What the exchange holds staked of ``asset`` for this account."""
        with self.client() as client:
            rows = client.staking_balance(asset=asset)
        return sum((r.staking_amount for r in rows), Decimal(0))

    def staking_history(self, asset: str) -> list:
        with self.client() as client:
            return client.staking_history(asset=asset)

    def requests(self) -> int:
        """How many REST requests this account's key has made so far."""
        doc = requests.get(f"{self.base}/sandbox/v1/requests", timeout=5).json()
        return doc["byApiKey"].get(self.api_key, 0)


@pytest.fixture
def wallet_master(sandbox_url):
    """(connection, Chain): a funded master account with one sub-account, stored as a
    connection of a fresh user. The sandbox's faults and catalogue are reset afterwards."""
    n = next(_seq)
    stamp = time.monotonic_ns()
    email = f"wallet{n}-{stamp}@example.test"
    sub = f"wallet-sub{n}-{stamp}@example.test"

    def create(doc: dict) -> dict:
        resp = requests.post(f"{sandbox_url}/sandbox/v1/accounts", json=doc, timeout=5)
        resp.raise_for_status()
        return resp.json()

    account = create({"email": email, "balances": BALANCES})
    create({"email": sub, "master": email, "balances": {"USD": "50"}})
    conn = services.connection_import(
        user=make_user(),
        label=f"Wallet {n}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=account["apiKey"],
        api_secret=account["secretKey"],
    )
    conn.account_email = email
    conn.save(update_fields=["account_email"])
    SubAccount.objects.create(connection=conn, email=sub, synced_at=timezone.now())
    yield conn, Chain(sandbox_url, email, sub, account)
    requests.delete(f"{sandbox_url}/sandbox/v1/faults", timeout=5)
    requests.delete(f"{sandbox_url}/sandbox/v1/wallet/catalog", timeout=5)
    requests.delete(f"{sandbox_url}/sandbox/v1/staking/catalog", timeout=5)


@pytest.fixture
def wallet_desk(client, wallet_master):
    """The wallet master's owner signed in (fresh auth): (client, connection, Chain)."""
    conn, chain = wallet_master
    login(client, conn.user)
    return client, conn, chain


@pytest.fixture
def stranger(client):
    """Another user, signed in on ``client``: owns nothing of the fixtures above."""
    user = make_user()
    login(client, user)
    return user


# --- withdrawals (wallet.withdrawals) ---------------------------------------------------------
ETH_ADDRESS = "0x" + "ab" * 20
BTC_ADDRESS = "1" + "B" * 33
WITHDRAW_PATH = "/sapi/v1/capital/withdraw/apply"
FIAT_WITHDRAW_PATH = "/sapi/v1/fiatpayment/withdraw/apply"


def withdraw_calls(chain: Chain, path: str = WITHDRAW_PATH) -> int:
    """How many withdraw requests reached the exchange (any account) so far."""
    doc = requests.get(f"{chain.base}/sandbox/v1/requests", timeout=5).json()
    return doc["byPath"].get(path, 0)


def exchange_withdrawals(chain: Chain, coin: str) -> list:
    """The account's withdrawals of ``coin`` as the exchange's own history lists them."""

    with exchange_client(chain.api_key, chain.secret, chain.base) as client:
        return client.withdraw_history(coin=coin)


def exchange_fiat_withdrawals(chain: Chain) -> list:

    with exchange_client(chain.api_key, chain.secret, chain.base) as client:
        return client.fiat_withdraw_history()


@pytest.fixture
def usable_address(wallet_master):
    """``make(coin, network, address, ...)``: an address-book entry of the wallet master added
    through the service, its cool-off moved into the past through the model."""
    from datetime import timedelta

    from wallet.withdrawals import services as withdraw_services

    conn, _ = wallet_master

    def make(coin="ETH", network="ETH", address=ETH_ADDRESS, memo="", label="Cold"):
        entry = withdraw_services.address_add(
            connection=conn,
            user=conn.user,
            coin=coin,
            network=network,
            address=address,
            memo=memo,
            label=label,
        )
        entry.usable_from = timezone.now() - timedelta(minutes=1)
        entry.save(update_fields=["usable_from"])
        return entry

    return make


@pytest.fixture
def celery_queue(settings):
    """The Celery queue in the session's Redis, emptied before and after (read it with
    ``queued``)."""
    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    yield r
    broker_clear(r)


def queued(r) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in the Celery queues (``broker_messages``)."""
    out = []
    for raw in broker_messages(r):
        msg = json.loads(raw)
        args, _, _ = json.loads(base64.b64decode(msg["body"]))
        out.append((msg["headers"]["task"], args))
    return out


def withdraw_objects(owner) -> tuple[object, dict]:
    """For the ownership and bad-input matrices (``tests/desk``): a connection with a usable
    address-book entry and a failed withdrawal, every id a ``wallet.withdrawals`` URL carries
    (``pk``, ``aid``, ``wid``); the entry must survive a stranger's visit."""
    from datetime import timedelta

    from tests.factories import make_connection
    from wallet.withdrawals.models import AddressBookEntry, Withdrawal

    conn = make_connection(owner)
    entry = AddressBookEntry.objects.create(
        connection=conn,
        coin="ETH",
        network="ETH",
        address=ETH_ADDRESS,
        label="Cold",
        usable_from=timezone.now() - timedelta(days=2),
    )
    withdrawal = Withdrawal.objects.create(
        connection=conn,
        address_entry=entry,
        request_key=f"{time.monotonic_ns():032x}"[-32:],
        kind="crypto",
        coin="ETH",
        network="ETH",
        address=ETH_ADDRESS,
        label="Cold",
        amount=Decimal("0.01"),
        status="failed",
    )
    return entry, {"pk": conn.pk, "aid": entry.pk, "wid": withdrawal.pk}


def staking_objects(connection_id: int, at) -> dict:
    """For the ownership matrix: a done stake of the connection, its staking-history row, a
    reward and an auto-stake schedule; the ids ``wallet.staking`` URLs carry (``oid``, ``sid``)."""
    from wallet.staking.models import (
        AutoStakeSchedule,
        StakingEvent,
        StakingOperation,
        StakingReward,
    )

    op = StakingOperation.objects.create(
        connection_id=connection_id,
        request_key=f"{time.monotonic_ns():032x}"[-32:],
        kind="stake",
        asset="ETH",
        amount=Decimal("1"),
        status="done",
    )
    StakingEvent.objects.create(
        connection_id=connection_id,
        asset="ETH",
        type="staked",
        amount=Decimal("1"),
        initiated_time=at,
        status="SUCCESS",
    )
    StakingReward.objects.create(
        connection_id=connection_id, tran_id=1, asset="ETH", amount=Decimal("0.001"), time=at
    )
    schedule = AutoStakeSchedule.objects.create(
        connection_id=connection_id,
        asset="ETH",
        floor=Decimal("40"),
        recurrence="daily",
        starts_at=at,
        next_run_at=at + timedelta(days=3650),
    )
    return {"oid": op.pk, "sid": schedule.pk}


def unknown_withdrawal(connection, sub: str):
    """For the beat's poisoned-row test (``BEAT_WORK``): a crypto withdrawal whose outcome is
    unknown since past the grace period (the sweep settles it: the exchange never had it)."""
    from datetime import timedelta

    from wallet.withdrawals.models import Withdrawal
    from wallet.withdrawals.reconcile import grace

    sent = timezone.now() - grace() - timedelta(seconds=60)
    return Withdrawal.objects.create(
        connection=connection,
        request_key=f"{time.monotonic_ns():032x}"[-32:],
        kind="crypto",
        coin="ETH",
        network="ETH",
        address=ETH_ADDRESS,
        amount=Decimal("0.01"),
        status="unknown",
        sent_at=sent,
        unknown_since=sent,
    )


def unknown_stake(connection, sub: str):
    """For ``BEAT_WORK``: a stake whose outcome is unknown since past the grace period (the
    sweep settles it: the exchange's staking history never had it)."""
    from datetime import timedelta

    from django.conf import settings

    from wallet.staking.models import StakingOperation

    sent = timezone.now() - timedelta(seconds=settings.STAKING_RECONCILE_GRACE_SECONDS + 60)
    return StakingOperation.objects.create(
        connection=connection,
        request_key=f"{time.monotonic_ns():032x}"[-32:],
        kind="stake",
        asset="ETH",
        amount=Decimal("0.01"),
        status="unknown",
        sent_at=sent,
        unknown_since=sent,
    )


def due_auto_stake(connection, sub: str):
    """For ``BEAT_WORK``: an auto-stake schedule due now (the planner asks for its stake)."""
    from wallet.staking.models import AutoStakeSchedule

    return AutoStakeSchedule.objects.create(
        connection=connection,
        asset="ETH",
        floor=Decimal("40"),
        recurrence="daily",
        starts_at=timezone.now() - timedelta(days=1),
        next_run_at=timezone.now() - timedelta(seconds=5),
    )


def auto_stake_ran(connection, schedule) -> bool:
    schedule.refresh_from_db()
    return schedule.last_run_at is not None and schedule.operations.exists()


def staking_watched(connection, sub: str):
    """For ``BEAT_WORK``: the Staking tab was opened (the beat syncs such connections)."""
    from wallet.staking.models import StakingSync

    return StakingSync.objects.create(connection=connection)


def staking_synced(connection, row) -> bool:
    row.refresh_from_db()
    return row.synced_at is not None


def sent_withdrawal(connection, sub: str):
    """For ``BEAT_WORK``: a withdrawal the exchange took, for the follow pass to look at."""
    withdrawal = unknown_withdrawal(connection, sub)
    type(withdrawal).objects.filter(pk=withdrawal.pk).update(status="sent", unknown_since=None)
    return withdrawal


def withdrawal_followed(connection, withdrawal) -> bool:
    withdrawal.refresh_from_db()
    return withdrawal.followed_at is not None
