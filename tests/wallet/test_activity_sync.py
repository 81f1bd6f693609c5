"""Deposits and withdrawals copied from the sandbox with a cursor per kind: each row once, its
status followed as the sandbox clock moves it (spec: deposit 0 pending -> 6 credited but
cannot withdraw -> 1 success; fiat INIT -> Processing -> Successful)."""

from decimal import Decimal

import pytest

import binanceus
from accounts import crypto
from accounts.models import ExchangeConnection
from tests.factories import make_connection
from tests.support import exchange_client
from tests.wallet.conftest import queued
from wallet.activity import planning, services, tasks
from wallet.activity.models import ActivityKind, ActivityState, ActivitySync, WalletActivity

pytestmark = pytest.mark.django_db

# A block is 60 s on the sandbox's BTC network, credited at 1 confirmation and unlocked at 2
# (its seeded catalogue): past both, with room to spare.
PAST_UNLOCK_MS = 10 * 60_000
BTC_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def _deposit(conn, coin="BTC") -> WalletActivity:
    return WalletActivity.objects.get(connection=conn, kind=ActivityKind.DEPOSIT, coin=coin)


def test_it_stores_a_deposit_and_follows_it_to_success(wallet_master):
    conn, chain = wallet_master
    sent = chain.deposit("BTC", "0.25")
    outcome = services.activity_sync(connection_id=conn.pk)
    assert outcome.changed >= 1 and not outcome.errors
    row = _deposit(conn)
    assert (row.status, row.state) == ("0", ActivityState.PENDING)
    assert row.amount == Decimal("0.25") and row.tx_id == sent["txId"]
    assert row.network == sent["network"] and row.time.utcoffset().total_seconds() == 0

    chain.advance_clock(PAST_UNLOCK_MS)
    services.activity_sync(connection_id=conn.pk)
    row.refresh_from_db()
    assert (row.status, row.state) == ("1", ActivityState.SUCCESS)
    assert WalletActivity.objects.filter(connection=conn, kind=ActivityKind.DEPOSIT).count() == 1


def test_it_moves_the_cursor_and_reads_from_just_before_it(wallet_master, monkeypatch):
    conn, chain = wallet_master
    chain.deposit("ETH", "1")
    services.activity_sync(connection_id=conn.pk)
    chain.advance_clock(PAST_UNLOCK_MS)  # ETH: 12 confirmations of 12 s
    services.activity_sync(connection_id=conn.pk)
    cursor = ActivitySync.objects.get(connection=conn, kind=ActivityKind.DEPOSIT)
    assert cursor.newest_time == _deposit(conn, "ETH").time and cursor.last_error == ""

    starts = []
    original = binanceus.Client.deposit_history

    def spy(self, **kw):
        starts.append(kw["start_time"])
        return original(self, **kw)

    monkeypatch.setattr(binanceus.Client, "deposit_history", spy)
    services.activity_sync(connection_id=conn.pk)
    assert starts and all(s == cursor.newest_time - services.OVERLAP for s in starts)


def test_it_stores_fiat_deposits_and_their_status(wallet_master):
    conn, chain = wallet_master
    sent = chain.fiat_deposit("250")
    services.activity_sync(connection_id=conn.pk)
    row = WalletActivity.objects.get(connection=conn, kind=ActivityKind.FIAT_DEPOSIT)
    assert row.exchange_id == sent["orderId"] and row.coin == "USD"
    assert row.state == ActivityState.PENDING
    chain.end_fiat_order(sent["orderId"], "Successful")
    services.activity_sync(connection_id=conn.pk)
    row.refresh_from_db()
    assert (row.status, row.state) == ("Successful", ActivityState.SUCCESS)


def test_it_keeps_each_kind_going_when_another_fails(wallet_master, monkeypatch):
    conn, chain = wallet_master
    chain.fiat_deposit("10")

    def refuse(self, **kw):
        raise binanceus.APIError(status=400, code=-1130, msg="Data sent for parameter illegal.")

    monkeypatch.setattr(binanceus.Client, "withdraw_history", refuse)
    outcome = services.activity_sync(connection_id=conn.pk)
    assert set(outcome.errors) == {ActivityKind.WITHDRAWAL}
    failed = ActivitySync.objects.get(connection=conn, kind=ActivityKind.WITHDRAWAL)
    assert "-1130" in failed.last_error and failed.synced_at is None
    assert WalletActivity.objects.filter(connection=conn, kind=ActivityKind.FIAT_DEPOSIT).exists()


def test_it_records_keys_that_cannot_be_decrypted_on_every_cursor(wallet_master, monkeypatch):
    conn, _ = wallet_master

    def broken(_):
        raise crypto.CredentialsUnavailable("no key")

    monkeypatch.setattr(crypto, "decrypt", broken)
    outcome = services.activity_sync(connection_id=conn.pk)
    assert len(outcome.errors) == len(ActivityKind.values)
    assert set(
        ActivitySync.objects.filter(connection=conn).values_list("last_error", flat=True)
    ) == {"The connection's keys need replacing."}


