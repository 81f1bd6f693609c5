"""User-data-stream payloads typed by parse_user_event (examples from the spec)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import binanceus as bu

from .helpers import assert_typed
from .trading_examples import ACCOUNT_POSITION, BALANCE_UPDATE, EXECUTION_REPORT, LIST_STATUS

T_EVENT = datetime(2017, 7, 7, 5, 34, 18, 658_000, tzinfo=UTC)
T_TRANSACT = datetime(2017, 7, 7, 5, 34, 18, 657_000, tzinfo=UTC)


def test_it_types_every_field_of_an_execution_report():
    ev = bu.parse_user_event(EXECUTION_REPORT)
    assert ev == bu.ExecutionReport(
        event_time=T_EVENT,
        symbol="ETHBTC",
        client_order_id="mUvoqJxFIILMdfAW5iGSOW",
        side="BUY",
        order_type="LIMIT",
        time_in_force="GTC",
        quantity=D("1"),
        price=D("0.1026441"),
        stop_price=D("0"),
        iceberg_qty=D("0"),
        order_list_id=None,
        orig_client_order_id=None,
        execution_type="NEW",
        order_status="NEW",
        reject_reason="NONE",
        order_id=4293153,
        last_executed_qty=D("0"),
        cumulative_filled_qty=D("0"),
        last_executed_price=D("0"),
        commission=D("0"),
        commission_asset=None,
        transaction_time=T_TRANSACT,
        trade_id=None,
        is_working=True,
        is_maker=False,
        order_creation_time=T_TRANSACT,
        cumulative_quote_qty=D("0"),
        last_quote_qty=D("0"),
        quote_order_qty=D("0"),
        self_trade_prevention_mode="EXPIRE_MAKER",
        trailing_delta=4,
        working_time=T_TRANSACT,
    )
    assert ev.raw == EXECUTION_REPORT and ev.average_price is None
    assert_typed(ev)


def test_it_types_a_trade_report_with_stp_fields_and_an_average_price():
    trade = EXECUTION_REPORT | {
        "x": "TRADE",
        "X": "PARTIALLY_FILLED",
        "g": 7,
        "C": "old-id",
        "l": "0.4",
        "z": "0.6",
        "L": "0.1",
        "Z": "0.063",
        "Y": "0.04",
        "n": "0.0004",
        "N": "ETH",
        "t": 991,
        "m": True,
        "u": 12332,
        "v": 122,
        "U": 2039,
        "A": "1.00000000",
        "B": "2.00000000",
        "D": 1499405658700,
    }
    ev = bu.parse_user_event(trade)
    assert isinstance(ev, bu.ExecutionReport)
    assert (ev.order_list_id, ev.orig_client_order_id, ev.trade_id) == (7, "old-id", 991)
    assert (ev.commission, ev.commission_asset, ev.is_maker) == (D("0.0004"), "ETH", True)
    assert (ev.trade_group_id, ev.prevented_match_id, ev.counter_order_id) == (12332, 122, 2039)
    assert (ev.prevented_quantity, ev.last_prevented_quantity) == (D("1"), D("2"))
    assert ev.trailing_time == datetime(2017, 7, 7, 5, 34, 18, 700_000, tzinfo=UTC)
    assert ev.last_quote_qty == D("0.04") and ev.average_price == D("0.105")


def test_it_types_list_status_account_position_and_balance_update():
    status = bu.parse_user_event(LIST_STATUS)
    assert isinstance(status, bu.ListStatus)
    assert (status.order_list_id, status.contingency_type, status.list_order_status) == (
        2,
        "OCO",
        "EXECUTING",
    )
    assert status.orders == [
        bu.OrderListEntry("ETHBTC", 17, "AJYsMjErWJesZvqlJCTUgL"),
        bu.OrderListEntry("ETHBTC", 18, "bfYPSQdLoqAJeNrOr9adzq"),
    ]
    position = bu.parse_user_event(ACCOUNT_POSITION)
    assert isinstance(position, bu.AccountPosition)
    assert position.balances == [bu.Balance("ETH", D("10000"), D("0"))]
    assert position.last_update_time == datetime(2019, 7, 25, 6, 2, 51, 73_000, tzinfo=UTC)
    update = bu.parse_user_event(BALANCE_UPDATE)
    assert isinstance(update, bu.BalanceUpdate)
    assert (update.asset, update.delta) == ("BTC", D("100"))
    assert_typed([status, position, update])


def test_it_types_listen_key_expiry_and_keeps_unknown_events_whole():
    expired = bu.parse_user_event({"e": "listenKeyExpired", "E": 1576653824250, "listenKey": "k"})
    assert isinstance(expired, bu.ListenKeyExpired) and expired.listen_key == "k"
    unknown = bu.parse_user_event({"e": "somethingNew", "E": 1, "x": "y"})
    assert unknown == bu.UnknownEvent("somethingNew", {"e": "somethingNew", "E": 1, "x": "y"})
    assert unknown.raw["x"] == "y"


def test_it_unwraps_a_combined_stream_envelope():
    ev = bu.parse_user_event({"stream": "listenkey", "data": BALANCE_UPDATE})
    assert isinstance(ev, bu.BalanceUpdate)
