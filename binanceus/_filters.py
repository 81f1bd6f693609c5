"""Symbol and exchange filters checked locally, before an order is sent.

:class:`SymbolRules` holds one symbol's trading rules (from ``exchangeInfo``);
:func:`check_order` returns every :class:`FilterProblem` an order would hit, each with a
message a person can act on ("price 20000.123 is not a multiple of the tick size 0.01").
The rules are those of the spec's "Filters" section; a filter whose inputs the caller cannot
know (the average price, open-order counts, the position) is only checked when they are given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal
from typing import Any, Unpack

from ._params import OcoCheck, OrderCheck, OrderContext, OrderShape, group_keys, keywords
from ._signing import format_decimal
from ._symbol_rules import FilterProblem, SymbolRules, round_to_step

__all__ = [
    "FilterProblem",
    "SymbolRules",
    "check_oco",
    "check_order",
    "round_to_step",
]

ALGO_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
"""Order types the spec counts as "algo" orders (MAX_NUM_ALGO_ORDERS)."""
_MARKET_PRICED = frozenset({"MARKET", "STOP_LOSS", "TAKE_PROFIT"})
"""Types that carry no limit price: notional filters use the average price for them."""


def _fmt(value: Decimal | int) -> str:
    return format_decimal(Decimal(value).normalize()) if isinstance(value, Decimal) else str(value)


@dataclass(frozen=True, slots=True)
class _Draft:
    side: str
    type: str
    quantity: Decimal | None
    quote_order_qty: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    trailing_delta: int | None
    iceberg_qty: Decimal | None
    avg_price: Decimal | None
    counts: Mapping[str, int | None]
    position: Decimal | None

    @property
    def is_algo(self) -> bool:
        return self.type in ALGO_TYPES

    @property
    def is_iceberg(self) -> bool:
        return self.iceberg_qty is not None and self.iceberg_qty > 0

    @property
    def reference_price(self) -> Decimal | None:
        """Price the notional filters use: the limit price, else the average price."""
        return self.avg_price if self.type in _MARKET_PRICED else self.price


Check = Callable[[SymbolRules, _Draft], list[FilterProblem]]

_LABELS = {
    "price": "price",
    "stop_price": "stop price",
    "quantity": "quantity",
    "iceberg_qty": "iceberg quantity",
}


def _range_and_step(
    value: Decimal, name: str, filter_type: str, lo: Decimal, hi: Decimal, step: Decimal, what: str
) -> list[FilterProblem]:
    """min / max / step rules where 0 disables a rule (PRICE_FILTER, LOT_SIZE, ...)."""
    label = _LABELS[name]
    out: list[FilterProblem] = []
    if lo > 0 and value < lo:
        out.append(
            FilterProblem(
                name, filter_type, f"{label} {_fmt(value)} is below the minimum {what} {_fmt(lo)}"
            )
        )
    if hi > 0 and value > hi:
        out.append(
            FilterProblem(
                name, filter_type, f"{label} {_fmt(value)} is above the maximum {what} {_fmt(hi)}"
            )
        )
    if step > 0 and value % step != 0:
        size = "tick size" if filter_type == "PRICE_FILTER" else "step size"
        out.append(
            FilterProblem(
                name,
                filter_type,
                f"{label} {_fmt(value)} is not a multiple of the {size} {_fmt(step)}",
            )
        )
    return out


def _check_symbol(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    out: list[FilterProblem] = []
    if rules.status and rules.status != "TRADING":
        out.append(
            FilterProblem(
                "symbol", "STATUS", f"{rules.symbol} is not trading (status {rules.status})"
            )
        )
    if rules.order_types and o.type not in rules.order_types:
        allowed = ", ".join(rules.order_types)
        out.append(
            FilterProblem(
                "type",
                "ORDER_TYPES",
                f"{o.type} orders are not allowed on {rules.symbol} (allowed: {allowed})",
            )
        )
    if o.is_iceberg and not rules.iceberg_allowed:
        out.append(
            FilterProblem(
                "iceberg_qty",
                "ICEBERG_ALLOWED",
                f"iceberg orders are not allowed on {rules.symbol}",
            )
        )
    if o.quote_order_qty is not None and not rules.quote_order_qty_market_allowed:
        out.append(
            FilterProblem(
                "quote_order_qty",
                "QUOTE_ORDER_QTY_MARKET_ALLOWED",
                f"market orders by quote quantity are not allowed on {rules.symbol}",
            )
        )
    return out


def _need(o: _Draft, *names: str) -> list[FilterProblem]:
    return [
        FilterProblem(n, "PARAMETERS", f"{_LABELS.get(n, n)} is required for {o.type} orders")
        for n in names
        if getattr(o, n) is None
    ]


def _check_parameters(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    """The spec's "additional mandatory parameters based on order type" (timeInForce aside)."""
    out: list[FilterProblem] = []
    if o.type == "MARKET":
        if (o.quantity is None) == (o.quote_order_qty is None):
            out.append(
                FilterProblem(
                    "quantity",
                    "PARAMETERS",
                    "MARKET orders need exactly one of quantity and quote order quantity",
                )
            )
    else:
        out += _need(o, "quantity")
    if o.type in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
        out += _need(o, "price")
    if o.is_algo and o.stop_price is None and o.trailing_delta is None:
        out.append(
            FilterProblem(
                "stop_price",
                "PARAMETERS",
                f"stop price or trailing delta is required for {o.type} orders",
            )
        )
    for name in ("quantity", "quote_order_qty", "price", "stop_price", "iceberg_qty"):
        value = getattr(o, name)
        if value is not None and value <= 0:
            label = _LABELS.get(name, "quote order quantity")
            out.append(
                FilterProblem(name, "PARAMETERS", f"{label} must be positive, not {_fmt(value)}")
            )
    if o.is_iceberg and o.quantity is not None and o.iceberg_qty >= o.quantity:
        # The exchange answers -1013 "IcebergQty exceeds QTY": each slice is part of the order.
        msg = f"iceberg quantity {_fmt(o.iceberg_qty)} must be less than the quantity"
        out.append(FilterProblem("iceberg_qty", "PARAMETERS", msg))
    return out


