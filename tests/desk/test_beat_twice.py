"""Every periodic task, sent twice at the same moment (issue 16).

Production may run two Celery beats at once (``deploy/compose.yml``), so every entry of
``CELERY_BEAT_SCHEDULE`` can be delivered twice in the same instant. Here each entry's task is
run by two threads at once, each with its own database connection, as two workers would run
the two copies; then every task the two copies queued goes through the session's real broker
and is run the same way (two copies of one message at once), until nothing due is left. Each
test runs a second time with the copies taken one after the other, as by a single worker: a
lock that makes the second copy step aside proves nothing then. Messages with a countdown are
left queued (``Drained.later``): a worker would not take them yet.

What must hold each time: whatever moves money or places an order reached the exchange once
(the sandbox's own request counts and ledgers say so), every stored row exists once (exact
counts against what the exchange lists), no unique constraint was hit, and nothing raised.
``COVERED`` names the test of each entry; the guard test fails when an entry has none.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
import requests
from django.conf import settings
from django.db import connections
from django.utils import timezone
from kombu.utils.imports import symbol_by_name

from accounts import services as account_services
from accounts.exchange import client_for_connection
from accounts.models import AuditRecord, Balance, Environment, KeyType, SubAccount
from accounts.services import balances as balances_services
from convert import sending as convert_sending
from convert import services as convert_services
from convert.models import OtcConversion
from creditline import sending as credit_sending
from creditline import services as credit_services
from creditline import sync as credit_sync
from creditline.models import CreditLineState, CreditLoan, CreditTransfer, LtvPoint
from custody import sending as custody_sending
from custody import services as custody_services
from custody.models import (
    CustodialBalance,
    CustodySettlement,
    CustodySync,
    CustodyTransfer,
    ExchangeTransfer,
)
from dashboard.history import slot_of
from dashboard.models import PortfolioSnapshot
from rewards.models import BrokerExport, ReferralReward, RewardsProfile
from tests.convert import conftest as convert_fx
from tests.creditline import conftest as credit_fx
from tests.custody import conftest as custody_fx
from tests.factories import make_user
from tests.rewards import conftest as rewards_fx
from tests.support import broker_clear, broker_pop, exchange_client
from tests.trading.orders import conftest as order_fx
from tests.transfers import conftest as transfer_fx
from tests.wallet import conftest as wallet_fx
from trading.models import AccountTrade, HistorySync, Order, OrderStatus
from trading.orders import services as order_services
from trading.orders import userdata
from transfers.models import (
    AmountKind,
    RunStatus,
    TransferHistoryCursor,
    TransferHistoryRecord,
    TransferRun,
    TransferSchedule,
)
from transfers.runs import run_execute
from wallet.activity.models import ActivitySync, WalletActivity
from wallet.staking import sending as staking_sending
from wallet.staking import services as staking_services
from wallet.staking.models import (
    AutoStakeSchedule,
    OperationStatus,
    StakedPosition,
    StakingEvent,
    StakingOperation,
    StakingSync,
)
from wallet.withdrawals import sending as withdraw_sending
from wallet.withdrawals import services as withdraw_services
from wallet.withdrawals.models import Withdrawal, WithdrawalStatus

pytestmark = pytest.mark.django_db(transaction=True)

# The areas' own fixtures: each sets up a real sandbox account of its kind.
trader = order_fx.trader
master = transfer_fx.master
wallet_master, usable_address = wallet_fx.wallet_master, wallet_fx.usable_address
custody_master, custody_account = custody_fx.custody_master, custody_fx.custody_account
convert_account, sandbox_reset = convert_fx.convert_account, convert_fx.sandbox_reset
rewards_account = rewards_fx.rewards_account

COVERED: dict[str, str] = {}


def covers(*entries: str):
    """The test proves these beat entries safe twice (read by the guard test)."""

    def mark(test):
        for entry in entries:
            assert entry not in COVERED, f"{entry} is covered twice"
            COVERED[entry] = test.__name__
        return test

    return mark


def test_every_beat_entry_is_covered_here():
    """A periodic task added to the schedule without a test here fails the suite."""
    assert set(COVERED) == set(settings.CELERY_BEAT_SCHEDULE)
    module = globals()
    # Each is a test pytest collects here, not a helper that happens to carry the mark.
    assert all(n.startswith("test_") and callable(module.get(n)) for n in COVERED.values())


# --- running things twice at once ---------------------------------------------------------------
def at_once(*calls: Callable[[], object]) -> list:
    """Run each call in its own thread, all released together; their results. A call that
    raised fails the test with what it raised (after every thread ended)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def _worker(name: str, args: list, kwargs: dict) -> Callable[[], object]:
    """A worker's run of one message: the task with its request context; what it raised
    propagates."""
    task = symbol_by_name(name)  # imported as a worker's autodiscovery would
    return lambda: task.apply(args=args, kwargs=kwargs, throw=True).get()


