"""Local filter checks: every filter of the spec's Filters section, at its boundaries."""

from __future__ import annotations

import copy
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

import binanceus as bu

from .trading_examples import EXCHANGE_FILTERS, SYMBOL_WITH_ALL_FILTERS


def rules_with(*filter_types: str, exchange: bool = False, **changes) -> bu.SymbolRules:
    """The example symbol keeping only ``filter_types`` (so one filter is tested at a time)."""
    info = copy.deepcopy(SYMBOL_WITH_ALL_FILTERS)
    info["filters"] = [f for f in info["filters"] if f["filterType"] in filter_types]
    info.update(changes)
    return bu.SymbolRules.from_exchange_info(info, EXCHANGE_FILTERS if exchange else ())


def problems(rules: bu.SymbolRules, **order) -> list[tuple[str, str, str]]:
    order.setdefault("side", "BUY")
    order.setdefault("type", "LIMIT")
    return [(p.field, p.filter_type, p.message) for p in bu.check_order(rules, **order)]


def limit(price: str = "0.05", quantity: str = "1", **kw) -> dict:
    return {"price": D(price), "quantity": D(quantity), **kw}


# -- PRICE_FILTER ---------------------------------------------------------------------------


def test_it_checks_price_against_min_max_and_tick():
    r = rules_with("PRICE_FILTER")
    assert problems(r, **limit("0.000001")) == []
    assert problems(r, **limit("100000")) == []
    assert problems(r, **limit("0.0000009")) == [
        ("price", "PRICE_FILTER", "price 0.0000009 is below the minimum price 0.000001"),
        ("price", "PRICE_FILTER", "price 0.0000009 is not a multiple of the tick size 0.000001"),
    ]
    assert problems(r, **limit("100000.000001")) == [
        ("price", "PRICE_FILTER", "price 100000.000001 is above the maximum price 100000")
    ]
    assert problems(r, **limit("0.0500005")) == [
        ("price", "PRICE_FILTER", "price 0.0500005 is not a multiple of the tick size 0.000001")
    ]


def test_it_names_the_tick_size_in_the_message_the_ui_shows():
    info = copy.deepcopy(SYMBOL_WITH_ALL_FILTERS)
    info["filters"] = [
        {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "0", "tickSize": "0.01"}
    ]
    r = bu.SymbolRules.from_exchange_info(info)
    (p,) = bu.check_order(r, side="BUY", type="LIMIT", quantity=D(1), price=D("20000.123"))
    assert str(p) == "price 20000.123 is not a multiple of the tick size 0.01"
    assert (p.field, p.filter_type) == ("price", "PRICE_FILTER")
    assert bu.check_order(r, side="BUY", type="LIMIT", quantity=D(1), price=D("9999999")) == []


def test_it_applies_the_price_filter_to_the_stop_price():
    r = rules_with("PRICE_FILTER")
    got = problems(r, type="STOP_LOSS_LIMIT", **limit(), stop_price=D("0.0400001"))
    assert got == [
        (
            "stop_price",
            "PRICE_FILTER",
            "stop price 0.0400001 is not a multiple of the tick size 0.000001",
        )
    ]


def test_it_disables_each_price_rule_set_to_zero():
    info = copy.deepcopy(SYMBOL_WITH_ALL_FILTERS)
    info["filters"] = [
        {"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": "0"}
    ]
    r = bu.SymbolRules.from_exchange_info(info)
    assert problems(r, **limit("0.0000000001")) == []
    assert problems(r, **limit("123456789.123456789")) == []


# -- PERCENT_PRICE / PERCENT_PRICE_BY_SIDE ----------------------------------------------------


def test_it_keeps_the_price_within_the_percent_band_of_the_average():
    r = rules_with("PERCENT_PRICE")
    avg = D("100")
    assert problems(r, **limit("130"), avg_price=avg) == []
    assert problems(r, **limit("70"), avg_price=avg) == []
    assert problems(r, **limit("130.01"), avg_price=avg) == [
        (
            "price",
            "PERCENT_PRICE",
            "price 130.01 is above 130 (1.3 × the 5-minute average price 100)",
        )
    ]
    assert problems(r, **limit("69.99"), avg_price=avg) == [
        ("price", "PERCENT_PRICE", "price 69.99 is below 70 (0.7 × the 5-minute average price 100)")
    ]
    assert problems(r, **limit("1000")) == []  # no average price known: not checked


