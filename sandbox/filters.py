"""Symbol and exchange filter checks (spec section "Filters"), applied to client orders before
matching.

The filters checked are exactly those exchangeInfo advertises (`symbols.FILTERS`), in their
listed order, then the exchange filters; the first failure wins, answered as
`-1013 "Filter failure: <NAME>"` with the names of the spec's "Filter Failure Errors" table
(which calls the algo-order filters MAX_ALGO_ORDERS / EXCHANGE_MAX_ALGO_ORDERS).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from . import errors
from .accounts import Account
from .decimals import ZERO, is_multiple
from .symbols import ALGO_TYPES, FILTERS, SymbolSpec

Rule = Callable[[dict, "OrderCheck"], None]
MARKET_TYPES = frozenset({"MARKET", "STOP_LOSS", "TAKE_PROFIT"})
# Trailing stops whose stop is above the market (spec "Trailing Delta Filter").
ABOVE = frozenset(
    {
        ("STOP_LOSS_LIMIT", "BUY"),
        ("STOP_LOSS", "BUY"),
        ("TAKE_PROFIT_LIMIT", "SELL"),
        ("TAKE_PROFIT", "SELL"),
    }
)


class OpenOrders(Protocol):
    """What the count filters need of the engine."""

    def open_orders(self, acct: Account, symbol: str | None = None) -> Sequence: ...

    def avg_price(self, symbol: str) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class OrderCheck:
    side: str
    type: str
    price: Decimal | None
    quantity: Decimal | None
    quote_qty: Decimal | None
    avg_price: Decimal | None  # weighted average over AVG_PRICE_MINS; None if no trades yet
    open_orders: int  # the account's open orders on the symbol
    stop_price: Decimal | None = None
    trailing_delta: int | None = None  # in basis points
    iceberg_qty: Decimal | None = None
    time_in_force: str | None = None
    # Counts the order-count filters compare against (all on the placing account). When the
    # call site leaves them None, `with_account` fills them from the engine.
    open_algo_orders: int | None = None  # STOP_LOSS*/TAKE_PROFIT* open on the symbol
    open_iceberg_orders: int | None = None  # icebergQty > 0 open on the symbol
    account_open_orders: int | None = None  # open orders on every symbol
    account_open_algo_orders: int | None = None
    account_open_iceberg_orders: int | None = None
    position_base: Decimal | None = None  # base asset free+locked, for MAX_POSITION
    open_buy_qty: Decimal | None = None  # open BUY quantity on the symbol, for MAX_POSITION


def _is_algo(o: OrderCheck) -> bool:
    return o.type in ALGO_TYPES


def _is_iceberg(o: OrderCheck) -> bool:
    return o.iceberg_qty is not None and o.iceberg_qty > 0


def _rests(o: OrderCheck) -> bool:
    # A MARKET order never rests, so it never adds to the open orders.
    return o.type != "MARKET"


def order_check(engine: OpenOrders, acct: Account, spec: SymbolSpec, req: object) -> OrderCheck:
    """The OrderCheck for an engine OrderRequest placed by `acct`, counts included. Order
    fields other than the basic ones are read when the request has them."""
    o = OrderCheck(
        req.side,  # type: ignore[attr-defined]
        req.type,  # type: ignore[attr-defined]
        getattr(req, "price", None),
        getattr(req, "quantity", None),
        getattr(req, "quote_qty", None),
        engine.avg_price(spec.symbol),
        len(engine.open_orders(acct, spec.symbol)),
        stop_price=getattr(req, "stop_price", None),
        trailing_delta=getattr(req, "trailing_delta", None),
        iceberg_qty=getattr(req, "iceberg_qty", None),
        time_in_force=getattr(req, "time_in_force", None),
    )
    return with_account(engine, acct, spec, o)


def with_account(engine: OpenOrders, acct: Account, spec: SymbolSpec, o: OrderCheck) -> OrderCheck:
    """`o` with the account's open-order counts and position filled in from the engine;
    values already set are kept."""
    everywhere = engine.open_orders(acct)
    here = [x for x in everywhere if x.symbol == spec.symbol]
    bal = acct.bal(spec.base)
    counts = {
        "open_algo_orders": sum(1 for x in here if x.type in ALGO_TYPES),
        "open_iceberg_orders": sum(1 for x in here if _iceberg(x)),
        "account_open_orders": len(everywhere),
        "account_open_algo_orders": sum(1 for x in everywhere if x.type in ALGO_TYPES),
        "account_open_iceberg_orders": sum(1 for x in everywhere if _iceberg(x)),
        "position_base": bal.free + bal.locked,
        "open_buy_qty": sum((x.orig_qty - x.executed_qty for x in here if x.side == "BUY"), ZERO),
    }
    return replace(o, **{k: v for k, v in counts.items() if getattr(o, k) is None})


def _iceberg(order: object) -> bool:
    qty = getattr(order, "iceberg_qty", None)
    return qty is not None and qty > 0


def check(spec: SymbolSpec, o: OrderCheck) -> None:
    """Raise the first failing filter's error, if any."""
    for f in FILTERS.of(spec.symbol):
        rule = SYMBOL_RULES.get(f["filterType"])
        if rule is not None:
            rule(f, o)
    for f in FILTERS.exchange:
        rule = EXCHANGE_RULES.get(f["filterType"])
        if rule is not None:
            rule(f, o)