def _message(raw: bytes) -> tuple[str, list, dict, str | None]:
    msg = json.loads(raw)
    args, kwargs, _ = json.loads(base64.b64decode(msg["body"]))
    return msg["headers"]["task"], args, kwargs, msg["headers"].get("eta")


MAX_ROUNDS = 8


class Drained(list):
    """The (task, args) of every message run; ``later``: those left queued with a countdown
    still to run (a worker would not take them yet), as (task, args)."""

    later: list[tuple[str, list]]


def work_off(broker: redis.Redis, *, together: bool = True) -> Drained:
    """Run every message that is due, each round's all at once (``together``) or one after the
    other as a single worker takes them, until none is; what ran, and what waits for a
    countdown. Work that keeps queueing itself at once fails the test."""
    ran, later = Drained(), []
    for _ in range(MAX_ROUNDS):
        batch = []
        while (raw := broker_pop(broker)) is not None:
            name, args, kwargs, eta = _message(raw)
            if eta is None:
                batch.append((name, args, kwargs))
            else:
                later.append((name, args))
        if not batch:
            ran.later = later
            return ran
        if together:
            at_once(*(_worker(*m) for m in batch))
        else:
            for m in batch:
                _worker(*m)()
        ran += [(name, args) for name, args, _ in batch]
    raise AssertionError(f"still queueing after {MAX_ROUNDS} rounds: {ran[-6:]}")


def beat_twice(entry: str, broker: redis.Redis, *, together: bool = True) -> Drained:
    """The entry's task run by two workers at once, then everything the two copies queued;
    ``together=False``: the two copies, and then each message, one after the other."""
    beat = _worker(settings.CELERY_BEAT_SCHEDULE[entry]["task"], [], {})
    if together:
        at_once(beat, beat)
    else:
        beat()
        beat()
    return work_off(broker, together=together)


def named(ran: list[tuple[str, list]], task: str) -> list[list]:
    return [args for name, args in ran if name == task]


@pytest.fixture(params=[True, False], ids=["at-once", "in-a-row"])
def together(request) -> bool:
    """Two workers take the two copies at the same moment, or one takes them one after the
    other: a lock that makes the second copy step aside at once does nothing in a row."""
    return request.param


@pytest.fixture
def faults_cleared(sandbox_url):
    """The sandbox's faults are exchange-wide: none is left for the tests after this one."""
    yield
    requests.delete(f"{sandbox_url}/sandbox/v1/faults", timeout=5)


@pytest.fixture
def broker():
    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    yield r
    broker_clear(r)


def _requests(sandbox_url: str) -> dict:
    return requests.get(f"{sandbox_url}/sandbox/v1/requests", timeout=5).json()


def calls(sandbox_url: str, endpoint: str) -> int:
    """How many requests of ``endpoint`` ("POST /api/v3/order") reached the exchange."""
    return _requests(sandbox_url)["byEndpoint"].get(endpoint, 0)


def audits(action: str, **params) -> int:
    rows = AuditRecord.objects.filter(action=action)
    return sum(all(r.params.get(k) == v for k, v in params.items()) for r in rows)


_seq = itertools.count(1)


def admin(sandbox_url: str, path: str, doc: dict) -> dict:
    resp = requests.post(f"{sandbox_url}/sandbox/v1/{path}", json=doc, timeout=5)
    resp.raise_for_status()
    return resp.json()


def sub_email() -> str:
    return f"twice-sub{next(_seq)}-{time.monotonic_ns()}@example.test"


def new_account(sandbox_url: str, balances: dict) -> dict:
    """A fresh sandbox account: {"email", "apiKey", "secretKey", ...}."""
    email = f"twice{next(_seq)}-{time.monotonic_ns()}@example.test"
    return admin(sandbox_url, "accounts", {"email": email, "balances": balances})


def connection_for(account: dict):
    """The account's key stored as an exchange connection of a fresh user."""
    conn = account_services.connection_import(
        user=make_user(),
        label=f"Twice {next(_seq)}",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=account["apiKey"],
        api_secret=account["secretKey"],
    )
    type(conn).objects.filter(pk=conn.pk).update(account_email=account["email"])
    conn.account_email = account["email"]
    return conn


# --- trading ----------------------------------------------------------------------------------
def _limit(ex) -> order_services.OrderRequest:
    return order_services.OrderRequest(
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.01"),
        price=ex.below(),
        time_in_force="GTC",
    )


