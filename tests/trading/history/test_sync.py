"""History slices against the real sandbox: backfill, forward, resumption, pacing, errors."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import redis
from django.utils import timezone

import binanceus
from tests.factories import make_connection, make_user
from tests.trading.history.conftest import HOUR_MS, now_ms
from trading.history import services
from trading.models import (
    AccountTrade,
    HistoryKind,
    HistorySync,
    Order,
    OrderList,
    OrderOrigin,
    OrderStatus,
    PreventedMatch,
)

pytestmark = pytest.mark.django_db
DAY_MS = 24 * HOUR_MS
QTY = Decimal("0.01")


def run_until_done(conn, kind, symbol="BTCUSD", *, max_slices=300, now=None) -> list:
    outcomes = []
    for _ in range(max_slices):
        outcome = services.history_sync(connection_id=conn.pk, kind=kind, symbol=symbol, now=now)
        outcomes.append(outcome)
        assert not outcome.error, outcome.error
        if not outcome.again:
            return outcomes
    raise AssertionError(f"{kind} not done after {max_slices} slices")


def sync_row(conn, kind, symbol="BTCUSD") -> HistorySync:
    return HistorySync.objects.get(connection=conn, kind=kind, symbol=symbol)


def stored_trade_ids(conn) -> list[int]:
    return sorted(AccountTrade.objects.filter(connection=conn).values_list("trade_id", flat=True))


def test_it_backfills_orders_and_trades_spread_over_several_days(account):
    start = now_ms() - 3 * DAY_MS - 5 * HOUR_MS
    made = account.bulk_history(orders=2500, start_ms=start, end_ms=now_ms() - HOUR_MS)
    run_until_done(account.connection, HistoryKind.ORDERS)
    run_until_done(account.connection, HistoryKind.TRADES)
    order_ids = set(
        Order.objects.filter(connection=account.connection).values_list("order_id", flat=True)
    )
    assert order_ids == set(range(made["firstOrderId"], made["lastOrderId"] + 1))
    assert stored_trade_ids(account.connection) == list(
        range(made["firstTradeId"], made["lastTradeId"] + 1)
    )
    for kind in (HistoryKind.ORDERS, HistoryKind.TRADES):
        sync = sync_row(account.connection, kind)
        assert sync.done and sync.progress == 1.0 and sync.rows == 2500
        # Clamped to the account's first row: no empty windows before it were asked for.
        assert sync.backfill_from == datetime.fromtimestamp(start / 1000, UTC)
        assert sync.last_error == ""


def test_it_resumes_slice_by_slice_without_gaps_or_duplicates(account, settings):
    settings.HISTORY_SLICE_REQUESTS = 1
    made = account.bulk_history(
        orders=3000, start_ms=now_ms() - 2 * DAY_MS, end_ms=now_ms() - HOUR_MS
    )
    outcomes = run_until_done(account.connection, HistoryKind.TRADES)
    assert outcomes[0].requests == 2  # where history begins, and the newest page
    assert all(o.requests <= 1 for o in outcomes[1:])
    assert len(outcomes) > 5  # begin (2 requests), then one page per slice
    sync = sync_row(account.connection, HistoryKind.TRADES)
    assert stored_trade_ids(account.connection) == list(
        range(made["firstTradeId"], made["lastTradeId"] + 1)
    )
    assert sync.done and sync.rows == 3000


def test_it_reports_growing_progress_while_backfilling(account, settings):
    settings.HISTORY_SLICE_REQUESTS = 2
    account.bulk_history(orders=600, start_ms=now_ms() - 4 * DAY_MS, end_ms=now_ms() - HOUR_MS)
    progress = []
    for _ in range(10):
        services.history_sync(
            connection_id=account.connection.pk, kind=HistoryKind.TRADES, symbol="BTCUSD"
        )
        sync = sync_row(account.connection, HistoryKind.TRADES)
        progress.append(sync.progress)
        if sync.done:
            break
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert 0 < progress[1] < 1  # one 24 h window of a ~4 day span per request
    stored = AccountTrade.objects.filter(connection=account.connection)
    assert stored.count() == 600


def test_it_picks_up_after_a_slice_died_mid_way(account, monkeypatch):
    made = account.bulk_history(orders=2500, start_ms=now_ms() - DAY_MS, end_ms=now_ms())
    original = binanceus.Client.my_trades
    calls = {"n": 0}

    def flaky(self, **kw):
        calls["n"] += 1
        if calls["n"] == 4:
            raise binanceus.NetworkError("connection reset")
        return original(self, **kw)

    monkeypatch.setattr(binanceus.Client, "my_trades", flaky)
    first = services.history_sync(
        connection_id=account.connection.pk, kind=HistoryKind.TRADES, symbol="BTCUSD"
    )
    assert first.error and not first.again
    sync = sync_row(account.connection, HistoryKind.TRADES)
    assert sync.last_error and not sync.done
    partial = stored_trade_ids(account.connection)
    assert 0 < len(partial) < 2500
    run_until_done(account.connection, HistoryKind.TRADES)
    assert stored_trade_ids(account.connection) == list(
        range(made["firstTradeId"], made["lastTradeId"] + 1)
    )
    assert sync_row(account.connection, HistoryKind.TRADES).last_error == ""


def test_it_finishes_at_once_for_an_account_without_history(account, exchange_requests):
    before = exchange_requests("/api/v3/allOrders")
    [outcome] = run_until_done(account.connection, HistoryKind.ORDERS)
    assert outcome.requests == 1 and exchange_requests("/api/v3/allOrders") == before + 1
    sync = sync_row(account.connection, HistoryKind.ORDERS)
    assert sync.done and sync.progress == 1.0 and sync.rows == 0 and sync.cursor is None


def _cross(maker, taker, price, *, qty=QTY):
    with maker.client() as m:
        sell = m.new_order(
            symbol="BTCUSD",
            side="SELL",
            type="LIMIT",
            time_in_force="GTC",
            quantity=qty,
            price=price,
            validate=False,
        )
    with taker.client() as t:
        t.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=qty, validate=False)
    return sell


def test_it_follows_new_trades_forward_from_the_cursor(quiet):
    maker, taker = quiet
    price = maker.price()
    _cross(maker, taker, price)
    run_until_done(maker.connection, HistoryKind.TRADES)
    first = stored_trade_ids(maker.connection)
    assert len(first) == 1
    cursor = sync_row(maker.connection, HistoryKind.TRADES).cursor
    assert cursor == first[0]
    _cross(maker, taker, price)
    _cross(maker, taker, price)
    run_until_done(maker.connection, HistoryKind.TRADES)
    ids = stored_trade_ids(maker.connection)
    assert len(ids) == 3 and ids[0] == first[0]
    assert sync_row(maker.connection, HistoryKind.TRADES).cursor == ids[-1]
    sells = AccountTrade.objects.filter(connection=maker.connection, is_buyer=False)
    assert sells.count() == 3 and {t.qty for t in sells} == {QTY}


def test_it_updates_an_order_stored_open_once_it_fills(quiet):
    maker, taker = quiet
    with maker.client() as m:
        sell = m.new_order(
            symbol="BTCUSD",
            side="SELL",
            type="LIMIT",
            time_in_force="GTC",
            quantity=QTY,
            price=maker.price(),
            validate=False,
        )
    run_until_done(maker.connection, HistoryKind.ORDERS)
    row = Order.objects.get(connection=maker.connection, order_id=sell.order_id)
    assert row.status == OrderStatus.NEW and row.origin == OrderOrigin.EXCHANGE
    with taker.client() as t:
        t.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=QTY, validate=False)
    run_until_done(maker.connection, HistoryKind.ORDERS)
    row.refresh_from_db()
    assert row.status == OrderStatus.FILLED and row.executed_qty == QTY
    assert Order.objects.filter(connection=maker.connection).count() == 1


def _rest_sell(maker) -> binanceus.Order:
    with maker.client() as m:
        return m.new_order(
            symbol="BTCUSD",
            side="SELL",
            type="LIMIT",
            time_in_force="GTC",
            quantity=QTY,
            price=maker.price(),
            validate=False,
        )


def _market_buy(taker) -> None:
    with taker.client() as t:
        t.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=QTY, validate=False)


def _exchange_updated_at(account, order_id: int) -> datetime:
    with account.client() as c:
        return c.get_order(symbol="BTCUSD", order_id=order_id).update_time


def test_it_sees_a_fill_stamped_in_the_millisecond_its_pass_begins(quiet):
    # As in the flaky run that found it: the taker's answer came back and the next pass began
    # within the millisecond the exchange stamped the fill with.
    maker, taker = quiet
    sell = _rest_sell(maker)
    run_until_done(maker.connection, HistoryKind.ORDERS)
    _market_buy(taker)
    filled_at = _exchange_updated_at(maker, sell.order_id)
    within = filled_at + timedelta(microseconds=500)
    run_until_done(maker.connection, HistoryKind.ORDERS, now=within)
    row = Order.objects.get(connection=maker.connection, order_id=sell.order_id)
    assert row.status == OrderStatus.FILLED and row.exchange_updated_at == filled_at


def test_it_sees_a_fill_stamped_before_its_last_pass_by_an_exchange_clock_running_behind(quiet):
    maker, taker = quiet
    behind = timedelta(seconds=5)  # the exchange's clock, against ours
    sell = _rest_sell(maker)
    passed_at = timezone.now() + behind
    run_until_done(maker.connection, HistoryKind.ORDERS, now=passed_at)
    _market_buy(taker)
    filled_at = _exchange_updated_at(maker, sell.order_id)
    assert filled_at < passed_at  # happened after that pass, stamped as if before it
    run_until_done(maker.connection, HistoryKind.ORDERS, now=timezone.now() + behind)
    row = Order.objects.get(connection=maker.connection, order_id=sell.order_id)
    assert row.status == OrderStatus.FILLED and row.executed_qty == QTY


def test_it_takes_a_fill_stamped_with_the_same_millisecond_as_the_stored_open_state(quiet):
    maker, taker = quiet
    sell = _rest_sell(maker)
    _market_buy(taker)
    filled_at = _exchange_updated_at(maker, sell.order_id)
    Order.objects.create(
        connection=maker.connection,
        symbol="BTCUSD",
        order_id=sell.order_id,
        client_order_id=sell.client_order_id,
        origin=OrderOrigin.EXCHANGE,
        side="SELL",
        type="LIMIT",
        status=OrderStatus.NEW,  # as a live report of that same millisecond said
        exchange_updated_at=filled_at,
    )
    run_until_done(maker.connection, HistoryKind.ORDERS)
    row = Order.objects.get(connection=maker.connection, order_id=sell.order_id)
    assert row.status == OrderStatus.FILLED and row.executed_qty == QTY


def test_it_never_replaces_a_newer_live_state_with_an_older_history_row(quiet):
    maker, _ = quiet
    with maker.client() as m:
        sell = m.new_order(
            symbol="BTCUSD",
            side="SELL",
            type="LIMIT",
            time_in_force="GTC",
            quantity=QTY,
            price=maker.price(),
            validate=False,
        )
    later = timezone.now() + timezone.timedelta(minutes=5)
    Order.objects.create(
        connection=maker.connection,
        symbol="BTCUSD",
        order_id=sell.order_id,
        client_order_id=sell.client_order_id,
        origin=OrderOrigin.EXCHANGE,
        side="SELL",
        type="LIMIT",
        status=OrderStatus.CANCELED,  # as a (made-up) newer execution report said
        exchange_updated_at=later,
    )
    run_until_done(maker.connection, HistoryKind.ORDERS)
    row = Order.objects.get(connection=maker.connection, order_id=sell.order_id)
    assert row.status == OrderStatus.CANCELED and row.exchange_updated_at == later


def test_it_gives_a_desk_intent_its_exchange_id_instead_of_a_second_row(quiet):
    maker, _ = quiet
    intent = Order.objects.create(
        connection=maker.connection,
        symbol="BTCUSD",
        client_order_id="desk-lost-answer-1",
        origin=OrderOrigin.DESK,
        side="SELL",
        type="LIMIT",
        status=OrderStatus.UNKNOWN,
    )
    with maker.client() as m:
        sell = m.new_order(
            symbol="BTCUSD",
            side="SELL",
            type="LIMIT",
            time_in_force="GTC",
            quantity=QTY,
            price=maker.price(),
            new_client_order_id="desk-lost-answer-1",
            validate=False,
        )
    run_until_done(maker.connection, HistoryKind.ORDERS)
    intent.refresh_from_db()
    assert intent.order_id == sell.order_id and intent.status == OrderStatus.NEW
    assert Order.objects.filter(connection=maker.connection).count() == 1


def test_it_stores_the_match_that_expired_an_order(quiet):
    maker, _ = quiet
    price = maker.price()
    with maker.client() as m:
        resting = m.new_order(
            symbol="BTCUSD",
            side="SELL",
            type="LIMIT",
            time_in_force="GTC",
            quantity=QTY,
            price=price,
            validate=False,
        )
        m.new_order(
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            time_in_force="IOC",
            quantity=QTY,
            price=price,
            self_trade_prevention_mode="EXPIRE_MAKER",
            validate=False,
        )
    run_until_done(maker.connection, HistoryKind.ORDERS)
    expired = Order.objects.get(connection=maker.connection, order_id=resting.order_id)
    assert expired.status == OrderStatus.EXPIRED_IN_MATCH
    run_until_done(maker.connection, HistoryKind.PREVENTED)
    [match] = PreventedMatch.objects.filter(connection=maker.connection)
    assert match.maker_order_id == resting.order_id and match.price == price
    assert match.maker_prevented_quantity == QTY
    sync = sync_row(maker.connection, HistoryKind.PREVENTED)
    assert sync.done and sync.rows == 1
    again = services.history_sync(
        connection_id=maker.connection.pk, kind=HistoryKind.PREVENTED, symbol="BTCUSD"
    )
    assert again.requests == 0  # the order's match is stored: nothing to ask


def test_it_syncs_oco_lists_and_links_their_legs(quiet):
    maker, _ = quiet
    price = maker.price()
    with maker.client() as m:
        oco = m.new_oco(
            symbol="BTCUSD",
            side="SELL",
            quantity=QTY,
            price=(price * Decimal("1.02")).quantize(Decimal("0.01")),
            stop_price=(price * Decimal("0.98")).quantize(Decimal("0.01")),
            stop_limit_price=(price * Decimal("0.97")).quantize(Decimal("0.01")),
            stop_limit_time_in_force="GTC",
        )
    run_until_done(maker.connection, HistoryKind.ORDERS)
    run_until_done(maker.connection, HistoryKind.ORDER_LISTS, symbol="")
    row = OrderList.objects.get(connection=maker.connection)
    assert row.order_list_id == oco.order_list_id
    assert row.list_order_status == "EXECUTING" and row.origin == OrderOrigin.EXCHANGE
    legs = Order.objects.filter(connection=maker.connection, order_list=row)
    assert sorted(legs.values_list("order_id", flat=True)) == sorted(
        leg.order_id for leg in oco.orders
    )
    assert sync_row(maker.connection, HistoryKind.ORDER_LISTS, "").rows == 1


def test_it_stops_when_its_share_of_the_weight_budget_is_spent(account, settings):
    settings.EXCHANGE_WEIGHT_PER_MINUTE = 1200
    settings.HISTORY_WEIGHT_SHARE = 0.01  # 12 of 1200 per minute: one request of weight 10
    account.bulk_history(orders=10, start_ms=now_ms() - DAY_MS, end_ms=now_ms())
    outcome = services.history_sync(
        connection_id=account.connection.pk, kind=HistoryKind.TRADES, symbol="BTCUSD"
    )
    assert outcome.requests == 1 and outcome.again and 0 < outcome.delay <= 61
    assert outcome.notes == ["weight share used this minute"]
    sync = sync_row(account.connection, HistoryKind.TRADES)
    assert sync.next_run_at > timezone.now() and sync.last_error == ""


def test_it_waits_out_a_rate_limit_seen_by_another_process(account, exchange_requests):
    from accounts.exchange import weight_budget

    weight_budget("sandbox").back_off(30, status=429)
    before = exchange_requests()
    outcome = services.history_sync(
        connection_id=account.connection.pk, kind=HistoryKind.TRADES, symbol="BTCUSD"
    )
    assert outcome.requests == 0 and outcome.again and 25 < outcome.delay <= 30
    assert exchange_requests() == before


def test_it_records_the_exchanges_refusal(history_url):
    conn = make_connection(make_user())  # keys the exchange does not know
    outcome = services.history_sync(connection_id=conn.pk, kind=HistoryKind.ORDERS, symbol="BTCUSD")
    sync = sync_row(conn, HistoryKind.ORDERS)
    assert outcome.error.startswith("The exchange answered -2015")
    assert sync.last_error == outcome.error and sync.synced_at is None
    assert sync.next_run_at > timezone.now()


def test_it_never_runs_the_same_slice_twice_at_once(account, settings, exchange_requests):
    lock = redis.Redis.from_url(settings.REDIS_URL).lock(
        f"desk:history:lock:{account.connection.pk}:trades:BTCUSD", timeout=10
    )
    assert lock.acquire(blocking=False)
    before = exchange_requests()
    try:
        outcome = services.history_sync(
            connection_id=account.connection.pk, kind=HistoryKind.TRADES, symbol="BTCUSD"
        )
    finally:
        lock.release()
    assert outcome.skipped and outcome.requests == 0 and exchange_requests() == before


def test_it_waits_for_the_order_history_before_looking_for_prevented_matches(
    account, exchange_requests
):
    before = exchange_requests()
    outcome = services.history_sync(
        connection_id=account.connection.pk, kind=HistoryKind.PREVENTED, symbol="BTCUSD"
    )
    assert outcome.again and outcome.delay == 30 and outcome.requests == 0
    assert outcome.notes == ["waiting for the order history"]
    assert exchange_requests() == before


def test_it_pushes_the_progress_to_the_connection_socket_after_a_slice(
    account, django_capture_on_commit_callbacks
):
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from accounts import realtime

    made = account.bulk_history(orders=40, start_ms=now_ms() - DAY_MS, end_ms=now_ms() - HOUR_MS)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.connection_group(account.connection.pk), channel)

    async def receive():
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    with django_capture_on_commit_callbacks(execute=True):
        slices = run_until_done(account.connection, HistoryKind.ORDERS)
    pushes = [async_to_sync(receive)() for _ in slices]  # one after each slice
    assert {p["type"] for p in pushes} == {"history_progress.updated"}
    [orders] = [s for s in pushes[-1]["payload"]["syncs"] if s["kind"] == HistoryKind.ORDERS]
    assert orders["done"] and orders["rows"] == made["lastOrderId"] - made["firstOrderId"] + 1