def _d(f: dict, name: str) -> Decimal:
    return Decimal(f[name])


def _price_filter(f: dict, o: OrderCheck) -> None:
    lo, hi, tick = _d(f, "minPrice"), _d(f, "maxPrice"), _d(f, "tickSize")
    for price in (o.price, o.stop_price):
        if price is None or price == 0:
            continue
        if (lo and price < lo) or (hi and price > hi) or not is_multiple(price, tick):
            raise errors.filter_failure("PRICE_FILTER")


def _in_band(o: OrderCheck, up: Decimal, down: Decimal) -> bool:
    if o.avg_price is None or o.price is None or o.price == 0:
        return True  # no reference price yet, or an order without a price
    return down * o.avg_price <= o.price <= up * o.avg_price


def _percent_price(f: dict, o: OrderCheck) -> None:
    if not _in_band(o, _d(f, "multiplierUp"), _d(f, "multiplierDown")):
        raise errors.filter_failure("PERCENT_PRICE")


def _percent_price_by_side(f: dict, o: OrderCheck) -> None:
    side = "bid" if o.side == "BUY" else "ask"
    if not _in_band(o, _d(f, f"{side}MultiplierUp"), _d(f, f"{side}MultiplierDown")):
        raise errors.filter_failure("PERCENT_PRICE_BY_SIDE")


def _fits_lot(qty: Decimal, f: dict) -> bool:
    lo, hi, step = _d(f, "minQty"), _d(f, "maxQty"), _d(f, "stepSize")
    return qty >= lo and (hi == 0 or qty <= hi) and is_multiple(qty, step)


def _lot_size(f: dict, o: OrderCheck) -> None:
    for qty in (o.quantity, o.iceberg_qty if _is_iceberg(o) else None):
        if qty is not None and not _fits_lot(qty, f):
            raise errors.filter_failure("LOT_SIZE")


def _market_lot_size(f: dict, o: OrderCheck) -> None:
    if o.type == "MARKET" and o.quantity is not None and not _fits_lot(o.quantity, f):
        raise errors.filter_failure("MARKET_LOT_SIZE")


def _notional(o: OrderCheck) -> Decimal | None:
    """price * quantity; for market-priced orders the average price (or quoteOrderQty); None
    when there is nothing to compare against yet."""
    if o.type not in MARKET_TYPES:
        return (o.price or ZERO) * (o.quantity or ZERO)
    if o.quote_qty is not None:
        return o.quote_qty
    reference = o.stop_price if o.stop_price else o.avg_price
    if reference is None or o.quantity is None:
        return None
    return reference * o.quantity


def _min_notional(f: dict, o: OrderCheck) -> None:
    if o.type in MARKET_TYPES and not f["applyToMarket"]:
        return
    notional = _notional(o)
    if notional is not None and notional < _d(f, "minNotional"):
        raise errors.filter_failure("MIN_NOTIONAL")