@covers("reconcile-orders")
def test_reconcile_orders(trader, broker, sandbox_url, together):
    conn, ex = trader
    ex.faults(order={"mode": "execute_then_500", "count": 1})
    placed = order_services.order_place(
        user=conn.user, connection=conn, client_order_id="twice-placed", request=_limit(ex)
    )
    assert placed.status == OrderStatus.UNKNOWN
    # A worker that died after committing "sending", before its request left.
    never = Order.objects.create(
        connection=conn,
        symbol="BTCUSD",
        client_order_id="twice-never",
        origin="desk",
        side="BUY",
        type="LIMIT",
        status=OrderStatus.SENDING,
    )
    then = timezone.now() - timedelta(seconds=settings.ORDER_RECONCILE_GRACE_SECONDS + 60)
    Order.objects.filter(pk=never.pk).update(created_at=then)
    broker_clear(broker)
    sent = calls(sandbox_url, "POST /api/v3/order")

    beat_twice("reconcile-orders", broker, together=together)

    placed.refresh_from_db()
    never.refresh_from_db()
    assert (placed.status, never.status) == (OrderStatus.NEW, OrderStatus.FAILED)
    assert calls(sandbox_url, "POST /api/v3/order") == sent  # looked up, never placed again
    assert len(ex.orders(client_order_id="twice-placed")) == 1
    assert ex.orders(client_order_id="twice-never") == []
    assert audits("order.reconcile", clientOrderId="twice-placed") == 1
    assert audits("order.reconcile", clientOrderId="twice-never") == 1


@covers("keep-listen-keys-alive")
def test_keep_listen_keys_alive(trader, broker, together):
    conn, ex = trader
    ran = beat_twice("keep-listen-keys-alive", broker, together=together)
    assert ran == [] and ran.later == []
    key = userdata.listen_key_get(connection_id=conn.pk)
    # The exchange keeps one key per account: asking for one again hands back the active one.
    with exchange_client(ex.api_key, ex.secret, ex.base) as client:
        assert key is not None and client.create_listen_key() == key


@covers("sync-account-history")
def test_sync_account_history(sandbox_url, broker, settings, together):
    settings.HISTORY_BACKFILL_DAYS = 1  # a fresh account: one day holds all of it
    account = new_account(sandbox_url, {"USD": "100000", "BTC": "1"})  # one pair: BTCUSD
    conn = connection_for(account)
    with exchange_client(account["apiKey"], account["secretKey"], sandbox_url) as client:
        for n in range(2):
            client.new_order(
                symbol="BTCUSD", side="BUY", type="MARKET", quantity=Decimal("0.01"),
                new_client_order_id=f"twice-history-{n}",
            )  # fmt: skip
        trades = client.my_trades(symbol="BTCUSD")
        orders = client.all_orders(symbol="BTCUSD")
    balances_services.connection_sync_balances(connection_id=conn.pk)
    broker_clear(broker)

    ran = beat_twice("sync-account-history", broker, together=together)

    slices = named(ran, "trading.history.tasks.sync_history_slice")
    assert [conn.pk, "trades", "BTCUSD"] in slices
    assert HistorySync.objects.filter(connection=conn).count() == 4  # 3 kinds + OCO lists
    assert not HistorySync.objects.filter(connection=conn).exclude(last_error="").exists()
    stored = AccountTrade.objects.filter(connection=conn)
    assert sorted(stored.values_list("trade_id", flat=True)) == sorted(t.id for t in trades)
    stored = Order.objects.filter(connection=conn, order_id__isnull=False)
    assert sorted(stored.values_list("order_id", flat=True)) == sorted(o.order_id for o in orders)


# --- balances, sub-accounts, credit line --------------------------------------------------------
@covers("sync-all-balances")
def test_sync_all_balances(sandbox_url, broker, together):
    master = new_account(sandbox_url, {"USD": "1000", "BTC": "1"})
    admin(sandbox_url, "accounts", {"email": sub_email(), "master": master["email"]})
    spot = connection_for(master)
    line = connection_for(new_account(sandbox_url, {"USD": "1000", "SOL": "100"}))
    credit_fx.make_credit_line(line)
    broker_clear(broker)

    ran = beat_twice("sync-all-balances", broker, together=together)

    assert sorted(named(ran, "accounts.tasks.sync_balances")) == sorted([[spot.pk], [line.pk]] * 2)
    assert named(ran, "accounts.tasks.sync_subaccounts") == [[spot.pk], [spot.pk]]
    assert sorted(Balance.objects.filter(connection=spot).values_list("asset", "free")) == [
        ("BTC", Decimal("1")),
        ("USD", Decimal("1000")),
    ]
    assert SubAccount.objects.filter(connection=spot).count() == 1
    # The credit line's account weighs 10: polled once however many syncs ask.
    assert LtvPoint.objects.filter(connection=line).count() == 1
    assert CreditLineState.objects.filter(connection=line).count() == 1
    assert CreditLoan.objects.filter(connection=line).count() == 1


