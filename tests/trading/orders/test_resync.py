"""The REST resync after a stream gap, on a still sandbox: an order that filled while the
desk was not listening comes back with its fills, each stored once."""

import time
from decimal import Decimal

import pytest
import requests

import binanceus
from tests.support import exchange_client
from trading.models import AccountTrade, Order, OrderStatus
from trading.orders import records, userdata

pytestmark = pytest.mark.django_db

INSIDE_SPREAD = Decimal("60000.00")  # the still book: bids from 59999, asks from 60001


def _seller(base: str) -> binanceus.Client:
    resp = requests.post(
        f"{base}/sandbox/v1/accounts",
        json={"email": f"seller-{time.monotonic_ns()}@example.test", "balances": {"BTC": "1"}},
        timeout=5,
    )
    resp.raise_for_status()
    doc = resp.json()
    return exchange_client(doc["apiKey"], doc["secretKey"], base)


def _my_trades_calls(base: str) -> int:
    doc = requests.get(f"{base}/sandbox/v1/requests", timeout=5).json()
    return doc["byPath"].get("/api/v3/myTrades", 0)


def _sell(seller: binanceus.Client, qty: str) -> None:
    seller.new_order(symbol="BTCUSD", side="SELL", type="MARKET", quantity=Decimal(qty))


def test_it_brings_back_the_fills_of_an_order_that_filled_while_away(still_trader):
    conn, ex = still_trader
    with exchange_client(ex.api_key, ex.secret, ex.base) as client:
        bid = client.new_order(
            symbol="BTCUSD",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=Decimal("0.01"),
            price=INSIDE_SPREAD,
            new_client_order_id="away-1",
        )
    calls = _my_trades_calls(ex.base)
    assert userdata.connection_resync(connection_id=conn.pk) == 1
    assert _my_trades_calls(ex.base) == calls  # nothing filled: no fills asked for
    with _seller(ex.base) as seller:
        _sell(seller, "0.004")
        assert userdata.connection_resync(connection_id=conn.pk) == 1
        row = Order.objects.get(connection=conn, order_id=bid.order_id)
        assert (row.status, row.executed_qty) == (OrderStatus.PARTIALLY_FILLED, Decimal("0.004"))
        _sell(seller, "0.006")
    assert userdata.connection_resync(connection_id=conn.pk) == 0
    row.refresh_from_db()
    assert (row.status, row.executed_qty) == (OrderStatus.FILLED, Decimal("0.01"))
    fills = AccountTrade.objects.filter(connection=conn, order_id=bid.order_id).order_by("time")
    assert [(f.qty, f.price, f.is_maker) for f in fills] == [
        (Decimal("0.004"), INSIDE_SPREAD, True),
        (Decimal("0.006"), INSIDE_SPREAD, True),
    ]
    calls = _my_trades_calls(ex.base)
    assert userdata.connection_resync(connection_id=conn.pk) == 0
    assert _my_trades_calls(ex.base) == calls
    assert AccountTrade.objects.filter(connection=conn).count() == 2


def test_it_settles_an_oco_list_that_ended_while_away(still_trader):
    conn, ex = still_trader
    with exchange_client(ex.api_key, ex.secret, ex.base) as client:
        placed = client.new_oco(
            symbol="BTCUSD",
            side="SELL",
            quantity=Decimal("0.01"),
            price=Decimal("61000.00"),
            stop_price=Decimal("59000.00"),
            stop_limit_price=Decimal("58900.00"),
            stop_limit_time_in_force="GTC",
        )
        row = records.order_list_store(connection=conn, order_list=placed)
        assert row.list_status_type == "EXEC_STARTED"
        assert userdata.connection_resync(connection_id=conn.pk) == 2  # both legs still open
        row.refresh_from_db()
        assert row.list_status_type == "EXEC_STARTED"
        # Canceled behind the desk's back, with no stream to bring the listStatus event.
        client.cancel_order_list(symbol="BTCUSD", order_list_id=placed.order_list_id)
    assert userdata.connection_resync(connection_id=conn.pk) == 0
    row.refresh_from_db()
    assert (row.list_status_type, row.list_order_status) == ("ALL_DONE", "ALL_DONE")
    legs = Order.objects.filter(connection=conn, order_list=row)
    assert sorted(leg.status for leg in legs) == [OrderStatus.CANCELED, OrderStatus.CANCELED]


def test_a_list_stored_by_another_process_meanwhile_is_updated_not_duplicated(
    still_trader, monkeypatch
):
    """The stream process reads "no row for this list" while the web process, holding the
    desk's row locked, is setting its exchange id (PostgreSQL re-reads the locked row after
    that commit, and it no longer matches): its insert then meets the unique constraint, and
    the row the other process stored is the one brought up to date."""
    from trading.models import OrderList

    conn, ex = still_trader
    with exchange_client(ex.api_key, ex.secret, ex.base) as client:
        placed = client.new_oco(
            symbol="BTCUSD",
            side="SELL",
            quantity=Decimal("0.01"),
            price=Decimal("61000.00"),
            stop_price=Decimal("59000.00"),
            stop_limit_price=Decimal("58900.00"),
            stop_limit_time_in_force="GTC",
        )
        stored = records.order_list_store(connection=conn, order_list=placed)
        client.cancel_order_list(symbol="BTCUSD", order_list_id=placed.order_list_id)
        ended = client.get_order_list(order_list_id=placed.order_list_id)
    looks = []  # the first look finds nothing, as in the race; later ones see the row
    find = records._find_list
    monkeypatch.setattr(
        records,
        "_find_list",
        lambda c, ol: find(c, ol) if looks.append(1) or len(looks) > 1 else None,
    )
    row = records.order_list_store(connection=conn, order_list=ended)
    assert row.pk == stored.pk and OrderList.objects.filter(connection=conn).count() == 1
    row.refresh_from_db()
    assert row.list_status_type == "ALL_DONE"
