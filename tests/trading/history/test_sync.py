"""History slices against the real sandbox: backfill, forward, resumption, pacing, errors."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.trading.history.conftest import HOUR_MS, now_ms
from trading.history import services
from trading.models import AccountTrade, HistoryKind, HistorySync, Order

pytestmark = pytest.mark.django_db
DAY_MS = 24 * HOUR_MS


def run_until_done(conn, kind, symbol="BTCUSD", *, max_slices=200) -> list:
    outcomes = []
    for _ in range(max_slices):
        outcome = services.history_sync(connection_id=conn.pk, kind=kind, symbol=symbol)
        outcomes.append(outcome)
        assert not outcome.error, outcome.error
        if not outcome.again:
            return outcomes
    raise AssertionError(f"{kind} not done after {max_slices} slices")


def test_it_backfills_orders_and_trades_spread_over_several_days(account):
    start = now_ms() - 3 * DAY_MS - 5 * HOUR_MS
    made = account.bulk_history(orders=2500, start_ms=start, end_ms=now_ms() - HOUR_MS)
    run_until_done(account.connection, HistoryKind.ORDERS)
    run_until_done(account.connection, HistoryKind.TRADES)
    order_ids = set(
        Order.objects.filter(connection=account.connection).values_list("order_id", flat=True)
    )
    trade_ids = list(
        AccountTrade.objects.filter(connection=account.connection).values_list(
            "trade_id", flat=True
        )
    )
    assert order_ids == set(range(made["firstOrderId"], made["lastOrderId"] + 1))
    assert sorted(trade_ids) == list(range(made["firstTradeId"], made["lastTradeId"] + 1))
    for kind in (HistoryKind.ORDERS, HistoryKind.TRADES):
        sync = HistorySync.objects.get(connection=account.connection, kind=kind, symbol="BTCUSD")
        assert sync.done and sync.progress == 1.0 and sync.rows == 2500
        assert sync.backfill_from == datetime.fromtimestamp(start / 1000, UTC)
        assert sync.last_error == ""