def test_it_uses_the_side_multipliers_for_percent_price_by_side():
    r = rules_with("PERCENT_PRICE_BY_SIDE")
    avg = D("100")
    assert problems(r, **limit("120"), avg_price=avg) == []
    assert problems(r, **limit("20"), avg_price=avg) == []
    assert [p[1] for p in problems(r, **limit("120.5"), avg_price=avg)] == ["PERCENT_PRICE_BY_SIDE"]
    assert [p[1] for p in problems(r, **limit("19.5"), avg_price=avg)] == ["PERCENT_PRICE_BY_SIDE"]
    assert problems(r, side="SELL", **limit("500"), avg_price=avg) == []
    assert problems(r, side="SELL", **limit("80"), avg_price=avg) == []
    assert problems(r, side="SELL", **limit("79.9"), avg_price=avg) == [
        (
            "price",
            "PERCENT_PRICE_BY_SIDE",
            "price 79.9 is below 80 (0.8 × the 1-minute average price 100)",
        )
    ]


# -- LOT_SIZE / MARKET_LOT_SIZE ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "expected"),
    [
        ("0.001", []),
        ("100000", []),
        ("0.0009", ["below the minimum quantity 0.001", "not a multiple of the step size 0.001"]),
        ("100000.001", ["above the maximum quantity 100000"]),
        ("1.0005", ["not a multiple of the step size 0.001"]),
    ],
)
def test_it_checks_quantity_against_the_lot_size(qty, expected):
    got = problems(rules_with("LOT_SIZE"), **limit(quantity=qty))
    assert [m for _, _, m in got] == [f"quantity {qty} is {e}" for e in expected]
    assert {f for f, t, _ in got} <= {"quantity"} and {t for _, t, _ in got} <= {"LOT_SIZE"}


def test_it_checks_the_iceberg_quantity_against_the_lot_size():
    got = problems(rules_with("LOT_SIZE"), **limit(quantity="1"), iceberg_qty=D("0.0005"))
    assert ("iceberg_qty", "LOT_SIZE") in {(f, t) for f, t, _ in got}
    assert "iceberg quantity 0.0005 is below the minimum quantity 0.001" in [m for *_, m in got]


def test_it_applies_the_market_lot_size_to_market_orders_only():
    r = rules_with("MARKET_LOT_SIZE")
    assert problems(r, type="MARKET", quantity=D("0.001")) == []
    assert problems(r, type="MARKET", quantity=D("0.0015")) == [
        (
            "quantity",
            "MARKET_LOT_SIZE",
            "quantity 0.0015 is not a multiple of the step size 0.001",
        )
    ]
    assert problems(r, **limit(quantity="0.0015")) == []


# -- NOTIONAL / MIN_NOTIONAL ------------------------------------------------------------------


def test_it_checks_the_notional_of_limit_orders():
    r = rules_with("NOTIONAL")
    assert problems(r, **limit("10", "1")) == []
    assert problems(r, **limit("10000", "1")) == []
    assert problems(r, **limit("9.99", "1")) == [
        (
            "quantity",
            "NOTIONAL",
            "notional 9.99 (price × quantity) is below the minimum notional 10",
        )
    ]
    assert problems(r, **limit("5000", "2.001")) == [
        (
            "quantity",
            "NOTIONAL",
            "notional 10005 (price × quantity) is above the maximum notional 10000",
        )
    ]