def _notional_range(f: dict, o: OrderCheck) -> None:
    notional = _notional(o)
    if notional is None:
        return
    market = o.type in MARKET_TYPES
    too_low = notional < _d(f, "minNotional") and (f["applyMinToMarket"] or not market)
    too_high = notional > _d(f, "maxNotional") and (f["applyMaxToMarket"] or not market)
    if too_low or too_high:
        raise errors.filter_failure("NOTIONAL")


def _iceberg_parts(f: dict, o: OrderCheck) -> None:
    if not _is_iceberg(o) or o.quantity is None or o.iceberg_qty is None:
        return
    if math.ceil(o.quantity / o.iceberg_qty) > f["limit"]:
        raise errors.filter_failure("ICEBERG_PARTS")


def _at_most(failure: str, limit: str, counts: Callable[[OrderCheck], bool], open_: str) -> Rule:
    """A count filter: an order of the kind it `counts` fails once the OrderCheck field
    `open_` (orders of that kind already open) has reached the filter's `limit` field."""

    def rule(f: dict, o: OrderCheck) -> None:
        if counts(o) and (getattr(o, open_) or 0) >= f[limit]:
            raise errors.filter_failure(failure)

    return rule


_max_num_orders = _at_most("MAX_NUM_ORDERS", "limit", _rests, "open_orders")
_max_algo = _at_most("MAX_ALGO_ORDERS", "maxNumAlgoOrders", _is_algo, "open_algo_orders")
_max_iceberg = _at_most(
    "MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders", _is_iceberg, "open_iceberg_orders"
)


def _max_position(f: dict, o: OrderCheck) -> None:
    """BUY orders only: the position this order would bring the account to (its base asset
    free + locked, open BUY quantity, and this order's quantity) may not pass maxPosition."""
    if o.side != "BUY" or o.position_base is None:
        return
    position = o.position_base + (o.open_buy_qty or ZERO) + (o.quantity or ZERO)
    if position > _d(f, "maxPosition"):
        raise errors.filter_failure("MAX_POSITION")


def _trailing_delta(f: dict, o: OrderCheck) -> None:
    if o.trailing_delta is None:
        return
    kind = "Above" if (o.type, o.side) in ABOVE else "Below"
    if not f[f"minTrailing{kind}Delta"] <= o.trailing_delta <= f[f"maxTrailing{kind}Delta"]:
        raise errors.filter_failure("TRAILING_DELTA")


_exchange_max_orders = _at_most(
    "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders", _rests, "account_open_orders"
)
_exchange_max_algo = _at_most(
    "EXCHANGE_MAX_ALGO_ORDERS", "maxNumAlgoOrders", _is_algo, "account_open_algo_orders"
)
_exchange_max_iceberg = _at_most(
    "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
    "maxNumIcebergOrders",
    _is_iceberg,
    "account_open_iceberg_orders",
)

SYMBOL_RULES: dict[str, Rule] = {
    "PRICE_FILTER": _price_filter,
    "PERCENT_PRICE": _percent_price,
    "PERCENT_PRICE_BY_SIDE": _percent_price_by_side,
    "LOT_SIZE": _lot_size,
    "MIN_NOTIONAL": _min_notional,
    "NOTIONAL": _notional_range,
    "ICEBERG_PARTS": _iceberg_parts,
    "MARKET_LOT_SIZE": _market_lot_size,
    "MAX_NUM_ORDERS": _max_num_orders,
    "MAX_NUM_ALGO_ORDERS": _max_algo,
    "MAX_NUM_ICEBERG_ORDERS": _max_iceberg,
    "MAX_POSITION": _max_position,
    "TRAILING_DELTA": _trailing_delta,
}
EXCHANGE_RULES: dict[str, Rule] = {
    "EXCHANGE_MAX_NUM_ORDERS": _exchange_max_orders,
    "EXCHANGE_MAX_ALGO_ORDERS": _exchange_max_algo,
    "EXCHANGE_MAX_NUM_ICEBERG_ORDERS": _exchange_max_iceberg,
}