# --- transfers ----------------------------------------------------------------------------------
def _run(conn, ledger, to_move: str, **fields) -> TransferRun:
    defaults = {
        "connection": conn,
        "planned_at": timezone.now(),
        "to_email": ledger.subs[0],
        "asset": "USD",
        "amount_kind": AmountKind.FIXED,
        "amount_param": Decimal(to_move),
    }
    return TransferRun.objects.create(**{**defaults, **fields})


def _schedule(conn, ledger, amount: str, *, due) -> TransferSchedule:
    return TransferSchedule.objects.create(
        connection=conn,
        name=f"twice {amount}",
        to_email=ledger.subs[0],
        asset="USD",
        amount_kind=AmountKind.FIXED,
        amount=Decimal(amount),
        recurrence="hourly",
        starts_at=due,
        next_run_at=due,
    )


@covers("plan-transfers")
def test_plan_transfers(master, broker, together):
    conn, ledger = master
    due = _schedule(conn, ledger, "1", due=timezone.now() - timedelta(minutes=1))
    # A planned run whose message was lost (the beat hands it out again).
    stale = timezone.now() - timedelta(seconds=settings.TRANSFER_STALE_SECONDS + 60)
    lost = _run(conn, ledger, "2", planned_at=stale)
    broker_clear(broker)
    sent = ledger.transfer_calls()

    ran = beat_twice("plan-transfers", broker, together=together)

    planned = TransferRun.objects.get(schedule=due)
    assert TransferRun.objects.filter(connection=conn).count() == 2
    assert sorted(named(ran, "transfers.tasks.execute_run")) == sorted(
        [[planned.pk], [lost.pk], [lost.pk]]
    )
    assert ledger.transfer_calls() - sent == 2  # one each, however many messages
    assert ledger.free(ledger.subs[0], "USD") == "53.00000000"
    for run in (planned, lost):
        run.refresh_from_db()
        assert (run.status, run.attempts) == (RunStatus.EXECUTED, 1)


@covers("reconcile-transfers")
def test_reconcile_transfers(master, broker, together):
    conn, ledger = master
    ledger.faults(transfer={"mode": "execute_then_500", "count": 1})
    unanswered = run_execute(run_id=_run(conn, ledger, "1").pk)
    assert unanswered.status == RunStatus.UNKNOWN
    # A scheduled run that never reached the exchange, past the grace period: planned again.
    schedule = _schedule(conn, ledger, "2", due=timezone.now() + timedelta(days=1))
    gone = timezone.now() - timedelta(seconds=settings.TRANSFER_RECONCILE_GRACE_SECONDS + 60)
    absent = _run(
        conn, ledger, "2", schedule=schedule, amount=Decimal(2), status=RunStatus.UNKNOWN,
        sent_at=gone, unknown_since=gone, attempts=1,
    )  # fmt: skip
    broker_clear(broker)
    sent = ledger.transfer_calls()

    ran = beat_twice("reconcile-transfers", broker, together=together)

    assert named(ran, "transfers.tasks.execute_run") == [[absent.pk]]  # re-planned once
    assert ledger.transfer_calls() - sent == 1  # the absent one, sent again once
    assert ledger.free(ledger.subs[0], "USD") == "53.00000000"
    unanswered.refresh_from_db()
    absent.refresh_from_db()
    assert (unanswered.status, unanswered.attempts) == (RunStatus.EXECUTED, 1)
    assert (absent.status, absent.attempts) == (RunStatus.EXECUTED, 2)
    assert audits("subaccount.transfer.replan", run=absent.pk) == 1
    assert audits("subaccount.transfer", run=unanswered.pk, status=RunStatus.EXECUTED) == 1


@covers("sync-transfer-history")
def test_sync_transfer_history(master, broker, together):
    conn, ledger = master
    account_services.subaccounts_sync(connection_id=conn.pk)
    with client_for_connection(conn) as client:
        for to in ledger.subs:
            client.sub_account_transfer(
                from_email=ledger.master, to_email=to, asset="USD", amount=Decimal("3")
            )
        listed = {
            (r.from_email, r.to_email, r.asset, r.qty, r.time)
            for email in ledger.subs
            for r in client.sub_account_transfer_history(email=email)
        }
    broker_clear(broker)

    ran = beat_twice("sync-transfer-history", broker, together=together)

    assert named(ran, "transfers.tasks.sync_transfer_history") == [[conn.pk], [conn.pk]]
    stored = TransferHistoryRecord.objects.filter(connection=conn)
    assert len(listed) == 2 and stored.count() == len(listed)
    assert TransferHistoryCursor.objects.get(connection=conn).synced_at is not None


