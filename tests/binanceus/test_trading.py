"""Typed trading methods: what goes over the wire, how answers and failures are typed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import requests

import binanceus as bu

from .fakes import FakeExchange, make_client
from .helpers import assert_signed, assert_typed, sent_params
from .spec_examples import (
    ACCOUNT,
    EXCHANGE_INFO,
    ORDER_ACK,
    ORDER_CANCELED,
    ORDER_FULL,
    ORDER_QUERY,
)
from .trading_examples import (
    ALL_ORDERS,
    CANCEL_OPEN_ORDERS,
    CANCEL_REPLACE_400,
    CANCEL_REPLACE_409_CANCEL_FAILED,
    CANCEL_REPLACE_409_NEW_FAILED,
    CANCEL_REPLACE_OK,
    MY_TRADES,
    OCO_NEW,
    ORDER_LIST_QUERY,
    ORDER_RATE_LIMIT,
    PREVENTED_MATCHES,
)

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2024, 3, 1, 13, 30, 15, 250_000, tzinfo=UTC)


def test_it_sends_every_new_order_parameter_as_plain_strings(fake, client):
    fake.reply("POST", "/api/v3/order", ORDER_ACK)
    order = client.new_order(
        symbol="BTCUSDT",
        side="sell",
        type="stop_loss_limit",
        quantity=D("1E-3"),
        price=D("2.5E+4"),
        time_in_force="gtc",
        stop_price=D("24900.00"),
        trailing_delta=150,
        iceberg_qty=D("0.0005"),
        self_trade_prevention_mode="expire_both",
        new_client_order_id="desk-1",
        new_order_resp_type="ACK",
        strategy_id=7,
        strategy_type=1000000,
    )
    (rec,) = fake.calls("POST", "/api/v3/order")
    assert_signed(rec)
    assert sent_params(rec) == {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "STOP_LOSS_LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "25000",
        "stopPrice": "24900.00",
        "trailingDelta": "150",
        "icebergQty": "0.0005",
        "selfTradePreventionMode": "EXPIRE_BOTH",
        "strategyId": "7",
        "strategyType": "1000000",
        "newClientOrderId": "desk-1",
        "newOrderRespType": "ACK",
    }
    assert rec.query == ""  # POST parameters travel in the body
    assert (order.order_id, order.client_order_id, order.status) == (
        28,
        "6gCrw2kRUAF9CvJDGP16IP",
        None,
    )


def test_it_parses_the_new_order_fields_of_a_queried_order(fake, client):
    fake.reply("GET", "/api/v3/order", ORDER_QUERY)
    order = client.get_order(symbol="LTCBTC", order_id=1)
    assert order.stop_price == D("0.0") and order.iceberg_qty == D("0.0")
    assert order.working_time == datetime(2017, 10, 11, 12, 32, 56, 595_000, tzinfo=UTC)
    assert order.self_trade_prevention_mode == "NONE"
    assert order.is_working is True and order.orig_quote_order_qty == D("0")
    assert order.order_list_id == -1 and not order.in_order_list
    assert order.raw == ORDER_QUERY
    assert_typed(order)


def test_it_tests_an_order_without_placing_it(fake, client):
    fake.reply("POST", "/api/v3/order/test", {})
    fake.reply(
        "POST",
        "/api/v3/order/test",
        {
            "standardCommissionForOrder": {"maker": "0.00000112", "taker": "0.00000114"},
            "taxCommissionForOrder": {"maker": "0.00000112", "taker": "0.00000114"},
            "discount": {
                "enabledForAccount": True,
                "enabledForSymbol": True,
                "discountAsset": "BNB",
                "discount": "0.25000000",
            },
        },
    )
    plain = client.test_new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=D("1"))
    assert plain == bu.OrderTestResult()
    rated = client.test_new_order(
        symbol="BTCUSD", side="BUY", type="MARKET", quantity=D("1"), compute_commission_rates=True
    )
    first, second = fake.calls("POST", "/api/v3/order/test")
    assert sent_params(first) == {
        "symbol": "BTCUSD",
        "side": "BUY",
        "type": "MARKET",
        "quantity": "1",
    }
    assert sent_params(second)["computeCommissionRates"] == "true"
    assert rated.standard_commission == bu.CommissionRate(D("0.00000112"), D("0.00000114"))
    assert rated.discount == D("0.25") and rated.discount_asset == "BNB"
    assert fake.calls("POST", "/api/v3/order") == []


def test_it_cancels_with_restrictions_and_a_cancel_id(fake, client):
    fake.reply("DELETE", "/api/v3/order", ORDER_CANCELED)
    order = client.cancel_order(
        symbol="LTCBTC",
        orig_client_order_id="myOrder1",
        new_client_order_id="cancelMyOrder1",
        cancel_restrictions="only_new",
    )
    (rec,) = fake.calls("DELETE", "/api/v3/order")
    assert sent_params(rec) == {
        "symbol": "LTCBTC",
        "origClientOrderId": "myOrder1",
        "newClientOrderId": "cancelMyOrder1",
        "cancelRestrictions": "ONLY_NEW",
    }
    assert order.status == "CANCELED" and order.orig_client_order_id == "myOrder1"


def test_it_cancels_all_open_orders_of_a_symbol_typing_oco_legs_as_lists(fake, client):
    fake.reply("DELETE", "/api/v3/openOrders", [*CANCEL_OPEN_ORDERS, OCO_NEW])
    got = client.cancel_open_orders(symbol="BTCUSDT")
    (rec,) = fake.calls("DELETE", "/api/v3/openOrders")
    assert sent_params(rec) == {"symbol": "BTCUSDT"}
    assert isinstance(got[0], bu.Order) and got[0].status == "CANCELED"
    assert isinstance(got[1], bu.OrderList) and got[1].order_list_id == 0


def test_it_reads_all_orders_and_trades_with_aware_time_ranges(fake, client):
    fake.reply("GET", "/api/v3/allOrders", ALL_ORDERS)
    fake.reply("GET", "/api/v3/myTrades", MY_TRADES)
    orders = client.all_orders(symbol="BTCUSD", start_time=T0, end_time=T1, limit=500)
    trades = client.my_trades(symbol="BNBBTC", order_id=100234, from_id=28457, limit=10)
    o_rec, t_rec = fake.requests[-2:]
    assert sent_params(o_rec) == {
        "symbol": "BTCUSD",
        "startTime": "1709294400000",
        "endTime": "1709299815250",
        "limit": "500",
    }
    assert sent_params(t_rec) == {
        "symbol": "BNBBTC",
        "orderId": "100234",
        "fromId": "28457",
        "limit": "10",
    }
    assert orders[0].cummulative_quote_qty == D("7155.37") and orders[0].type == "MARKET"
    (trade,) = trades
    assert trade == bu.AccountTrade(
        symbol="BNBBTC",
        id=28457,
        order_id=100234,
        order_list_id=-1,
        price=D("4.00000100"),
        qty=D("12"),
        quote_qty=D("48.000012"),
        commission=D("10.1"),
        commission_asset="BNB",
        time=datetime(2017, 7, 12, 13, 19, 9, 590_000, tzinfo=UTC),
        is_buyer=True,
        is_maker=False,
        is_best_match=True,
        raw={},
    )
    assert_typed(orders + trades)
    with pytest.raises(ValueError, match="naive"):
        client.all_orders(symbol="BTCUSD", start_time=datetime(2024, 1, 1))


def test_it_reads_prevented_matches_at_the_weight_of_the_query(fake):
    budget = bu.InMemoryWeightBudget()
    client = make_client(fake, weight_budget=budget)
    fake.reply("GET", "/api/v3/myPreventedMatches", PREVENTED_MATCHES)
    fake.reply("GET", "/api/v3/myPreventedMatches", PREVENTED_MATCHES)
    (match,) = client.my_prevented_matches(symbol="BTCUSDT", prevented_match_id=1)
    after_one = budget.spent
    client.my_prevented_matches(symbol="BTCUSDT", order_id=5, from_prevented_match_id=1)
    assert after_one == 1 + 1 and budget.spent == after_one + 10  # time sync + 1, then 10
    assert match.maker_prevented_quantity == D("1.3") and match.price == D("1.1")
    assert match.self_trade_prevention_mode == "EXPIRE_MAKER"
    assert match.transact_time == datetime(2022, 11, 22, 7, 21, 27, 94_000, tzinfo=UTC)
    with pytest.raises(ValueError, match="prevented_match_id or order_id"):
        client.my_prevented_matches(symbol="BTCUSDT")


def test_it_reads_the_order_rate_limit_usage(fake, client):
    fake.reply("GET", "/api/v3/rateLimit/order", ORDER_RATE_LIMIT)
    ten_s, day = client.order_rate_limit()
    assert (ten_s.window, ten_s.limit, ten_s.count, ten_s.remaining) == ("10S", 100, 0, 100)
    assert (day.window, day.limit) == ("1D", 200000)


def test_it_tracks_the_order_count_headers(fake, client):
    fake.reply(
        "POST",
        "/api/v3/order",
        ORDER_FULL,
        headers={"X-MBX-ORDER-COUNT-10S": "3", "X-MBX-ORDER-COUNT-1D": "41"},
    )
    client.new_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity=D("10"))
    assert client.order_counts == {"10S": 3, "1D": 41}


def test_it_parses_the_account_commission_rates(fake, client):
    fake.reply("GET", "/api/v3/account", ACCOUNT)
    rates = client.account().commission_rates
    assert rates is not None and (rates.maker, rates.taker) == (D("0.0015"), D("0.0015"))


# -- cancel-replace -----------------------------------------------------------------------------


def replace_order(client: bu.Client, **kw) -> bu.CancelReplaceResult:
    args = dict(
        symbol="BTCUSDT",
        cancel_replace_mode="STOP_ON_FAILURE",
        side="BUY",
        type="LIMIT",
        cancel_order_id=9,
        time_in_force="GTC",
        quantity=D("0.04"),
        price=D("0.02"),
    )
    args.update(kw)
    return client.cancel_replace(**args)


def test_it_cancels_and_replaces_in_one_call(fake, client):
    fake.reply("POST", "/api/v3/order/cancelReplace", CANCEL_REPLACE_OK)
    result = replace_order(client, new_client_order_id="wOceeeOzNORyLiQfw7jd8S")
    (rec,) = fake.calls("POST", "/api/v3/order/cancelReplace")
    assert sent_params(rec) == {
        "symbol": "BTCUSDT",
        "cancelReplaceMode": "STOP_ON_FAILURE",
        "cancelOrderId": "9",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.04",
        "price": "0.02",
        "newClientOrderId": "wOceeeOzNORyLiQfw7jd8S",
    }
    assert result.canceled and result.placed
    assert result.cancel_response is not None and result.cancel_response.status == "CANCELED"
    assert result.new_order_response is not None and result.new_order_response.order_id == 10
    assert result.cancel_error is None and result.new_order_error is None


@pytest.mark.parametrize(
    ("body", "canceled", "placed", "error"),
    [
        (CANCEL_REPLACE_409_NEW_FAILED, True, False, ("new", -2010)),
        (CANCEL_REPLACE_409_CANCEL_FAILED, False, True, ("cancel", -2011)),
    ],
)
def test_it_raises_cancel_replace_failed_on_409_saying_which_half_happened(
    body, canceled, placed, error, fake, client
):
    fake.reply("POST", "/api/v3/order/cancelReplace", body, status=409)
    with pytest.raises(bu.CancelReplaceFailed) as info:
        replace_order(client, cancel_replace_mode="ALLOW_FAILURE")
    err = info.value
    assert not isinstance(err, bu.ClientError)  # one half DID execute
    assert (err.status, err.code, err.msg) == (409, -2021, "Order cancel-replace partially failed.")
    assert (err.result.canceled, err.result.placed) == (canceled, placed)
    half, code = error
    detail = err.result.new_order_error if half == "new" else err.result.cancel_error
    assert detail is not None and detail.code == code
    assert len(fake.calls("POST", "/api/v3/order/cancelReplace")) == 1


def test_it_raises_cancel_replace_rejected_when_nothing_happened(fake, client):
    fake.reply("POST", "/api/v3/order/cancelReplace", CANCEL_REPLACE_400, status=400)
    with pytest.raises(bu.CancelReplaceRejected) as info:
        replace_order(client)
    err = info.value
    assert isinstance(err, bu.ClientError) and isinstance(err, bu.CancelReplaceFailed)
    assert err.result.new_order_result == "NOT_ATTEMPTED" and err.result.new_order_response is None
    assert err.result.cancel_error == bu.ErrorDetail(-2011, "Unknown order sent.")


def test_it_raises_execution_unknown_with_the_new_client_order_id_on_cancel_replace(fake, client):
    fake.fail("POST", "/api/v3/order/cancelReplace", requests.ReadTimeout("read timed out"))
    with pytest.raises(bu.ExecutionUnknown) as info:
        replace_order(client)
    (rec,) = fake.calls("POST", "/api/v3/order/cancelReplace")
    assert info.value.client_order_id == rec.params["newClientOrderId"]
    assert info.value.params["cancelOrderId"] == 9


def test_it_needs_the_order_to_cancel(client):
    with pytest.raises(ValueError, match="cancel_order_id or cancel_orig_client_order_id"):
        replace_order(client, cancel_order_id=None)


# -- OCO order lists ------------------------------------------------------------------------------


def test_it_places_an_oco_with_a_list_client_id(fake, client):
    fake.reply("POST", "/api/v3/order/oco", OCO_NEW)
    got = client.new_oco(
        symbol="LTCBTC",
        side="BUY",
        quantity=D("0.624363"),
        price=D("0.036435"),
        stop_price=D("0.960664"),
        stop_limit_price=D("0.960664"),
        stop_limit_time_in_force="gtc",
        limit_client_order_id="leg-limit",
    )
    (rec,) = fake.calls("POST", "/api/v3/order/oco")
    params = sent_params(rec)
    assert 1 <= len(params.pop("listClientOrderId")) <= 36
    assert params == {
        "symbol": "LTCBTC",
        "side": "BUY",
        "quantity": "0.624363",
        "limitClientOrderId": "leg-limit",
        "price": "0.036435",
        "stopPrice": "0.960664",
        "stopLimitPrice": "0.960664",
        "stopLimitTimeInForce": "GTC",
    }
    assert got.list_client_order_id == "JYVpp3F0f5CAG15DhtrqLp" and got.is_open
    assert [o.order_id for o in got.orders] == [2, 3]
    stop, limit = got.order_reports
    assert stop.type == "STOP_LOSS" and stop.working_time is None and stop.in_order_list
    assert limit.type == "LIMIT_MAKER" and limit.price == D("0.036435")
    assert got.transaction_time == datetime(2019, 7, 18, 2, 38, 0, 525_000, tzinfo=UTC)
    assert_typed(got)


def test_it_raises_execution_unknown_with_the_list_client_id_on_oco(fake, client):
    fake.reply("POST", "/api/v3/order/oco", {"code": -1007, "msg": "Timeout"}, status=408)
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.new_oco(
            symbol="LTCBTC",
            side="SELL",
            quantity=D("1"),
            price=D("2"),
            stop_price=D("1"),
            list_client_order_id="my-list",
        )
    assert info.value.client_order_id == "my-list"


def test_it_reads_and_cancels_order_lists(fake, client):
    fake.reply("GET", "/api/v3/orderList", ORDER_LIST_QUERY)
    fake.reply("GET", "/api/v3/allOrderList", [ORDER_LIST_QUERY, OCO_NEW])
    fake.reply("GET", "/api/v3/openOrderList", [ORDER_LIST_QUERY])
    canceled = copy.deepcopy(OCO_NEW) | {
        "listStatusType": "ALL_DONE",
        "listOrderStatus": "ALL_DONE",
    }
    fake.reply("DELETE", "/api/v3/orderList", canceled)
    one = client.get_order_list(orig_client_order_id="h2USkA5YQpaXHPIrkd96xE")
    every = client.all_order_lists(start_time=T0, limit=2)
    open_ = client.open_order_lists()
    done = client.cancel_order_list(symbol="LTCBTC", order_list_id=0)
    q, a, _, d = fake.requests[-4:]
    assert sent_params(q) == {"origClientOrderId": "h2USkA5YQpaXHPIrkd96xE"}
    assert sent_params(a) == {"startTime": "1709294400000", "limit": "2"}
    assert sent_params(d) == {"symbol": "LTCBTC", "orderListId": "0"}
    assert one.order_list_id == 27 and one.order_reports == []
    assert [x.order_list_id for x in every] == [27, 0] and len(open_) == 1
    assert not done.is_open and done.list_status_type == "ALL_DONE"
    with pytest.raises(ValueError):
        client.all_order_lists(from_id=1, start_time=T0)
    with pytest.raises(ValueError):
        client.cancel_order_list(symbol="LTCBTC")


def test_it_raises_execution_unknown_for_cancel_open_orders_on_a_5xx(fake, client):
    fake.reply("DELETE", "/api/v3/openOrders", {"code": -1000, "msg": "boom"}, status=500)
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.cancel_open_orders(symbol="BTCUSD")
    assert info.value.params == {"symbol": "BTCUSD"}
    assert len(fake.calls("DELETE", "/api/v3/openOrders")) == 1


# -- local validation ------------------------------------------------------------------------------


def test_it_rejects_an_order_locally_once_the_rules_are_cached(fake, client):
    fake.reply("GET", "/api/v3/exchangeInfo", EXCHANGE_INFO)
    rules = client.symbol_rules("ETHBTC")
    assert rules.tick_size == D("0.000001")
    with pytest.raises(bu.OrderRejectedLocally) as info:
        client.new_order(
            symbol="ETHBTC",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=D("0.0015"),
            price=D("0.0500005"),
        )
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, bu.BinanceUSError)
    assert [(p.field, p.filter_type) for p in err.problems] == [
        ("price", "PRICE_FILTER"),
        ("quantity", "LOT_SIZE"),
    ]
    assert "price 0.0500005 is not a multiple of the tick size 0.000001" in str(err)
    assert fake.calls("POST", "/api/v3/order") == []  # nothing sent
    fake.reply("POST", "/api/v3/order", ORDER_ACK)
    client.new_order(
        symbol="ETHBTC",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=D("0.0015"),
        price=D("0.0500005"),
        validate=False,
    )
    assert len(fake.calls("POST", "/api/v3/order")) == 1


def test_it_checks_cancel_replace_and_oco_against_cached_rules(fake, client):
    fake.reply("GET", "/api/v3/exchangeInfo", EXCHANGE_INFO)
    client.exchange_info()
    with pytest.raises(bu.OrderRejectedLocally):
        replace_order(client, symbol="ETHBTC", quantity=D("0.0001"), price=D("0.05"))
    with pytest.raises(bu.OrderRejectedLocally) as info:
        client.new_oco(
            symbol="ETHBTC",
            side="SELL",
            quantity=D("1"),
            price=D("0.04"),
            stop_price=D("0.05"),
            stop_limit_price=D("0.049"),
            stop_limit_time_in_force="GTC",
        )
    assert [p.filter_type for p in info.value.problems] == ["OCO_PRICES"]
    assert fake.calls("POST", "/api/v3/order/cancelReplace") == []
    assert fake.calls("POST", "/api/v3/order/oco") == []


def test_it_does_not_validate_without_cached_rules_and_refetches_after_the_ttl(fake):
    client = make_client(fake, exchange_info_ttl=0)
    fake.reply("POST", "/api/v3/order", ORDER_ACK)
    client.new_order(symbol="ETHBTC", side="BUY", type="LIMIT", quantity=D("0.0015"), price=D("1"))
    fake.reply("GET", "/api/v3/exchangeInfo", EXCHANGE_INFO)
    fake.reply("GET", "/api/v3/exchangeInfo", EXCHANGE_INFO)
    client.symbol_rules("ETHBTC")
    assert client.cached_symbol_rules("ETHBTC") is None  # ttl 0: already stale
    client.symbol_rules("ETHBTC")
    assert len(fake.calls("GET", "/api/v3/exchangeInfo")) == 2
    assert fake.calls("GET", "/api/v3/exchangeInfo")[0].params == {"symbol": "ETHBTC"}


# -- clock ---------------------------------------------------------------------------------------


def test_it_resyncs_the_clock_after_the_resync_interval():
    local = [1_700_000_000_000]
    fake = FakeExchange(server_time=lambda: local[0] + 250)
    client = make_client(fake, local_ms=lambda: local[0], time_resync_interval=60)
    for _ in range(3):
        fake.reply("GET", "/api/v3/account", ACCOUNT)
    client.account()
    local[0] += 59_000
    client.account()
    assert len(fake.calls("GET", "/api/v3/time")) == 1
    local[0] += 2_000
    client.account()
    assert len(fake.calls("GET", "/api/v3/time")) == 2
    assert client.time_offset_ms == 250


def test_it_reads_a_prevented_match_that_expired_the_taker(fake, client):
    # The spec: makerPreventedQuantity only for EXPIRE_MAKER / EXPIRE_BOTH, and
    # takerPreventedQuantity only for EXPIRE_TAKER / EXPIRE_BOTH.
    row = {**PREVENTED_MATCHES[0], "selfTradePreventionMode": "EXPIRE_TAKER"}
    del row["makerPreventedQuantity"]
    fake.reply("GET", "/api/v3/myPreventedMatches", [{**row, "takerPreventedQuantity": "0.5"}])
    (match,) = client.my_prevented_matches(symbol="BTCUSDT", prevented_match_id=1)
    assert match.maker_prevented_quantity is None
    assert match.taker_prevented_quantity == D("0.5")