def test_it_applies_notional_to_market_orders_only_when_told():
    r = rules_with("NOTIONAL")
    assert problems(r, type="MARKET", quantity=D("0.001"), avg_price=D("1")) == []
    info = copy.deepcopy(SYMBOL_WITH_ALL_FILTERS)
    info["filters"] = [
        {**f, "applyMinToMarket": True} for f in info["filters"] if f["filterType"] == "NOTIONAL"
    ]
    strict = bu.SymbolRules.from_exchange_info(info)
    assert problems(strict, type="MARKET", quantity=D("0.5"), avg_price=D("10")) == [
        (
            "quantity",
            "NOTIONAL",
            "notional 5 (average price × quantity) is below the minimum notional 10",
        )
    ]
    assert problems(strict, type="MARKET", quote_order_qty=D("10")) == []
    assert [p[1] for p in problems(strict, type="MARKET", quote_order_qty=D("9"))] == ["NOTIONAL"]
    assert problems(strict, type="MARKET", quantity=D("0.5")) == []  # no average price known


def test_it_checks_min_notional_including_market_orders():
    r = rules_with("MIN_NOTIONAL")
    assert problems(r, **limit("0.001", "1")) == []
    assert problems(r, **limit("0.000999", "1")) == [
        (
            "quantity",
            "MIN_NOTIONAL",
            "notional 0.000999 (price × quantity) is below the minimum notional 0.001",
        )
    ]
    assert [p[1] for p in problems(r, type="MARKET", quantity=D("1"), avg_price=D("0.0001"))] == [
        "MIN_NOTIONAL"
    ]


# -- ICEBERG_PARTS and the open-order counts ---------------------------------------------------


def test_it_limits_the_iceberg_parts():
    r = rules_with("ICEBERG_PARTS")
    assert problems(r, **limit(quantity="1"), iceberg_qty=D("0.1")) == []
    assert problems(r, **limit(quantity="1"), iceberg_qty=D("0.099")) == [
        (
            "iceberg_qty",
            "ICEBERG_PARTS",
            "the iceberg order would have 11 parts (quantity / iceberg quantity, rounded up);"
            " at most 10 are allowed",
        )
    ]


def test_it_counts_open_orders_algo_orders_and_icebergs():
    r = rules_with("MAX_NUM_ORDERS", "MAX_NUM_ALGO_ORDERS", "MAX_NUM_ICEBERG_ORDERS")
    assert problems(r, **limit(), open_orders=24) == []
    assert problems(r, **limit(), open_orders=25) == [
        (
            "open_orders",
            "MAX_NUM_ORDERS",
            "25 orders are already open on ETHBTC; at most 25 are allowed",
        )
    ]
    stop = limit(stop_price=D("0.04"))
    assert problems(r, type="STOP_LOSS_LIMIT", **stop, open_algo_orders=4) == []
    assert [p[1] for p in problems(r, type="STOP_LOSS_LIMIT", **stop, open_algo_orders=5)] == [
        "MAX_NUM_ALGO_ORDERS"
    ]
    assert problems(r, **limit(), open_algo_orders=5) == []  # a LIMIT is not an algo order
    ice = limit(quantity="1", iceberg_qty=D("0.5"))
    assert problems(r, **ice, open_iceberg_orders=4) == []
    assert [p[1] for p in problems(r, **ice, open_iceberg_orders=5)] == ["MAX_NUM_ICEBERG_ORDERS"]


def test_it_checks_the_exchange_wide_order_counts():
    r = rules_with(exchange=True)
    assert problems(r, **limit(), exchange_open_orders=999) == []
    assert problems(r, **limit(), exchange_open_orders=1000) == [
        (
            "exchange_open_orders",
            "EXCHANGE_MAX_NUM_ORDERS",
            "1000 orders are already open on the exchange; at most 1000 are allowed",
        )
    ]
    stop = limit(stop_price=D("0.04"))
    assert [
        p[1] for p in problems(r, type="TAKE_PROFIT_LIMIT", **stop, exchange_open_algo_orders=200)
    ] == ["EXCHANGE_MAX_ALGO_ORDERS"]
    assert [
        p[1] for p in problems(r, **limit(iceberg_qty=D("0.5")), exchange_open_iceberg_orders=10000)
    ] == ["EXCHANGE_MAX_NUM_ICEBERG_ORDERS"]


def test_it_caps_the_position_of_buy_orders():
    r = rules_with("MAX_POSITION")
    assert problems(r, **limit(quantity="1"), position=D("9")) == []
    assert problems(r, **limit(quantity="1.001"), position=D("9")) == [
        (
            "quantity",
            "MAX_POSITION",
            "the ETH position would be 10.001 (balance and open buy orders 9 + quantity 1.001);"
            " the maximum position is 10",
        )
    ]
    assert problems(r, side="SELL", **limit(quantity="100"), position=D("9")) == []