# --- wallet: activity, withdrawals ------------------------------------------------------------
@covers("sync-wallet-activity")
def test_sync_wallet_activity(wallet_master, broker, together):
    conn, chain = wallet_master
    chain.deposit("BTC", "0.25")
    chain.fiat_deposit("300")
    with chain.client() as client:
        coins = [c.coin for c in client.coin_config() if not c.is_legal_money]
        listed = sum(
            len(client.deposit_history(coin=c)) + len(client.withdraw_history(coin=c))
            for c in coins
        )
        listed += len(client.fiat_deposit_history()) + len(client.fiat_withdraw_history())
    broker_clear(broker)

    ran = beat_twice("sync-wallet-activity", broker, together=together)

    assert named(ran, "wallet.activity.tasks.sync_wallet_activity") == [[conn.pk], [conn.pk]]
    assert listed >= 2 and WalletActivity.objects.filter(connection=conn).count() == listed
    cursors = ActivitySync.objects.filter(connection=conn)
    assert cursors.count() == 4 and not cursors.filter(synced_at=None).exists()


def _withdraw(conn, entry, amount: str) -> Withdrawal:
    return withdraw_services.withdrawal_request(
        connection=conn,
        user=conn.user,
        entry=entry,
        coin=entry.coin,
        network=entry.network,
        amount=Decimal(amount),
        request_key=uuid.uuid4().hex,
        confirmed=True,
    )


def _lose_message(model, *rows) -> None:
    """Planned, and its task message lost long enough ago for the sweep to hand it out again."""
    long_ago = timezone.now() - timedelta(minutes=5)
    model.objects.filter(pk__in=[r.pk for r in rows]).update(updated_at=long_ago)


def _mine(chain, withdrawal) -> list:
    rows = wallet_fx.exchange_withdrawals(chain, withdrawal.coin)
    return [r for r in rows if r.withdraw_order_id == withdrawal.request_key]


@covers("reconcile-withdrawals")
def test_reconcile_withdrawals(wallet_master, usable_address, broker, together):
    conn, chain = wallet_master
    entry = usable_address()
    chain.faults(withdrawApply={"mode": "execute_then_500", "count": 1})
    unanswered = withdraw_sending.withdrawal_send(withdrawal_id=_withdraw(conn, entry, "1").pk)
    assert unanswered.status == WithdrawalStatus.UNKNOWN
    stranded = _withdraw(conn, entry, "2")
    _lose_message(Withdrawal, stranded)
    broker_clear(broker)
    sent = wallet_fx.withdraw_calls(chain)

    ran = beat_twice("reconcile-withdrawals", broker, together=together)

    assert named(ran, "wallet.withdrawals.tasks.send_withdrawal") == [[stranded.pk]] * 2
    assert wallet_fx.withdraw_calls(chain) - sent == 1  # the stranded one, once
    for w in (unanswered, stranded):
        w.refresh_from_db()
        assert w.status == WithdrawalStatus.SENT and len(_mine(chain, w)) == 1
    assert chain.free("ETH") == Decimal("47")
    assert audits("withdrawal", withdrawal=unanswered.pk, status=WithdrawalStatus.SENT) == 1
    assert audits("withdrawal", withdrawal=stranded.pk, status=WithdrawalStatus.SENT) == 1


@covers("follow-withdrawals")
def test_follow_withdrawals(wallet_master, usable_address, broker, together):
    conn, chain = wallet_master
    bank = usable_address("USD", "BITGO", "bitgo-twice", label="Bank")
    crypto, fiat = (
        withdraw_sending.withdrawal_send(withdrawal_id=_withdraw(conn, entry, amount).pk)
        for entry, amount in ((usable_address(), "1"), (bank, "100"))
    )
    assert crypto.status == fiat.status == WithdrawalStatus.SENT
    chain.end_withdrawal(crypto.withdraw_id, 6)
    chain.advance_clock(6_000)  # the fiat one: INIT -> Processing, still on its way
    broker_clear(broker)

    beat_twice("follow-withdrawals", broker, together=together)

    crypto.refresh_from_db()
    fiat.refresh_from_db()
    assert crypto.status == WithdrawalStatus.COMPLETED and crypto.tx_id
    assert (fiat.status, fiat.exchange_status) == (WithdrawalStatus.SENT, "Processing")
    assert audits("withdrawal.status", withdrawal=crypto.pk) == 1
    assert audits("withdrawal.status", withdrawal=fiat.pk) == 1


