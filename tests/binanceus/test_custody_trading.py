"""Custodial trading methods against the fake, with the spec's example answers (L8141-9093),
and against the real sandbox over loopback."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
import requests

import binanceus as bu
from tests.support import exchange_client

from .helpers import assert_signed, assert_typed, sent_params
from .spec_examples import EXCHANGE_INFO
from .test_sandbox_accounts_integration import RAIL, admin, new_key

UNKNOWN_500 = {"code": -1000, "msg": "An unknown error occurred while processing the request."}

# -- the spec's examples (copied; the spec is never read at run time) ------------------------

ORDER_NEW = {  # L8141-8156
    "symbol": "ETHTUSD",
    "orderId": 70,
    "orderListId": -1,
    "clientOrderId": "7c713b92cce34358b23fcf1fcd9953bc",
    "price": "18",
    "origQty": "1",
    "executedQty": "0",
    "cummulativeQuoteQty": "0",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "expressTradeFlag": False,
}

OCO_NEW = {  # L8279-8333
    "orderListId": 0,
    "contingencyType": "OCO",
    "listStatusType": "EXEC_STARTED",
    "listOrderStatus": "EXECUTING",
    "listClientOrderId": "JYVpp3F0f5CAG15DhtrqLp",
    "transactionTime": 1563417480525,
    "symbol": "LTCBTC",
    "expressTradeFlag": False,
    "orders": [
        {"symbol": "LTCBTC", "orderId": 2, "clientOrderId": "Kk7sqHb9J6mJWTMDVW7Vos"},
        {"symbol": "LTCBTC", "orderId": 3, "clientOrderId": "xTXKaGYd4bluPVp78IVRvl"},
    ],
    "orderReports": [
        {
            "symbol": "LTCBTC",
            "orderId": 2,
            "orderListId": 0,
            "clientOrderId": "Kk7sqHb9J6mJWTMDVW7Vos",
            "transactTime": 1563417480525,
            "price": "0.000000",
            "origQty": "0.624363",
            "executedQty": "0.000000",
            "cummulativeQuoteQty": "0.000000",
            "status": "NEW",
            "timeInForce": "GTC",
            "type": "STOP_LOSS",
            "side": "BUY",
            "stopPrice": "0.960664",
        },
        {
            "symbol": "LTCBTC",
            "orderId": 3,
            "orderListId": 0,
            "clientOrderId": "xTXKaGYd4bluPVp78IVRvl",
            "transactTime": 1563417480525,
            "price": "0.036435",
            "origQty": "0.624363",
            "executedQty": "0.000000",
            "cummulativeQuoteQty": "0.000000",
            "status": "NEW",
            "timeInForce": "GTC",
            "type": "LIMIT_MAKER",
            "side": "BUY",
        },
    ],
}

# The spec's "//Unless OCO ..." comments (L8430, L8535, L8856) are dropped: they are not JSON.
OPEN_ORDER = {  # L8426-8448; GET .../order answers the same row (L8532-8552)
    "symbol": "LTCBTC",
    "orderId": 1,
    "orderListId": -1,
    "clientOrderId": "myOrder1",
    "price": "0.1",
    "origQty": "1.0",
    "executedQty": "0.0",
    "cummulativeQuoteQty": "0.0",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "stopPrice": "0.0",
    "icebergQty": "0.0",
    "time": 1499827319559,
    "updateTime": 1499827319559,
    "isWorking": True,
    "origQuoteOrderQty": "0.000000",
    "expressTradeFlag": True,
}

ORDER_HISTORY = [  # L8634-8656
    {
        "symbol": "1565776717369",
        "orderId": 11,
        "orderListId": -1,
        "clientOrderId": "mhUTILjXKS0BHTaBG0is1p",
        "price": "0.0000",
        "origQty": "5.000000",
        "executedQty": "5.000000",
        "cummulativeQuoteQty": "9.5000",
        "status": "FILLED",
        "timeInForce": "GTC",
        "type": "TAKE_PROFIT",
        "side": "BUY",
        "stopPrice": "2.0000",
        "icebergQty": "0.000000",
        "time": 1565776718390,
        "updateTime": 1565776718779,
        "isWorking": True,
        "origQuoteOrderQty": "0.000000",
        "expressTradeFlag": False,
    }
]

TRADE_HISTORY = [  # L8738-8767
    {
        "symbol": "BTCUSD",
        "price": "10000",
        "qty": "1",
        "quoteQty": "10000",
        "time": 1662027374093,
        "isBuyer": True,
        "isMaker": False,
        "isBestMatch": True,
        "orderId": 115,
        "orderListId": -1,
        "commission": "0",
        "commissionAsset": "BTC",
    },
    {
        "symbol": "BTCUSD",
        "price": "5000",
        "qty": "0.0001",
        "quoteQty": "0.5",
        "time": 1662029127602,
        "isBuyer": False,
        "isMaker": False,
        "isBestMatch": True,
        "orderId": 111,
        "orderListId": -1,
        "commission": "0",
        "commissionAsset": "USD",
    },
]

CANCEL_ORDER = {  # L8852-8866
    "symbol": "LTCBTC",
    "origClientOrderId": "myOrder1",
    "orderId": 4,
    "orderListId": -1,
    "clientOrderId": "cancelMyOrder1",
    "price": "2.00000000",
    "origQty": "1.00000000",
    "executedQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "CANCELED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
}

CANCEL_BY_SYMBOL_ROW = {  # L8946-8962
    "symbol": "BTCUSDT",
    "origClientOrderId": "KZJijIsAFf5BU5oxkWTAU3",
    "orderId": 0,
    "orderListId": -1,
    "clientOrderId": "8epSIUMvNCknntXcSzWs7H",
    "price": "0.10000000",
    "origQty": "1.00000000",
    "executedQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "CANCELED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
}

CANCEL_OCO = {  # L9040-9093
    "orderListId": 0,
    "contingencyType": "OCO",
    "listStatusType": "ALL_DONE",
    "listOrderStatus": "ALL_DONE",
    "listClientOrderId": "C3wyj4WVEktd7u9aVBRXcN",
    "transactionTime": 1574040868128,
    "symbol": "LTCBTC",
    "orders": [
        {"symbol": "LTCBTC", "orderId": 2, "clientOrderId": "pO9ufTiFGg3nw2fOdgeOXa"},
        {"symbol": "LTCBTC", "orderId": 3, "clientOrderId": "TXOvglzXuaubXAaENpaRCB"},
    ],
    "orderReports": [
        {
            "symbol": "LTCBTC",
            "origClientOrderId": "pO9ufTiFGg3nw2fOdgeOXa",
            "orderId": 2,
            "orderListId": 0,
            "clientOrderId": "unfWT8ig8i0uj6lPuYLez6",
            "price": "1.00000000",
            "origQty": "10.00000000",
            "executedQty": "0.00000000",
            "cummulativeQuoteQty": "0.00000000",
            "status": "CANCELED",
            "timeInForce": "GTC",
            "type": "STOP_LOSS_LIMIT",
            "side": "SELL",
            "stopPrice": "1.00000000",
        },
        {
            "symbol": "LTCBTC",
            "origClientOrderId": "TXOvglzXuaubXAaENpaRCB",
            "orderId": 3,
            "orderListId": 0,
            "clientOrderId": "unfWT8ig8i0uj6lPuYLez6",
            "price": "3.00000000",
            "origQty": "10.00000000",
            "executedQty": "0.00000000",
            "cummulativeQuoteQty": "0.00000000",
            "status": "CANCELED",
            "timeInForce": "GTC",
            "type": "LIMIT_MAKER",
            "side": "SELL",
        },
    ],
}


def place_limit(client: bu.Client, **extra) -> bu.CustodianOrder:
    return client.custodian_order_new(
        rail=RAIL,
        symbol="ETHTUSD",
        side="buy",
        type="limit",
        time_in_force="gtc",
        quantity=D("1"),
        price=D("18"),
        **extra,
    )


# -- placing ---------------------------------------------------------------------------------


def test_it_places_a_custodial_limit_order_with_express_trade(fake, client):
    fake.reply("POST", "/sapi/v1/custodian/order", ORDER_NEW)
    order = place_limit(client, asset="USD", allow_express_trade=True)
    (rec,) = fake.calls("POST", "/sapi/v1/custodian/order")
    assert_signed(rec)
    # The spec's parameter table (L8167-8180): no client order id exists to send.
    assert sent_params(rec) == {
        "rail": RAIL,
        "symbol": "ETHTUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "1",
        "price": "18",
        "asset": "USD",
        "allowExpressTrade": "true",
    }
    assert isinstance(order, bu.CustodianOrder) and isinstance(order, bu.Order)
    assert (order.order_id, order.status, order.is_open) == (70, "NEW", True)
    assert order.price == D(18) and order.orig_qty == D(1)
    assert order.express_trade_flag is False and order.order_list_id == -1
    assert_typed(order)


def test_it_raises_execution_unknown_carrying_the_sent_order_on_a_500(fake, client):
    fake.reply("POST", "/sapi/v1/custodian/order", UNKNOWN_500, status=500)
    with pytest.raises(bu.ExecutionUnknown) as info:
        place_limit(client)
    err = info.value
    assert err.endpoint == "POST /sapi/v1/custodian/order" and err.status == 500
    assert err.client_order_id is None
    assert err.params == {
        "rail": RAIL,
        "symbol": "ETHTUSD",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": D(1),
        "price": D(18),
    }
    assert len(fake.calls("POST", "/sapi/v1/custodian/order")) == 1  # never re-sent


def test_it_raises_execution_unknown_when_the_order_times_out(fake, client):
    fake.fail("POST", "/sapi/v1/custodian/order", requests.ReadTimeout("timed out"))
    with pytest.raises(bu.ExecutionUnknown) as info:
        place_limit(client)
    assert info.value.status is None and info.value.params["price"] == D(18)


def test_it_does_not_resend_a_custodial_order_after_a_503(fake, client):
    unavailable = {"code": -1000, "msg": "Service Unavailable."}  # documented: not executed
    fake.reply("POST", "/sapi/v1/custodian/order", unavailable, status=503)
    with pytest.raises(bu.ServiceUnavailable) as info:
        place_limit(client)
    assert not isinstance(info.value, bu.ExecutionUnknown)
    assert len(fake.calls("POST", "/sapi/v1/custodian/order")) == 1


def test_it_refuses_bad_keywords_before_sending(fake, client):
    with pytest.raises(TypeError, match="unexpected keyword argument 'quantiy'"):
        client.custodian_order_new(rail=RAIL, symbol="BTCUSD", side="BUY", type="MARKET", quantiy=1)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument: 'type'"):
        client.custodian_order_new(rail=RAIL, symbol="BTCUSD", side="BUY", quantity=D(1))
    with pytest.raises(TypeError, match="floats are not accepted"):
        client.custodian_order_new(
            rail=RAIL, symbol="BTCUSD", side="BUY", type="MARKET", quantity=0.1
        )
    assert fake.calls("POST", "/sapi/v1/custodian/order") == []


def test_it_rejects_a_custodial_order_locally_once_the_rules_are_cached(fake, client):
    fake.reply("GET", "/api/v3/exchangeInfo", EXCHANGE_INFO)
    client.symbol_rules("ETHBTC")
    with pytest.raises(bu.OrderRejectedLocally) as info:
        client.custodian_order_new(
            rail=RAIL,
            symbol="ETHBTC",
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=D("0.0015"),
            price=D("0.0500005"),
        )
    assert {p.filter_type for p in info.value.problems} == {"PRICE_FILTER", "LOT_SIZE"}
    assert fake.calls("POST", "/sapi/v1/custodian/order") == []


def test_it_places_a_custodial_oco_with_a_generated_limit_leg_id(fake, client):
    fake.reply("POST", "/sapi/v1/custodian/ocoOrder", OCO_NEW)
    oco = client.custodian_oco_order_new(
        rail=RAIL,
        symbol="LTCBTC",
        side="buy",
        quantity=D("0.624363"),
        price=D("0.036435"),
        stop_price=D("0.960664"),
        stop_limit_price=D("0.97"),
        stop_limit_time_in_force="gtc",
    )
    (rec,) = fake.calls("POST", "/sapi/v1/custodian/ocoOrder")
    assert_signed(rec)
    params = sent_params(rec)
    limit_id = params.pop("limitClientOrderId")
    assert len(limit_id) == 32
    assert params == {
        "rail": RAIL,
        "symbol": "LTCBTC",
        "side": "BUY",
        "quantity": "0.624363",
        "price": "0.036435",
        "stopPrice": "0.960664",
        "stopLimitPrice": "0.97",
        "stopLimitTimeInForce": "GTC",
    }
    assert isinstance(oco, bu.CustodianOrderList) and oco.is_open
    assert oco.express_trade_flag is False and oco.list_status_type == "EXEC_STARTED"
    assert [o.order_id for o in oco.orders] == [2, 3]
    stop, limit = oco.order_reports
    assert (stop.type, stop.stop_price) == ("STOP_LOSS", D("0.960664"))
    assert (limit.type, limit.price) == ("LIMIT_MAKER", D("0.036435"))
    assert oco.transaction_time == datetime(2019, 7, 18, 2, 38, 0, 525000, tzinfo=UTC)
    assert_typed(oco)


def test_it_raises_execution_unknown_naming_the_ocos_limit_leg(fake, client):
    fake.reply("POST", "/sapi/v1/custodian/ocoOrder", UNKNOWN_500, status=500)
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.custodian_oco_order_new(
            rail=RAIL,
            symbol="LTCBTC",
            side="SELL",
            quantity=D(1),
            price=D(3),
            stop_price=D(1),
            limit_client_order_id="leg-1",
            asset="LTC",
            allow_express_trade=False,
        )
    assert info.value.client_order_id == "leg-1"
    assert info.value.params["limitClientOrderId"] == "leg-1"
    assert info.value.params["allowExpressTrade"] is False


def test_it_refuses_a_stop_limit_price_without_its_time_in_force(fake, client):
    with pytest.raises(ValueError, match="go together"):
        client.custodian_oco_order_new(
            rail=RAIL,
            symbol="LTCBTC",
            side="SELL",
            quantity=D(1),
            price=D(3),
            stop_price=D(1),
            stop_limit_price=D("0.9"),
        )
    assert fake.requests == []


# -- queries ---------------------------------------------------------------------------------


def test_it_lists_open_custodial_orders(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/openOrders", [OPEN_ORDER])
    fake.reply("GET", "/sapi/v1/custodian/openOrders", [])
    (order,) = client.custodian_open_orders(rail=RAIL)
    assert client.custodian_open_orders(rail=RAIL, symbol="LTCBTC") == []
    every, one = fake.calls("GET", "/sapi/v1/custodian/openOrders")
    assert_signed(every)
    assert sent_params(every) == {"rail": RAIL}
    assert sent_params(one) == {"rail": RAIL, "symbol": "LTCBTC"}
    assert order.express_trade_flag is True and order.is_working is True
    assert order.price == D("0.1") and order.orig_quote_order_qty == D(0)
    assert order.time == datetime(2017, 7, 12, 2, 41, 59, 559000, tzinfo=UTC)
    assert_typed(order)


def test_it_fetches_one_custodial_order(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/order", OPEN_ORDER)
    order = client.custodian_order(rail=RAIL, symbol="LTCBTC", order_id=1)
    (rec,) = fake.calls("GET", "/sapi/v1/custodian/order")
    assert_signed(rec)
    assert sent_params(rec) == {"rail": RAIL, "symbol": "LTCBTC", "orderId": "1"}
    assert order == bu.CustodianOrder.from_api(OPEN_ORDER) and order.client_order_id == "myOrder1"


def test_it_reads_the_order_history_with_the_spec_s_numeric_symbol(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/orderHistory", ORDER_HISTORY)
    since = datetime(2019, 8, 14, tzinfo=UTC)
    (order,) = client.custodian_order_history(rail=RAIL, start_time=since, from_id=1, limit=200)
    assert sent_params(fake.calls("GET", "/sapi/v1/custodian/orderHistory")[0]) == {
        "rail": RAIL,
        "startTime": "1565740800000",
        "limit": "200",
        "fromId": "1",
    }
    assert order.symbol == "1565776717369"
    assert (order.status, order.type, order.is_open) == ("FILLED", "TAKE_PROFIT", False)
    assert order.cummulative_quote_qty == D("9.5") and order.stop_price == D(2)
    assert order.update_time == datetime(2019, 8, 14, 9, 58, 38, 779000, tzinfo=UTC)
    assert_typed(order)


def test_it_reads_the_trade_history(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/tradeHistory", TRADE_HISTORY)
    buy, sell = client.custodian_trade_history(rail=RAIL, symbol="BTCUSD", order_id=115)
    assert sent_params(fake.calls("GET", "/sapi/v1/custodian/tradeHistory")[0]) == {
        "rail": RAIL,
        "symbol": "BTCUSD",
        "orderId": "115",
    }
    assert (buy.order_id, buy.price, buy.qty, buy.quote_qty) == (115, D(10000), D(1), D(10000))
    assert buy.is_buyer and not buy.is_maker and buy.commission_asset == "BTC"
    assert sell.qty == D("0.0001") and sell.quote_qty == D("0.5") and not sell.is_buyer
    assert buy.id is None and buy.order_list_id == -1  # the rows carry no trade id
    assert sell.time == datetime(2022, 9, 1, 10, 45, 27, 602000, tzinfo=UTC)
    assert_typed([buy, sell])


# -- cancelling ------------------------------------------------------------------------------


def test_it_cancels_a_custodial_order(fake, client):
    fake.reply("DELETE", "/sapi/v1/custodian/cancelOrder", CANCEL_ORDER)
    order = client.custodian_order_cancel(rail=RAIL, symbol="LTCBTC", order_id=4)
    (rec,) = fake.calls("DELETE", "/sapi/v1/custodian/cancelOrder")
    assert_signed(rec)
    assert sent_params(rec) == {"rail": RAIL, "symbol": "LTCBTC", "orderId": "4"}
    assert (order.status, order.orig_client_order_id) == ("CANCELED", "myOrder1")
    assert order.express_trade_flag is None  # the cancel answer does not carry it
    with pytest.raises(ValueError, match="order_id or orig_client_order_id"):
        client.custodian_order_cancel(rail=RAIL, symbol="LTCBTC")
    assert len(fake.calls("DELETE", "/sapi/v1/custodian/cancelOrder")) == 1


def test_it_cancels_every_custodial_order_of_a_symbol_ocos_included(fake, client):
    # The cancel "includes OCO orders" (L8965): such rows are order lists.
    fake.reply(
        "DELETE", "/sapi/v1/custodian/cancelOrdersBySymbol", [CANCEL_BY_SYMBOL_ROW, CANCEL_OCO]
    )
    order, oco = client.custodian_orders_cancel_by_symbol(rail=RAIL, symbol="BTCUSDT")
    rec = fake.calls("DELETE", "/sapi/v1/custodian/cancelOrdersBySymbol")[0]
    assert_signed(rec)
    assert sent_params(rec) == {"rail": RAIL, "symbol": "BTCUSDT"}
    assert isinstance(order, bu.CustodianOrder) and order.status == "CANCELED"
    assert isinstance(oco, bu.CustodianOrderList) and oco.list_order_status == "ALL_DONE"


def test_it_cancels_a_custodial_oco(fake, client):
    fake.reply("DELETE", "/sapi/v1/custodian/cancelOcoOrder", CANCEL_OCO)
    oco = client.custodian_oco_order_cancel(rail=RAIL, symbol="LTCBTC", order_list_id=0)
    (rec,) = fake.calls("DELETE", "/sapi/v1/custodian/cancelOcoOrder")
    assert_signed(rec)
    assert sent_params(rec) == {"rail": RAIL, "symbol": "LTCBTC", "orderListId": "0"}
    assert not oco.is_open and oco.list_client_order_id == "C3wyj4WVEktd7u9aVBRXcN"
    assert [r.status for r in oco.order_reports] == ["CANCELED", "CANCELED"]
    assert oco.order_reports[0].stop_price == D(1)
    assert_typed(oco)


def test_it_raises_execution_unknown_with_params_when_a_cancel_is_lost(fake, client):
    fake.fail("DELETE", "/sapi/v1/custodian/cancelOcoOrder", requests.ReadTimeout("timed out"))
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.custodian_oco_order_cancel(
            rail=RAIL, symbol="LTCBTC", order_list_id=7, new_client_order_id="c-1"
        )
    assert info.value.params == {
        "rail": RAIL,
        "symbol": "LTCBTC",
        "orderListId": 7,
        "newClientOrderId": "c-1",
    }


# -- against the real sandbox ----------------------------------------------------------------

QTY = D("0.01")


@pytest.fixture
def custodian(sandbox_url, sandbox_account):
    """A custodial key of an account whose custodial sub-account holds 2 BTC and 5000 USD, and
    whose partner holds 100000 USD."""
    admin(
        sandbox_url,
        "POST",
        f"accounts/{sandbox_account['email']}/custody",
        {
            "rail": RAIL,
            "balances": {"BTC": "2", "USD": "5000"},
            "partnerBalances": {"USD": "100000"},
        },
    )
    key = new_key(sandbox_url, sandbox_account["email"], "custodial")
    with exchange_client(key["apiKey"], key["secretKey"], base_url=sandbox_url, timeout=5) as c:
        yield c


def custodial(client: bu.Client, asset: str) -> bu.CustodianAssetBalance:
    rows = client.custodian_balance(rail=RAIL).custodial_account_balance
    return next(b for b in rows if b.asset == asset)


def custodial_btc(client: bu.Client) -> bu.CustodianAssetBalance:
    return custodial(client, "BTC")


def test_it_places_lists_fetches_and_cancels_a_custodial_limit_order(custodian):
    ask = custodian.depth("BTCUSD", limit=5).asks[0][0]
    price = custodian.symbol_rules("BTCUSD").round_price(ask * D("1.2"))  # rests above the book
    placed = custodian.custodian_order_new(
        rail=RAIL,
        symbol="BTCUSD",
        side="SELL",
        type="LIMIT",
        time_in_force="GTC",
        quantity=QTY,
        price=price,
    )
    assert (placed.symbol, placed.status, placed.price, placed.orig_qty) == (
        "BTCUSD",
        "NEW",
        price,
        QTY,
    )
    assert placed.express_trade_flag is False
    assert custodial_btc(custodian).locked == QTY  # paid from the custodial sub-account

    (listed,) = custodian.custodian_open_orders(rail=RAIL, symbol="BTCUSD")
    assert listed.order_id == placed.order_id and listed.is_open
    fetched = custodian.custodian_order(rail=RAIL, symbol="BTCUSD", order_id=placed.order_id)
    assert (fetched.order_id, fetched.side, fetched.type) == (placed.order_id, "SELL", "LIMIT")

    canceled = custodian.custodian_order_cancel(
        rail=RAIL, symbol="BTCUSD", order_id=placed.order_id
    )
    assert canceled.status == "CANCELED" and canceled.order_id == placed.order_id
    assert custodian.custodian_open_orders(rail=RAIL) == []
    assert custodial_btc(custodian).locked == 0
    (past,) = custodian.custodian_order_history(rail=RAIL, symbol="BTCUSD")
    assert (past.order_id, past.status) == (placed.order_id, "CANCELED")
    assert custodian.custodian_trade_history(rail=RAIL, symbol="BTCUSD") == []


def test_it_reads_a_custodial_fill_in_the_trade_history(custodian):
    sold = custodian.custodian_order_new(
        rail=RAIL, symbol="BTCUSD", side="SELL", type="MARKET", quantity=QTY
    )
    assert sold.status == "FILLED" and sold.executed_qty == QTY
    assert custodial_btc(custodian).free == D(2) - QTY
    trades = custodian.custodian_trade_history(rail=RAIL, symbol="BTCUSD", order_id=sold.order_id)
    assert sum(t.qty for t in trades) == QTY
    assert all(t.order_id == sold.order_id and not t.is_buyer for t in trades)
    assert sum(t.quote_qty for t in trades) == sold.cummulative_quote_qty
    (past,) = custodian.custodian_order_history(rail=RAIL, symbol="BTCUSD")
    assert (past.order_id, past.status) == (sold.order_id, "FILLED")


def test_it_pulls_a_short_balance_from_the_partner_for_an_express_order(custodian):
    bid = custodian.depth("BTCUSD", limit=5).bids[0][0]
    price = custodian.symbol_rules("BTCUSD").round_price(bid * D("0.8"))  # rests under the book
    qty = D("0.2")  # costs more than the 5000 USD the custodial sub-account holds
    placed = custodian.custodian_order_new(
        rail=RAIL,
        symbol="BTCUSD",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=qty,
        price=price,
        asset="USD",
        allow_express_trade=True,
    )
    assert placed.express_trade_flag is True and placed.is_open
    # The full amount came from the partner (L8179): the custodial 5000 stays free.
    usd = custodial(custodian, "USD")
    assert (usd.free, usd.locked) == (D(5000), price * qty)
    (pulled,) = custodian.custodian_transfer_history(rail=RAIL, express_trade_transfer=True)
    assert (pulled.asset, pulled.amount, pulled.express_trade) == ("USD", price * qty, True)
    custodian.custodian_orders_cancel_by_symbol(rail=RAIL, symbol="BTCUSD")
    assert custodian.custodian_open_orders(rail=RAIL, symbol="BTCUSD") == []
