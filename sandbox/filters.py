"""Symbol filter checks (spec section "Filters"), applied to client orders before matching.

Checks run in the exchange's order and the first failure wins, answered as
`-1013 "Filter failure: <FILTER>"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import errors
from .decimals import ZERO, is_multiple
from .symbols import MAX_NUM_ORDERS, PERCENT_PRICE_BY_SIDE, SymbolSpec


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
    # call site leaves them None, `check_with_engine` fills them from the engine.
    open_algo_orders: int | None = None  # STOP_LOSS*/TAKE_PROFIT* open on the symbol
    open_iceberg_orders: int | None = None  # icebergQty > 0 open on the symbol
    account_open_orders: int | None = None  # open orders on every symbol
    account_open_algo_orders: int | None = None
    position_base: Decimal | None = None  # base asset free+locked, for MAX_POSITION
    open_buy_qty: Decimal | None = None  # open BUY quantity on the symbol, for MAX_POSITION


def check(spec: SymbolSpec, o: OrderCheck) -> None:
    """Raise the first failing filter's error, if any."""
    if o.price is not None:
        _price_filter(spec, o.price)
        _percent_price_by_side(o)
    if o.quantity is not None:
        if o.type == "MARKET":
            _market_lot_size(spec, o.quantity)
        _lot_size(spec, o.quantity)
    _min_notional(spec, o)
    if o.open_orders >= MAX_NUM_ORDERS and o.type != "MARKET":
        raise errors.filter_failure("MAX_NUM_ORDERS")


def _price_filter(spec: SymbolSpec, price: Decimal) -> None:
    ok = (
        (spec.min_price == 0 or price >= spec.min_price)
        and (spec.max_price == 0 or price <= spec.max_price)
        and is_multiple(price, spec.tick)
    )
    if not ok:
        raise errors.filter_failure("PRICE_FILTER")


def _percent_price_by_side(o: OrderCheck) -> None:
    if o.avg_price is None or o.price is None:
        return
    side = "bid" if o.side == "BUY" else "ask"
    up = PERCENT_PRICE_BY_SIDE[f"{side}MultiplierUp"] * o.avg_price
    down = PERCENT_PRICE_BY_SIDE[f"{side}MultiplierDown"] * o.avg_price
    if not down <= o.price <= up:
        raise errors.filter_failure("PERCENT_PRICE_BY_SIDE")


def _lot_size(spec: SymbolSpec, qty: Decimal) -> None:
    if not (spec.min_qty <= qty <= spec.max_qty and is_multiple(qty, spec.step)):
        raise errors.filter_failure("LOT_SIZE")


def _market_lot_size(spec: SymbolSpec, qty: Decimal) -> None:
    # minQty and stepSize are 0 (disabled) on the sandbox's symbols, as on the live exchange.
    if qty > spec.market_max_qty:
        raise errors.filter_failure("MARKET_LOT_SIZE")


def _min_notional(spec: SymbolSpec, o: OrderCheck) -> None:
    if o.type == "MARKET":
        if o.quote_qty is not None:
            notional = o.quote_qty
        elif o.avg_price is not None and o.quantity is not None:
            notional = o.avg_price * o.quantity
        else:
            return  # no reference price yet: nothing to compare against
    else:
        notional = (o.price or ZERO) * (o.quantity or ZERO)
    if notional < spec.min_notional:
        raise errors.filter_failure("MIN_NOTIONAL")
