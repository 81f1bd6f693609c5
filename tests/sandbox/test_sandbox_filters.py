"""Symbol and exchange filters (spec "Filters"): exchangeInfo advertises them, orders breaking
them get -1013 "Filter failure: <NAME>", and the admin API can lower the order-count limits.

The rule-by-rule cases call `filters.check` directly with the default filter table (a pure
function of the order and the table); the HTTP cases run against a private quiet sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from sandbox import errors, filters
from sandbox.symbols import SYMBOLS
from tests.sandbox.sandbox_support import admin, new_account, signed

D = Decimal


def limit_check(**kw: object) -> filters.OrderCheck:
    base: dict = {
        "side": "BUY",
        "type": "LIMIT",
        "price": D("50000"),
        "quantity": D("0.01"),
        "quote_qty": None,
        "avg_price": D("60000"),
        "open_orders": 0,
    }
    return filters.OrderCheck(**{**base, **kw})


def failure(symbol: str, o: filters.OrderCheck) -> str | None:
    try:
        filters.check(SYMBOLS[symbol], o)
    except errors.ApiError as exc:
        assert exc.code == -1013 and exc.status == 400
        return exc.msg
    return None


@pytest.mark.parametrize(
    ("symbol", "kw", "expected"),
    [
        ("BTCUSD", {}, None),
        ("BTCUSD", {"price": D("50000.001")}, "PRICE_FILTER"),
        ("BTCUSD", {"price": D("0.001")}, "PRICE_FILTER"),
        ("BTCUSD", {"price": D("2000000")}, "PRICE_FILTER"),
        ("BTCUSD", {"type": "STOP_LOSS_LIMIT", "stop_price": D("1.005")}, "PRICE_FILTER"),
        ("BTCUSD", {"price": D("300000.01")}, "PERCENT_PRICE_BY_SIDE"),
        ("BTCUSD", {"side": "SELL", "price": D("11999.99")}, "PERCENT_PRICE_BY_SIDE"),
        ("BTCUSD", {"price": D("300000.01"), "avg_price": None}, None),
        ("ETHBTC", {"price": D("0.25001"), "avg_price": D("0.05")}, "PERCENT_PRICE"),
        ("ETHBTC", {"price": D("0.00999"), "avg_price": D("0.05")}, "PERCENT_PRICE"),
        ("BTCUSD", {"quantity": D("0.000015")}, "LOT_SIZE"),
        ("BTCUSD", {"quantity": D("9000.00001")}, "LOT_SIZE"),
        ("BTCUSD", {"iceberg_qty": D("0.000015")}, "LOT_SIZE"),
        ("BTCUSD", {"quantity": D("0.00001")}, "MIN_NOTIONAL"),
        ("BTCUSD", {"type": "MARKET", "price": None, "quote_qty": D("0.99")}, "MIN_NOTIONAL"),
        ("BTCUSD", {"type": "MARKET", "price": None, "quantity": D("150")}, "MARKET_LOT_SIZE"),
        (
            "ETHBTC",
            {"price": D("0.05"), "quantity": D("0.0019"), "avg_price": D("0.05")},
            "NOTIONAL",
        ),
        (
            "ETHBTC",
            {"price": D("0.05"), "quantity": D("2001"), "avg_price": D("0.05")},
            "NOTIONAL",
        ),
        # applyMaxToMarket is false: a big MARKET order passes the notional maximum.
        (
            "ETHBTC",
            {"type": "MARKET", "price": None, "quantity": D("999"), "avg_price": D("0.2")},
            None,
        ),
        ("BTCUSD", {"iceberg_qty": D("0.001")}, None),
        ("BTCUSD", {"iceberg_qty": D("0.00099")}, "ICEBERG_PARTS"),
        ("BTCUSD", {"open_orders": 200}, "MAX_NUM_ORDERS"),
        ("BTCUSD", {"type": "MARKET", "price": None, "open_orders": 200}, None),
        ("BTCUSD", {"type": "TAKE_PROFIT_LIMIT", "open_algo_orders": 5}, "MAX_ALGO_ORDERS"),
        ("BTCUSD", {"open_algo_orders": 5}, None),
        (
            "BTCUSD",
            {"iceberg_qty": D("0.005"), "open_iceberg_orders": 5},
            "MAX_NUM_ICEBERG_ORDERS",
        ),
        (
            "SOLUSD",
            {
                "price": D("100"),
                "avg_price": D("100"),
                "quantity": D("1"),
                "position_base": D("19999"),
            },
            None,
        ),
        (
            "SOLUSD",
            {
                "price": D("100"),
                "avg_price": D("100"),
                "quantity": D("1"),
                "position_base": D("19998"),
                "open_buy_qty": D("1.1"),
            },
            "MAX_POSITION",
        ),
        (
            "SOLUSD",
            {
                "side": "SELL",
                "price": D("100"),
                "avg_price": D("100"),
                "quantity": D("1"),
                "position_base": D("30000"),
            },
            None,
        ),
        ("BTCUSD", {"type": "STOP_LOSS_LIMIT", "trailing_delta": 9}, "TRAILING_DELTA"),
        ("BTCUSD", {"type": "STOP_LOSS_LIMIT", "trailing_delta": 2000}, None),
        (
            "BTCUSD",
            {"type": "TAKE_PROFIT_LIMIT", "side": "SELL", "trailing_delta": 2001},
            "TRAILING_DELTA",
        ),
        ("BTCUSD", {"account_open_orders": 1000}, "EXCHANGE_MAX_NUM_ORDERS"),
        (
            "BTCUSD",
            {"type": "STOP_LOSS_LIMIT", "account_open_algo_orders": 200},
            "EXCHANGE_MAX_ALGO_ORDERS",
        ),
        (
            "BTCUSD",
            {"iceberg_qty": D("0.005"), "account_open_iceberg_orders": 10000},
            "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
        ),
    ],
)
def test_it_checks_each_filter_rule(symbol: str, kw: dict, expected: str | None) -> None:
    msg = failure(symbol, limit_check(**kw))
    assert msg == (None if expected is None else f"Filter failure: {expected}")


def test_it_reports_the_first_failing_filter_in_exchange_order() -> None:
    o = limit_check(price=D("0.001"), quantity=D("0.000015"), open_orders=500)
    assert failure("BTCUSD", o) == "Filter failure: PRICE_FILTER"
    assert failure("BTCUSD", limit_check(quantity=D("0.000015"), open_orders=500)) == (
        "Filter failure: LOT_SIZE"
    )


@pytest.fixture(autouse=True)
def default_filters(request: pytest.FixtureRequest) -> Iterator[None]:
    if "private_url" not in request.fixturenames:
        yield
        return
    base = request.getfixturevalue("private_url")
    admin(base, "DELETE", "/filters")
    yield
    admin(base, "DELETE", "/filters")


def exchange_info(base: str) -> dict:
    return requests.get(f"{base}/api/v3/exchangeInfo", timeout=5).json()


def by_type(symbol_info: dict) -> dict[str, dict]:
    return {f["filterType"]: f for f in symbol_info["filters"]}


def test_it_advertises_every_filter_in_exchange_info(private_url: str) -> None:
    info = exchange_info(private_url)
    symbols = {s["symbol"]: by_type(s) for s in info["symbols"]}
    advertised = {kind for table in symbols.values() for kind in table}
    assert advertised == set(filters.SYMBOL_RULES)
    assert symbols["BTCUSD"]["LOT_SIZE"] == {
        "filterType": "LOT_SIZE",
        "minQty": "0.00001000",
        "maxQty": "9000.00000000",
        "stepSize": "0.00001000",
    }
    assert symbols["ETHBTC"]["NOTIONAL"] == {
        "filterType": "NOTIONAL",
        "minNotional": "0.00010000",
        "applyMinToMarket": True,
        "maxNotional": "100.00000000",
        "applyMaxToMarket": False,
        "avgPriceMins": 5,
    }
    assert symbols["BTCUSD"]["MAX_NUM_ALGO_ORDERS"] == {
        "filterType": "MAX_NUM_ALGO_ORDERS",
        "maxNumAlgoOrders": 5,
    }
    assert info["exchangeFilters"] == [
        {"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000},
        {"filterType": "EXCHANGE_MAX_ALGO_ORDERS", "maxNumAlgoOrders": 200},
        {"filterType": "EXCHANGE_MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 10000},
    ]


def rest_order(base: str, acct: dict, **params: str) -> requests.Response:
    order = {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
    return signed(base, "POST", "/api/v3/order", acct, {**order, **params})


def test_it_enforces_lowered_order_count_limits_and_advertises_them(private_url: str) -> None:
    changed = admin(
        private_url,
        "POST",
        "/filters",
        {
            "BTCUSD": {"MAX_NUM_ORDERS": {"limit": 2}},
            "exchange": {"EXCHANGE_MAX_NUM_ORDERS": {"maxNumOrders": 3}},
        },
    )
    assert changed.status_code == 200
    info = exchange_info(private_url)
    btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSD")
    assert by_type(btc)["MAX_NUM_ORDERS"] == {"filterType": "MAX_NUM_ORDERS", "limit": 2}
    assert info["exchangeFilters"][0] == {
        "filterType": "EXCHANGE_MAX_NUM_ORDERS",
        "maxNumOrders": 3,
    }
    acct = new_account(private_url)
    placed = [rest_order(private_url, acct, quantity="0.001", price="50000") for _ in range(2)]
    assert [r.status_code for r in placed] == [200, 200]
    third = rest_order(private_url, acct, quantity="0.001", price="50000")
    assert (third.status_code, third.json()) == (
        400,
        {"code": -1013, "msg": "Filter failure: MAX_NUM_ORDERS"},
    )
    # A MARKET order never rests, so the symbol limit does not stop it.
    market = signed(
        private_url,
        "POST",
        "/api/v3/order",
        acct,
        {"symbol": "BTCUSD", "side": "BUY", "type": "MARKET", "quantity": "0.0001"},
    )
    assert market.status_code == 200, market.text
    # The third open order on another symbol breaks the exchange-wide limit.
    eth = {"symbol": "ETHUSD", "quantity": "0.01", "price": "2000"}
    assert rest_order(private_url, acct, **eth).status_code == 200
    fourth = rest_order(private_url, acct, **eth)
    assert fourth.json() == {"code": -1013, "msg": "Filter failure: EXCHANGE_MAX_NUM_ORDERS"}
    # Another account counts its own orders.
    assert rest_order(private_url, new_account(private_url), **eth).status_code == 200


def test_it_rejects_buys_past_the_max_position(private_url: str) -> None:
    admin(private_url, "POST", "/filters", {"SOLUSD": {"MAX_POSITION": {"maxPosition": "10"}}})
    acct = new_account(private_url, {"USD": "10000", "SOL": "4"})
    sol = {"symbol": "SOLUSD", "price": "100"}
    assert rest_order(private_url, acct, quantity="5", **sol).status_code == 200
    too_far = rest_order(private_url, acct, quantity="1.001", **sol)
    assert too_far.json() == {"code": -1013, "msg": "Filter failure: MAX_POSITION"}
    assert rest_order(private_url, acct, quantity="1", **sol).status_code == 200
    assert rest_order(private_url, acct, quantity="1", side="SELL", **sol).status_code == 200


def test_it_enforces_notional_and_percent_price_against_trades(private_url: str) -> None:
    acct = new_account(private_url, {"BTC": "10", "ETH": "100"})
    # A market buy trades against the seeded book, giving ETHBTC an average price (~0.05).
    bought = signed(
        private_url,
        "POST",
        "/api/v3/order",
        acct,
        {"symbol": "ETHBTC", "side": "BUY", "type": "MARKET", "quantity": "0.01"},
    )
    assert bought.status_code == 200, bought.text
    eth = {"symbol": "ETHBTC", "side": "SELL"}
    small = rest_order(private_url, acct, quantity="0.001", price="0.05", **eth)
    assert small.json() == {"code": -1013, "msg": "Filter failure: NOTIONAL"}
    cheap = rest_order(private_url, acct, quantity="1", price="0.005", **eth)
    assert cheap.json() == {"code": -1013, "msg": "Filter failure: PERCENT_PRICE"}
    # Without the filter (admin removes it) the same order is accepted.
    admin(private_url, "POST", "/filters", {"ETHBTC": {"PERCENT_PRICE": None}})
    assert "PERCENT_PRICE" not in by_type(
        next(s for s in exchange_info(private_url)["symbols"] if s["symbol"] == "ETHBTC")
    )
    assert rest_order(private_url, acct, quantity="1", price="0.005", **eth).status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        {"NOPE": {}},
        {"BTCUSD": {"NOTIONAL": {"minNotional": "1"}}},
        {"BTCUSD": {"MAX_NUM_ORDERS": {"limit": -1}}},
        {"BTCUSD": {"MAX_NUM_ORDERS": {"limit": "3"}}},
        {"BTCUSD": {"MIN_NOTIONAL": {"applyToMarket": 1}}},
        {"BTCUSD": {"MIN_NOTIONAL": {"minNotional": "x"}}},
        {"BTCUSD": {"MIN_NOTIONAL": {"avgPriceMins": 1}}},
        {"BTCUSD": {"LOT_SIZE": {"madeUp": "1"}}},
        {"BTCUSD": {"MAX_NUM_ORDERS": {"limit": 1}}, "exchange": "off"},
    ],
)
def test_it_refuses_bad_filter_changes_and_changes_nothing(private_url: str, bad: dict) -> None:
    before = admin(private_url, "GET", "/filters").json()
    resp = admin(private_url, "POST", "/filters", bad)
    assert resp.status_code == 400 and resp.json()["error"]
    assert admin(private_url, "GET", "/filters").json() == before


def test_it_limits_algo_and_iceberg_orders_and_checks_their_fields(private_url: str) -> None:
    admin(
        private_url,
        "POST",
        "/filters",
        {
            "BTCUSD": {
                "MAX_NUM_ALGO_ORDERS": {"maxNumAlgoOrders": 1},
                "MAX_NUM_ICEBERG_ORDERS": {"maxNumIcebergOrders": 1},
            }
        },
    )
    acct = new_account(private_url)
    stop = {"type": "STOP_LOSS_LIMIT", "quantity": "0.001", "price": "70000", "stopPrice": "70000"}
    assert rest_order(private_url, acct, **stop).status_code == 200
    second = rest_order(private_url, acct, **stop)
    assert second.json() == {"code": -1013, "msg": "Filter failure: MAX_ALGO_ORDERS"}
    trailing = {"type": "STOP_LOSS_LIMIT", "quantity": "0.001", "price": "70000"}
    too_tight = rest_order(private_url, new_account(private_url), trailingDelta="5", **trailing)
    assert too_tight.json() == {"code": -1013, "msg": "Filter failure: TRAILING_DELTA"}
    iceberg = {"quantity": "0.01", "price": "50000"}
    parts = rest_order(private_url, acct, icebergQty="0.0005", **iceberg)
    assert parts.json() == {"code": -1013, "msg": "Filter failure: ICEBERG_PARTS"}
    assert rest_order(private_url, acct, icebergQty="0.002", **iceberg).status_code == 200
    another = rest_order(private_url, acct, icebergQty="0.002", **iceberg)
    assert another.json() == {"code": -1013, "msg": "Filter failure: MAX_NUM_ICEBERG_ORDERS"}
    # Plain orders are not held back by the algo and iceberg limits.
    assert rest_order(private_url, acct, **iceberg).status_code == 200