def test_it_plans_one_sync_per_exchange_connection_and_skips_disabled_ones(
    wallet_master, celery_queue
):
    conn, _ = wallet_master
    tasks.sync_wallet_activity_all()
    assert ("wallet.activity.tasks.sync_wallet_activity", [conn.pk]) in queued(celery_queue)
    conn.is_active = False
    conn.save(update_fields=["is_active"])
    assert conn.pk not in planning.activity_connections()


def test_it_debounces_syncs_asked_for_by_balance_moves(
    wallet_master, celery_queue, django_capture_on_commit_callbacks
):
    conn, _ = wallet_master
    with django_capture_on_commit_callbacks(execute=True):
        assert planning.activity_balance_moved(connection=conn)
        assert not planning.activity_balance_moved(connection=conn)
    assert queued(celery_queue) == [
        ("wallet.activity.tasks.sync_wallet_activity", [conn.pk, False])
    ]


def test_a_balance_update_on_the_user_stream_queues_a_sync(
    wallet_master, celery_queue, django_capture_on_commit_callbacks
):
    """The stream process hands every user-data event to ``user_event_apply``: a deposit's
    ``balanceUpdate`` is what brings the Wallet tab's history up to date without polling."""
    from django.core.cache import cache

    from trading.orders.userdata import user_event_apply

    conn, _ = wallet_master
    # SQLite hands a rolled-back id out again: an earlier test's debounce mark may name it.
    cache.delete(f"desk:wallet:balance-moved:{conn.pk}")
    event = {"e": "balanceUpdate", "E": 1700000000000, "a": "BTC", "d": "0.2", "T": 1700000000000}
    with django_capture_on_commit_callbacks(execute=True):
        assert user_event_apply(connection_id=conn.pk, data=event) == "balanceUpdate"
    assert queued(celery_queue) == [
        ("wallet.activity.tasks.sync_wallet_activity", [conn.pk, False])
    ]


@pytest.mark.parametrize("poison", ["undecryptable", "unsendable"])
def test_it_syncs_every_connection_past_a_poisoned_one(wallet_master, poison, monkeypatch):
    """The beat's task beside a connection whose stored keys cannot be used: that one's
    cursors say why, the healthy one is synced, and nothing raises (eager tasks pass their
    exceptions on here, so the order of the two does not matter)."""
    from desk.celery import app as celery_app

    conn, chain = wallet_master
    poisoned = make_connection(conn.user)
    token = "gAAAAAB-not-a-token" if poison == "undecryptable" else crypto.encrypt("ключ\r\nX: 1")
    ExchangeConnection.objects.filter(pk=poisoned.pk).update(
        api_key_encrypted=token, api_secret_encrypted=token
    )
    chain.deposit("BTC", "0.3")
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)
    tasks.sync_wallet_activity_all()
    assert WalletActivity.objects.filter(connection=conn, coin="BTC").exists()
    errors = set(
        ActivitySync.objects.filter(connection=poisoned).values_list("last_error", flat=True)
    )
    assert errors and all(errors)


def test_it_pushes_to_the_connections_group_once_the_sync_commits(
    wallet_master, django_capture_on_commit_callbacks
):
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from accounts.realtime import connection_group

    conn, chain = wallet_master
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(connection_group(conn.pk), channel)
    chain.deposit("BTC", "0.2")
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_sync(connection_id=conn.pk)

    async def receive():
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    msg = async_to_sync(receive)()
    assert msg["type"] == "wallet_activity.updated" and msg["payload"]["connection"] == conn.pk


def test_it_stores_a_withdrawal_and_follows_it_to_completed(wallet_master):
    conn, chain = wallet_master
    with exchange_client(chain.api_key, chain.secret, chain.base) as client:
        sent = client.withdraw(
            coin="BTC", network="BTC", address=BTC_ADDRESS, amount=Decimal("0.01")
        )
    services.activity_sync(connection_id=conn.pk)
    row = WalletActivity.objects.get(connection=conn, kind=ActivityKind.WITHDRAWAL)
    assert row.exchange_id == sent.id and row.withdraw_order_id == sent.withdraw_order_id
    assert (row.status, row.state) == ("4", ActivityState.PENDING)  # processing
    assert row.amount + row.fee == Decimal("0.01")  # the sandbox's choice: fee inside the amount
    chain.end_withdrawal(sent.id, 6)
    services.activity_sync(connection_id=conn.pk)
    row.refresh_from_db()
    assert (row.status, row.state) == ("6", ActivityState.SUCCESS) and row.tx_id
