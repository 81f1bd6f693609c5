"""Scheduling: which slices the beat queues, and a slice that queues its own continuation."""

import base64
import json
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Environment, KeyType
from tests.factories import make_user
from tests.support import broker_clear, broker_messages
from tests.trading.history.conftest import HOUR_MS, now_ms
from trading.history import planning, services, tasks
from trading.models import HistoryKind, HistorySync

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(settings):
    """The Celery queue in the session's Redis, emptied before and after."""
    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    yield r
    broker_clear(r)


def queued(r) -> list[tuple[str, list]]:
    out = []
    for raw in broker_messages(r):
        msg = json.loads(raw)
        args, _, _ = json.loads(base64.b64decode(msg["body"]))
        out.append((msg["headers"]["task"], args))
    return out


def test_it_plans_held_pairs_and_followed_symbols_and_skips_waiting_rows(account):
    conn = account.connection
    account_services.connection_sync_balances(connection_id=conn.pk)  # USD, USDT, BTC, ETH
    planned = {(k, s) for pk, k, s in planning.history_plan() if pk == conn.pk}
    for symbol in ("BTCUSD", "ETHUSD", "ETHBTC"):
        assert {("orders", symbol), ("trades", symbol), ("prevented", symbol)} <= planned
    assert ("order_lists", "") in planned
    assert not any(s.startswith("SOL") for _, s in planned)  # no SOL held
    HistorySync.objects.filter(connection=conn, symbol="ETHUSD").update(
        next_run_at=timezone.now() + timedelta(minutes=5)
    )
    planned = {(k, s) for pk, k, s in planning.history_plan() if pk == conn.pk}
    assert not any(s == "ETHUSD" for _, s in planned)


def test_it_plans_nothing_for_a_disabled_connection(account):
    conn = account.connection
    services.history_symbols_ensure(connection=conn, symbols=["BTCUSD"])
    conn.is_active = False
    conn.save(update_fields=["is_active"])
    assert not [p for p in planning.history_plan() if p[0] == conn.pk]


def test_it_queues_the_next_slice_until_backfill_is_done(account, queue, settings):
    settings.HISTORY_SLICE_REQUESTS = 2
    account.bulk_history(orders=50, start_ms=now_ms() - 3 * 24 * HOUR_MS, end_ms=now_ms())
    args = [account.connection.pk, "trades", "BTCUSD"]
    tasks.sync_history_slice(*args)
    assert queued(queue) == [("trading.history.tasks.sync_history_slice", args)]
    sync = HistorySync.objects.get(connection=account.connection, kind=HistoryKind.TRADES)
    assert not sync.done
    # The beat leaves a chained row alone for a while (its lease).
    assert sync.next_run_at > timezone.now() + timedelta(minutes=1)
    for _ in range(10):
        broker_clear(queue)
        tasks.sync_history_slice(*args)
        if not queued(queue):
            break
    sync.refresh_from_db()
    assert sync.done and sync.rows == 50 and not queued(queue)
    assert sync.next_run_at > timezone.now() + timedelta(seconds=250)  # forward pause


def test_it_queues_every_due_slice_from_the_beat(account, queue):
    services.history_symbols_ensure(connection=account.connection, symbols=["BTCUSD"])
    tasks.sync_history_all()
    mine = [a for name, a in queued(queue) if a[0] == account.connection.pk]
    assert {(k, s) for _, k, s in mine} >= {
        ("order_lists", ""),
        ("orders", "BTCUSD"),
        ("prevented", "BTCUSD"),
        ("trades", "BTCUSD"),
    }


def _unsendable_connection():
    """A connection whose key decrypts to text no HTTP header can carry (Cyrillic look-alikes
    pasted in): every request it would make fails before leaving."""
    return account_services.connection_import(
        user=make_user(),
        label="Poisoned",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key="ключ" * 16,
        api_secret="секрет" * 10,
    )


def test_it_plans_and_syncs_every_other_history_past_a_poisoned_connection(account, queue, caplog):
    poisoned = _unsendable_connection()
    services.history_symbols_ensure(connection=poisoned, symbols=["BTCUSD", "NOSUCHUSD"])
    services.history_symbols_ensure(connection=account.connection, symbols=["BTCUSD"])
    account.bulk_history(orders=5, start_ms=now_ms() - 2 * HOUR_MS, end_ms=now_ms() - HOUR_MS)

    tasks.sync_history_all()
    planned = [args for _, args in queued(queue)]
    mine = {(k, s) for pk, k, s in planned if pk == account.connection.pk}
    assert ("trades", "BTCUSD") in mine
    # The poisoned connection's slices run first; each ends on its own row, the others go on.
    for pk, kind, symbol in sorted(planned, key=lambda a: a[0] != poisoned.pk):
        broker_clear(queue)
        tasks.sync_history_slice(pk, kind, symbol)

    for sync in HistorySync.objects.filter(connection=poisoned).exclude(kind="prevented"):
        assert sync.last_error.startswith("The sync failed (UnicodeEncodeError)"), sync
        assert sync.next_run_at > timezone.now()  # paused, not queued again at once
    trades = HistorySync.objects.get(
        connection=account.connection, kind=HistoryKind.TRADES, symbol="BTCUSD"
    )
    assert trades.rows == 5 and trades.last_error == ""
    assert "ключ" not in caplog.text  # the failure is logged without the key it quotes