# --- wallet: staking ----------------------------------------------------------------------------
STAKE = "POST /sapi/v1/staking/stake"


def _stake(conn, asset: str, amount: str) -> StakingOperation:
    return staking_services.operation_request(
        connection=conn,
        user=conn.user,
        kind="stake",
        asset=asset,
        amount=Decimal(amount),
        request_key=uuid.uuid4().hex,
    )


def _staked_rows(chain, asset: str, amount: str) -> list:
    return [
        r
        for r in chain.staking_history(asset)
        if r.type == "staked" and r.amount == Decimal(amount)
    ]


@covers("reconcile-staking")
def test_reconcile_staking(wallet_master, broker, sandbox_url, together):
    conn, chain = wallet_master
    admin(sandbox_url, "deposit", {"email": chain.email, "asset": "SOL", "amount": "10"})
    account_services.connection_sync_balances(connection_id=conn.pk)
    chain.faults(stake={"mode": "execute_then_500", "count": 1})
    unanswered = staking_sending.operation_send(operation_id=_stake(conn, "ETH", "3").pk)
    assert unanswered.status == OperationStatus.UNKNOWN
    stranded = _stake(conn, "SOL", "4")  # one operation per asset may be in flight
    _lose_message(StakingOperation, stranded)
    broker_clear(broker)
    sent = calls(sandbox_url, STAKE)

    ran = beat_twice("reconcile-staking", broker, together=together)

    assert named(ran, "wallet.staking.tasks.send_staking_operation") == [[stranded.pk]] * 2
    assert calls(sandbox_url, STAKE) - sent == 1  # the stranded one, once
    for op in (unanswered, stranded):
        op.refresh_from_db()
        assert op.status == OperationStatus.DONE
    assert len(_staked_rows(chain, "ETH", "3")) == len(_staked_rows(chain, "SOL", "4")) == 1
    assert (chain.staked("ETH"), chain.staked("SOL")) == (Decimal("3"), Decimal("4"))
    assert audits("staking.stake", operation=unanswered.pk, status=OperationStatus.DONE) == 1
    assert audits("staking.stake", operation=stranded.pk, status=OperationStatus.DONE) == 1


@covers("plan-auto-stakes")
def test_plan_auto_stakes(wallet_master, broker, sandbox_url, together):
    conn, chain = wallet_master
    account_services.connection_sync_balances(connection_id=conn.pk)
    schedule = AutoStakeSchedule.objects.create(
        connection=conn,
        asset="ETH",
        floor=Decimal("40"),
        recurrence="daily",
        starts_at=timezone.now() - timedelta(days=1),
        next_run_at=timezone.now() - timedelta(seconds=5),
    )
    broker_clear(broker)
    sent = calls(sandbox_url, STAKE)

    ran = beat_twice("plan-auto-stakes", broker, together=together)

    [op] = StakingOperation.objects.filter(schedule=schedule)
    assert named(ran, "wallet.staking.tasks.send_staking_operation") == [[op.pk]]
    assert calls(sandbox_url, STAKE) - sent == 1
    assert op.amount == Decimal("10") and chain.staked("ETH") == Decimal("10")
    assert len(_staked_rows(chain, "ETH", "10")) == 1
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now() and "operation" in schedule.last_outcome


@covers("sync-staking")
def test_sync_staking(wallet_master, broker, together):
    conn, chain = wallet_master
    for amount in ("1", "2"):
        op = staking_sending.operation_send(operation_id=_stake(conn, "ETH", amount).pk)
        assert op.status == OperationStatus.DONE
    StakingSync.objects.get_or_create(connection=conn)
    with chain.client() as client:
        listed = client.staking_history()
    broker_clear(broker)

    ran = beat_twice("sync-staking", broker, together=together)

    assert named(ran, "wallet.staking.tasks.sync_staking")[:2] == [[conn.pk], [conn.pk]]
    assert StakingEvent.objects.filter(connection=conn).count() == len(listed) == 2
    [position] = StakedPosition.objects.filter(connection=conn)
    assert (position.asset, position.amount) == ("ETH", Decimal("3"))
    assert StakingSync.objects.get(connection=conn).synced_at is not None


# --- custody ------------------------------------------------------------------------------------
def _custody(conn, amount: str) -> CustodyTransfer:
    return custody_services.transfer_request(
        connection=conn,
        user=conn.user,
        kind="wallet",  # final at once: nothing left for the sync to follow
        asset="BTC",
        amount=Decimal(amount),
        client_order_id=uuid.uuid4().hex,
    )