def test_it_bounds_the_trailing_delta_by_direction():
    info = copy.deepcopy(SYMBOL_WITH_ALL_FILTERS)
    info["filters"] = [
        {
            "filterType": "TRAILING_DELTA",
            "minTrailingAboveDelta": 10,
            "maxTrailingAboveDelta": 2000,
            "minTrailingBelowDelta": 50,
            "maxTrailingBelowDelta": 500,
        }
    ]
    r = bu.SymbolRules.from_exchange_info(info)

    def check(type_: str, side: str, delta: int) -> list[str]:
        return [p[2] for p in problems(r, type=type_, side=side, **limit(), trailing_delta=delta)]

    assert check("STOP_LOSS_LIMIT", "BUY", 10) == check("TAKE_PROFIT_LIMIT", "SELL", 2000) == []
    assert check("STOP_LOSS_LIMIT", "BUY", 9) == [
        "trailing delta 9 is below the minimum 10 for a STOP_LOSS_LIMIT BUY"
    ]
    assert check("TAKE_PROFIT_LIMIT", "SELL", 2001) == [
        "trailing delta 2001 is above the maximum 2000 for a TAKE_PROFIT_LIMIT SELL"
    ]
    assert check("STOP_LOSS_LIMIT", "SELL", 50) == check("TAKE_PROFIT_LIMIT", "BUY", 500) == []
    assert check("STOP_LOSS_LIMIT", "SELL", 49) == [
        "trailing delta 49 is below the minimum 50 for a STOP_LOSS_LIMIT SELL"
    ]
    assert check("TAKE_PROFIT_LIMIT", "BUY", 501) == [
        "trailing delta 501 is above the maximum 500 for a TAKE_PROFIT_LIMIT BUY"
    ]


# -- symbol rules and parameters ---------------------------------------------------------------


def test_it_refuses_order_types_icebergs_and_quote_orders_the_symbol_does_not_allow():
    r = rules_with(
        orderTypes=["LIMIT", "MARKET"],
        icebergAllowed=False,
        quoteOrderQtyMarketAllowed=False,
        status="BREAK",
    )
    assert problems(r, type="LIMIT_MAKER", **limit(iceberg_qty=D("0.5"))) == [
        ("symbol", "STATUS", "ETHBTC is not trading (status BREAK)"),
        (
            "type",
            "ORDER_TYPES",
            "LIMIT_MAKER orders are not allowed on ETHBTC (allowed: LIMIT, MARKET)",
        ),
        ("iceberg_qty", "ICEBERG_ALLOWED", "iceberg orders are not allowed on ETHBTC"),
    ]
    assert problems(r, type="MARKET", quote_order_qty=D("10"))[-1] == (
        "quote_order_qty",
        "QUOTE_ORDER_QTY_MARKET_ALLOWED",
        "market orders by quote quantity are not allowed on ETHBTC",
    )


def test_it_requires_the_parameters_of_each_order_type():
    r = rules_with()
    assert problems(r, quantity=D("1")) == [
        ("price", "PARAMETERS", "price is required for LIMIT orders")
    ]
    assert problems(r, type="MARKET") == [
        (
            "quantity",
            "PARAMETERS",
            "MARKET orders need exactly one of quantity and quote order quantity",
        )
    ]
    assert problems(r, type="STOP_LOSS_LIMIT", **limit()) == [
        (
            "stop_price",
            "PARAMETERS",
            "stop price or trailing delta is required for STOP_LOSS_LIMIT orders",
        )
    ]
    assert problems(r, **limit(quantity="-1")) == [
        ("quantity", "PARAMETERS", "quantity must be positive, not -1")
    ]
    assert problems(r, type="STOP_LOSS_LIMIT", **limit(), trailing_delta=100) == []