def _check_price_filter(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    f = rules.filters.get("PRICE_FILTER")
    if not f:
        return []
    out: list[FilterProblem] = []
    lo, hi, tick = (Decimal(f.get(k, 0)) for k in ("minPrice", "maxPrice", "tickSize"))
    for name in ("price", "stop_price"):
        value = getattr(o, name)
        if value is not None and value > 0:
            out += _range_and_step(value, name, "PRICE_FILTER", lo, hi, tick, "price")
    return out


def _avg_label(minutes: Any) -> str:
    return "last price" if int(minutes or 0) == 0 else f"{int(minutes)}-minute average price"


def _band(
    o: _Draft, filter_type: str, up: Decimal, down: Decimal, minutes: Any
) -> list[FilterProblem]:
    assert o.price is not None and o.avg_price is not None
    avg = _avg_label(minutes)
    high, low = o.avg_price * up, o.avg_price * down
    if o.price > high:
        msg = (
            f"price {_fmt(o.price)} is above {_fmt(high)}"
            f" ({_fmt(up)} × the {avg} {_fmt(o.avg_price)})"
        )
        return [FilterProblem("price", filter_type, msg)]
    if o.price < low:
        msg = (
            f"price {_fmt(o.price)} is below {_fmt(low)}"
            f" ({_fmt(down)} × the {avg} {_fmt(o.avg_price)})"
        )
        return [FilterProblem("price", filter_type, msg)]
    return []


def _check_percent_price(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    if o.price is None or o.avg_price is None or o.type in _MARKET_PRICED:
        return []
    out: list[FilterProblem] = []
    f = rules.filters.get("PERCENT_PRICE")
    if f:
        out += _band(
            o,
            "PERCENT_PRICE",
            Decimal(f["multiplierUp"]),
            Decimal(f["multiplierDown"]),
            f.get("avgPriceMins"),
        )
    f = rules.filters.get("PERCENT_PRICE_BY_SIDE")
    if f:
        side = "bid" if o.side == "BUY" else "ask"
        up, down = Decimal(f[f"{side}MultiplierUp"]), Decimal(f[f"{side}MultiplierDown"])
        out += _band(o, "PERCENT_PRICE_BY_SIDE", up, down, f.get("avgPriceMins"))
    return out


def _lot(f: Mapping[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    return Decimal(f.get("minQty", 0)), Decimal(f.get("maxQty", 0)), Decimal(f.get("stepSize", 0))


def _check_lot_size(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    out: list[FilterProblem] = []
    f = rules.filters.get("LOT_SIZE")
    if f:
        for name in ("quantity", "iceberg_qty"):
            value = getattr(o, name)
            if value is not None and value > 0:
                out += _range_and_step(value, name, "LOT_SIZE", *_lot(f), "quantity")
    f = rules.filters.get("MARKET_LOT_SIZE")
    if f and o.type == "MARKET" and o.quantity is not None and o.quantity > 0:
        out += _range_and_step(
            o.quantity, "quantity", "MARKET_LOT_SIZE", *_lot(f), "market order quantity"
        )
    return out


def _notional(o: _Draft) -> tuple[Decimal, str] | None:
    if o.type == "MARKET" and o.quote_order_qty is not None:
        return o.quote_order_qty, "quote order quantity"
    price = o.reference_price
    if price is None or o.quantity is None:
        return None
    basis = "price × quantity" if o.type not in _MARKET_PRICED else "average price × quantity"
    return price * o.quantity, basis


def _check_notional(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    found = _notional(o)
    if found is None:
        return []
    value, basis = found
    market = o.type in _MARKET_PRICED
    out: list[FilterProblem] = []
    f = rules.filters.get("NOTIONAL")
    if f:
        lo, hi = Decimal(f.get("minNotional", 0)), Decimal(f.get("maxNotional", 0))
        if lo > 0 and value < lo and (not market or f.get("applyMinToMarket", True)):
            msg = f"notional {_fmt(value)} ({basis}) is below the minimum notional {_fmt(lo)}"
            out.append(FilterProblem("quantity", "NOTIONAL", msg))
        if hi > 0 and value > hi and (not market or f.get("applyMaxToMarket", True)):
            msg = f"notional {_fmt(value)} ({basis}) is above the maximum notional {_fmt(hi)}"
            out.append(FilterProblem("quantity", "NOTIONAL", msg))
    f = rules.filters.get("MIN_NOTIONAL")
    if f and (not market or f.get("applyToMarket", True)):
        lo = Decimal(f.get("minNotional", 0))
        if value < lo:
            msg = f"notional {_fmt(value)} ({basis}) is below the minimum notional {_fmt(lo)}"
            out.append(FilterProblem("quantity", "MIN_NOTIONAL", msg))
    return out


def _check_iceberg_parts(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    f = rules.filters.get("ICEBERG_PARTS")
    if not f or not o.is_iceberg or o.quantity is None:
        return []
    assert o.iceberg_qty is not None
    parts = int((o.quantity / o.iceberg_qty).to_integral_value(rounding=ROUND_CEILING))
    limit = int(f["limit"])
    if parts <= limit:
        return []
    msg = (
        f"the iceberg order would have {parts} parts (quantity / iceberg quantity, rounded up);"
        f" at most {limit} are allowed"
    )
    return [FilterProblem("iceberg_qty", "ICEBERG_PARTS", msg)]


_COUNT_RULES: tuple[tuple[str, str, str, str, Callable[[_Draft], bool]], ...] = (
    ("MAX_NUM_ORDERS", "limit", "open_orders", "orders", lambda o: True),
    (
        "MAX_NUM_ALGO_ORDERS",
        "maxNumAlgoOrders",
        "open_algo_orders",
        "algo orders",
        lambda o: o.is_algo,
    ),
    (
        "MAX_NUM_ICEBERG_ORDERS",
        "maxNumIcebergOrders",
        "open_iceberg_orders",
        "iceberg orders",
        lambda o: o.is_iceberg,
    ),
    ("EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders", "exchange_open_orders", "orders", lambda o: True),
    (
        "EXCHANGE_MAX_ALGO_ORDERS",
        "maxNumAlgoOrders",
        "exchange_open_algo_orders",
        "algo orders",
        lambda o: o.is_algo,
    ),
    (
        "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
        "maxNumIcebergOrders",
        "exchange_open_iceberg_orders",
        "iceberg orders",
        lambda o: o.is_iceberg,
    ),
)


def _check_counts(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    out: list[FilterProblem] = []
    for filter_type, key, count_name, what, applies in _COUNT_RULES:
        exchange = filter_type.startswith("EXCHANGE_")
        f = (rules.exchange_filters if exchange else rules.filters).get(filter_type)
        count = o.counts.get(count_name)
        if not f or count is None or not applies(o):
            continue
        limit = int(f[key])
        if count + 1 > limit:
            where = "on the exchange" if exchange else f"on {rules.symbol}"
            msg = f"{count} {what} are already open {where}; at most {limit} are allowed"
            out.append(FilterProblem(count_name, filter_type, msg))
    return out


def _check_max_position(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    f = rules.filters.get("MAX_POSITION")
    if not f or o.side != "BUY" or o.position is None or o.quantity is None:
        return []
    limit = Decimal(f["maxPosition"])
    after = o.position + o.quantity
    if after <= limit:
        return []
    msg = (
        f"the {rules.base_asset} position would be {_fmt(after)} (balance and open buy orders"
        f" {_fmt(o.position)} + quantity {_fmt(o.quantity)}); the maximum position is {_fmt(limit)}"
    )
    return [FilterProblem("quantity", "MAX_POSITION", msg)]


def _check_trailing_delta(rules: SymbolRules, o: _Draft) -> list[FilterProblem]:
    f = rules.filters.get("TRAILING_DELTA")
    if not f or o.trailing_delta is None or not o.is_algo:
        return []
    stop_loss = o.type.startswith("STOP_LOSS")
    above = (stop_loss and o.side == "BUY") or (not stop_loss and o.side == "SELL")
    kind = "Above" if above else "Below"
    lo, hi = int(f[f"minTrailing{kind}Delta"]), int(f[f"maxTrailing{kind}Delta"])
    order = f"a {o.type} {o.side}"
    if o.trailing_delta < lo:
        msg = f"trailing delta {o.trailing_delta} is below the minimum {lo} for {order}"
        return [FilterProblem("trailing_delta", "TRAILING_DELTA", msg)]
    if o.trailing_delta > hi:
        msg = f"trailing delta {o.trailing_delta} is above the maximum {hi} for {order}"
        return [FilterProblem("trailing_delta", "TRAILING_DELTA", msg)]
    return []


_CHECKS: tuple[Check, ...] = (
    _check_symbol,
    _check_parameters,
    _check_price_filter,
    _check_percent_price,
    _check_lot_size,
    _check_notional,
    _check_iceberg_parts,
    _check_counts,
    _check_max_position,
    _check_trailing_delta,
)


_COUNTS = group_keys(OrderContext) - {"avg_price", "position"}


def check_order(rules: SymbolRules, **order: Unpack[OrderCheck]) -> list[FilterProblem]:
    """Every filter the order breaks (empty when it passes).

    ``order``: the order's amounts and prices (:class:`~binanceus._params.OrderShape`) and
    what the account and market look like now (:class:`~binanceus._params.OrderContext`):
    ``avg_price`` (the symbol's average price, ``GET /api/v3/avgPrice``) enables the
    PERCENT_PRICE checks and the notional of market orders; ``open_*`` counts (orders open
    now, on the symbol or on the exchange) enable the MAX_NUM_* filters; ``position`` (base
    asset free + locked + open BUY quantity) enables MAX_POSITION.
    """
    keywords("check_order", OrderCheck, order)
    get = order.get
    shape = {name: get(name) for name in group_keys(OrderShape)}
    draft = _Draft(
        **{**shape, "side": order["side"].upper(), "type": order["type"].upper()},
        avg_price=get("avg_price"),
        counts={name: get(name) for name in _COUNTS},
        position=get("position"),
    )
    problems: list[FilterProblem] = []
    for check in _CHECKS:
        problems += check(rules, draft)
    return problems


def _leg(
    problems: list[FilterProblem], leg: str, renames: Mapping[str, str]
) -> list[FilterProblem]:
    return [
        replace(p, field=renames.get(p.field, p.field), message=f"{leg} leg: {p.message}")
        for p in problems
    ]


def check_oco(rules: SymbolRules, **oco: Unpack[OcoCheck]) -> list[FilterProblem]:
    """Problems of an OCO: both legs' filters (a LIMIT_MAKER at ``price``; a STOP_LOSS, or
    STOP_LOSS_LIMIT at ``stop_limit_price``), the symbol's ``ocoAllowed`` and the price
    order the spec requires (SELL: limit > stop; BUY: limit < stop)."""
    keywords("check_oco", OcoCheck, oco)
    get = oco.get
    stop_limit_price, open_orders = get("stop_limit_price"), get("open_orders")
    side, price, stop_price = oco["side"].upper(), oco["price"], oco["stop_price"]
    quantity = oco["quantity"]
    out: list[FilterProblem] = []
    if not rules.oco_allowed:
        out.append(
            FilterProblem("type", "OCO_ALLOWED", f"OCO orders are not allowed on {rules.symbol}")
        )
    wrong_way = price <= stop_price if side == "SELL" else price >= stop_price
    if wrong_way:
        relation = "above" if side == "SELL" else "below"
        msg = (
            f"a {side} OCO needs the limit price {_fmt(price)} {relation}"
            f" the stop price {_fmt(stop_price)}"
        )
        out.append(FilterProblem("price", "OCO_PRICES", msg))
    limit_leg = check_order(
        rules,
        side=side,
        type="LIMIT_MAKER",
        quantity=quantity,
        price=price,
        iceberg_qty=get("limit_iceberg_qty"),
        avg_price=get("avg_price"),
        open_orders=open_orders,
    )
    stop_leg = check_order(
        rules,
        side=side,
        type="STOP_LOSS_LIMIT" if stop_limit_price is not None else "STOP_LOSS",
        quantity=quantity,
        price=stop_limit_price,
        stop_price=stop_price,
        trailing_delta=get("trailing_delta"),
        iceberg_qty=get("stop_iceberg_qty"),
        avg_price=get("avg_price"),
        open_orders=None if open_orders is None else open_orders + 1,
        open_algo_orders=get("open_algo_orders"),
    )
    out += _leg(limit_leg, "limit", {"iceberg_qty": "limit_iceberg_qty"})
    out += _leg(stop_leg, "stop", {"price": "stop_limit_price", "iceberg_qty": "stop_iceberg_qty"})
    return out