@covers("reconcile-custody")
def test_reconcile_custody(custody_master, broker, together):
    conn, partner = custody_master
    partner.faults(custodianTransfer={"mode": "execute_then_500", "count": 1})
    unanswered = custody_sending.transfer_send(transfer_id=_custody(conn, "0.25").pk)
    assert unanswered.status == "unknown"
    stranded = _custody(conn, "0.5")
    _lose_message(CustodyTransfer, stranded)
    broker_clear(broker)
    sent = partner.calls("wallet")

    ran = beat_twice("reconcile-custody", broker, together=together)

    assert named(ran, "custody.tasks.send_custody_transfer") == [[stranded.pk]] * 2
    assert partner.calls("wallet") - sent == 1  # the stranded one, once
    history = partner.wallet_history()
    for t in (unanswered, stranded):
        t.refresh_from_db()
        assert t.status == "done"
        assert len([r for r in history if r.client_order_id == t.client_order_id]) == 1
    assert partner.custodial_free("BTC") == Decimal("1.75")
    assert audits("custody.wallet", transfer=unanswered.pk, status="done") == 1
    assert audits("custody.wallet", transfer=stranded.pk, status="done") == 1


@covers("sync-custody")
def test_sync_custody(custody_master, broker, together):
    conn, partner = custody_master
    for amount in ("0.1", "0.2"):
        assert custody_sending.transfer_send(transfer_id=_custody(conn, amount).pk).is_final
    CustodySync.objects.get_or_create(connection=conn)
    broker_clear(broker)

    ran = beat_twice("sync-custody", broker, together=together)

    assert named(ran, "custody.tasks.sync_custody") == [[conn.pk], [conn.pk]]
    assert ran.later == []  # nothing still processing to follow
    rows = ExchangeTransfer.objects.filter(connection=conn)
    assert rows.count() == len(partner.wallet_history()) + len(partner.partner_history()) == 2
    assert CustodySettlement.objects.filter(connection=conn).count() == 1
    assert CustodialBalance.objects.get(connection=conn, asset="BTC").free == Decimal("1.3")
    assert CustodySync.objects.get(connection=conn).synced_at is not None


# --- credit line --------------------------------------------------------------------------------
CREDIT_TRANSFER = "POST /sapi/v1/cl/transfer"


def _credit_line(sandbox_url):
    conn = connection_for(new_account(sandbox_url, {"USD": "1000", "SOL": "100"}))
    credit_fx.make_credit_line(conn)
    conn.refresh_from_db()
    credit_sync.credit_line_poll(connection_id=conn.pk, force=True)
    return conn


def _credit(conn, quantity: str) -> CreditTransfer:
    return credit_services.transfer_request(
        connection=conn,
        user=conn.user,
        transfer_type="TRANSFER_IN",
        asset="SOL",
        quantity=Decimal(quantity),
        request_key=uuid.uuid4().hex,
    )


@covers("reconcile-credit-transfers")
def test_reconcile_credit_transfers(sandbox_url, broker, faults_cleared, together):
    # One transfer of a line may be in flight: two lines.
    first, second = _credit_line(sandbox_url), _credit_line(sandbox_url)
    admin(sandbox_url, "faults", {"creditLineTransfer": {"mode": "execute_then_500", "count": 1}})
    unanswered = credit_sending.transfer_send(transfer_id=_credit(first, "3").pk)
    assert unanswered.status == "unknown"
    stranded = _credit(second, "4")
    _lose_message(CreditTransfer, stranded)
    broker_clear(broker)
    sent = calls(sandbox_url, CREDIT_TRANSFER)

    ran = beat_twice("reconcile-credit-transfers", broker, together=together)

    assert named(ran, "creditline.tasks.send_credit_transfer") == [[stranded.pk]] * 2
    assert calls(sandbox_url, CREDIT_TRANSFER) - sent == 1  # the stranded one, once
    for t, conn in ((unanswered, first), (stranded, second)):
        t.refresh_from_db()
        assert t.status == "done" and t.transfer_id
        with client_for_connection(conn) as client:
            [row] = client.credit_line_transfer_history()
        assert (row.transfer_id, row.amount) == (t.transfer_id, t.quantity)
        assert audits("credit_line.transfer", transfer=t.pk, status="done") == 1


# --- convert ------------------------------------------------------------------------------------
OTC_ORDER = "POST /sapi/v1/otc/orders"


def _conversion(conn, amount: str) -> OtcConversion:
    quote = convert_services.quote_request(
        connection=conn,
        from_coin="BTC",
        to_coin="USD",
        request_coin="BTC",
        request_amount=Decimal(amount),
    )
    return convert_services.conversion_accept(
        connection=conn, user=conn.user, quote_id=quote.quote_id
    )