def test_it_reads_rules_from_the_exchange_info_model_too():
    from_dict = bu.SymbolRules.from_exchange_info(SYMBOL_WITH_ALL_FILTERS, EXCHANGE_FILTERS)
    model = bu.SymbolInfo.from_api(SYMBOL_WITH_ALL_FILTERS)
    assert bu.SymbolRules.from_exchange_info(model, EXCHANGE_FILTERS) == from_dict
    assert from_dict.tick_size == D("0.000001") and from_dict.step_size == D("0.001")
    assert from_dict.min_notional == D("10") and from_dict.min_qty == D("0.001")
    assert from_dict.filter("EXCHANGE_MAX_NUM_ORDERS") == {
        "filterType": "EXCHANGE_MAX_NUM_ORDERS",
        "maxNumOrders": 1000,
    }


# -- OCO ----------------------------------------------------------------------------------------


def test_it_checks_both_oco_legs_and_their_price_order():
    r = rules_with("PRICE_FILTER", "LOT_SIZE")
    ok = dict(side="SELL", quantity=D("1"), price=D("0.06"), stop_price=D("0.04"))
    assert bu.check_oco(r, **ok, stop_limit_price=D("0.039")) == []
    wrong = bu.check_oco(
        r,
        side="BUY",
        quantity=D("1"),
        price=D("0.06"),
        stop_price=D("0.04"),
        stop_limit_price=D("0.041"),
    )
    assert [(p.field, p.filter_type, p.message) for p in wrong] == [
        ("price", "OCO_PRICES", "a BUY OCO needs the limit price 0.06 below the stop price 0.04")
    ]
    leg = bu.check_oco(r, **ok, stop_limit_price=D("0.0390001"))
    assert [(p.field, p.message) for p in leg] == [
        (
            "stop_limit_price",
            "stop leg: price 0.0390001 is not a multiple of the tick size 0.000001",
        )
    ]
    not_allowed = bu.check_oco(rules_with(ocoAllowed=False), **ok, stop_limit_price=D("0.039"))
    assert [p.filter_type for p in not_allowed] == ["OCO_ALLOWED"]
    (market_stop,) = bu.check_oco(r, **ok)  # the example symbol has no plain STOP_LOSS
    assert (market_stop.field, market_stop.filter_type) == ("type", "ORDER_TYPES")
    assert market_stop.message.startswith("stop leg: STOP_LOSS orders are not allowed on ETHBTC")


# -- rounding helpers ---------------------------------------------------------------------------


def test_it_rounds_prices_and_quantities_to_the_symbol_steps():
    r = rules_with("PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE")
    assert r.round_price(D("0.0500005")) == D("0.050001")
    assert r.round_quantity(D("1.23456")) == D("1.234")
    assert str(bu.round_to_step(D("123.456"), D("10"))) == "120"
    assert str(bu.round_to_step(D("0.1239"), D("0.00100000"))) == "0.123"
    assert bu.round_to_step(D("5.5"), D("0")) == D("5.5")


steps = st.sampled_from([D("0.01"), D("0.00000100"), D("0.001"), D("0.5"), D("1"), D("25")])
amounts = st.decimals(min_value=D("0.000001"), max_value=D("1000000"), places=8)


@given(value=amounts, step=steps)
def test_it_rounds_down_to_the_largest_multiple_not_above_the_value(value, step):
    rounded = bu.round_to_step(value, step)
    assert rounded % step == 0
    assert rounded <= value < rounded + step


@given(value=amounts, step=steps)
def test_it_rounds_prices_that_always_pass_the_tick_rule(value, step):
    info = copy.deepcopy(SYMBOL_WITH_ALL_FILTERS)
    info["filters"] = [
        {"filterType": "PRICE_FILTER", "minPrice": "0", "maxPrice": "0", "tickSize": str(step)}
    ]
    r = bu.SymbolRules.from_exchange_info(info)
    price = r.round_price(value)
    if price > 0:
        assert bu.check_order(r, side="BUY", type="LIMIT", quantity=D(1), price=price) == []
    off_tick = price + step / 2
    assert [
        p.filter_type
        for p in bu.check_order(r, side="BUY", type="LIMIT", quantity=D(1), price=off_tick)
    ] == ["PRICE_FILTER"]