@covers("reconcile-conversions")
def test_reconcile_conversions(convert_account, broker, sandbox_url, together):
    conn, exchange = convert_account
    exchange.faults(otcOrder={"mode": "execute_then_500", "count": 1})
    unanswered = convert_sending.otc_send(conversion_id=_conversion(conn, "0.01").pk)
    assert unanswered.status == "unknown"
    stranded = _conversion(conn, "0.02")
    _lose_message(OtcConversion, stranded)
    exchange.advance_clock(2_000)  # past the orders' settling: nothing left to follow
    broker_clear(broker)
    sent = calls(sandbox_url, OTC_ORDER)

    ran = beat_twice("reconcile-conversions", broker, together=together)

    assert named(ran, "convert.tasks.send_otc_conversion") == [[stranded.pk]] * 2
    assert calls(sandbox_url, OTC_ORDER) - sent == 1  # the stranded one, once
    orders = exchange.otc_orders()
    for c in (unanswered, stranded):
        c.refresh_from_db()
        assert c.status == "done"
        assert len([o for o in orders if o.quote_id == c.quote_id]) == 1
    assert len(orders) == 2
    assert audits("convert.otc", conversion=unanswered.pk, status="done") == 1
    assert audits("convert.otc", conversion=stranded.pk, status="done") == 1


# --- rewards ------------------------------------------------------------------------------------
MS = 1_700_000_000_000


def _referral(user_id: int, amount: str, at: int) -> dict:
    return {"userId": user_id, "rewardAmount": amount, "receiveDateTime": at, "rewardType": "USD"}


@covers("sync-rewards")
def test_sync_rewards(rewards_account, broker, together):
    conn, exchange = rewards_account
    exchange.referrals(
        referrer=[_referral(11, "8", MS), _referral(11, "8", MS)],  # two alike: both kept
        referee=[_referral(99, "1.5", MS + 1000)],
    )
    RewardsProfile.objects.create(connection=conn)
    broker_clear(broker)

    ran = beat_twice("sync-rewards", broker, together=together)

    assert named(ran, "rewards.tasks.sync_rewards") == [[conn.pk, True], [conn.pk, True]]
    assert ReferralReward.objects.filter(connection=conn).count() == 3
    assert RewardsProfile.objects.get(connection=conn).synced_at is not None


def _lost_export(conn) -> BrokerExport:
    """An export asked for ten minutes ago whose follow-up was lost (a worker restart)."""
    with client_for_connection(conn) as client:
        client.broker_kickback_export_start()
    then = timezone.now() - timedelta(minutes=10)
    return BrokerExport.objects.create(connection=conn, requested_at=then, checked_at=then)


@covers("sweep-broker-exports")
def test_sweep_broker_exports(rewards_account, broker, sandbox_url, together):
    conn, exchange = rewards_account
    exchange.kickbacks([{"income": "0.01", "asset": "USD", "symbol": "BTCUSD"}], exportDelayMs=0)
    ready = _lost_export(conn)
    other = rewards_fx.new_account(sandbox_url)
    slow = rewards_fx.Exchange(sandbox_url, other["email"], other)
    slow.kickbacks(exportDelayMs=3_600_000)  # the exchange has not prepared this one yet
    waiting = _lost_export(rewards_fx.connection_for(sandbox_url, other))
    broker_clear(broker)

    ran = beat_twice("sweep-broker-exports", broker, together=together)

    ready.refresh_from_db()
    waiting.refresh_from_db()
    assert (ready.status, ready.checks, ready.row_count) == ("ready", 1, 1)
    # One chain of checks goes on: two would count each check twice and give up early.
    assert (waiting.status, waiting.checks) == ("collecting", 1)
    assert ran.later == [("rewards.tasks.follow_broker_export", [waiting.pk])]
    assert sorted(named(ran, "rewards.tasks.follow_broker_export")) == [[ready.pk], [waiting.pk]]


# --- dashboard ----------------------------------------------------------------------------------
@covers("snapshot-portfolios")
def test_snapshot_portfolios(trader, broker, together):
    conn, _ = trader
    account_services.connection_sync_balances(connection_id=conn.pk)
    broker_clear(broker)
    before = slot_of(timezone.now())

    ran = beat_twice("snapshot-portfolios", broker, together=together)

    slots = {before, slot_of(timezone.now())}  # two slots only if the run crossed a boundary
    taken = PortfolioSnapshot.objects.filter(user=conn.user, estimated=False)
    assert taken.count() == len(slots) and taken.first().total_usd > 0
    # The user's first snapshot asks for the days before it: once.
    assert named(ran, "dashboard.tasks.backfill_portfolio") == [[conn.user.pk]]
