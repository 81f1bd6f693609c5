"""Stop and take-profit triggers, plain and trailing (spec "Trailing Stop order FAQ").

A contingent order waits off the book until the last trade price meets its condition:

    STOP_LOSS* BUY, TAKE_PROFIT* SELL  trigger when price >= stopPrice
    STOP_LOSS* SELL, TAKE_PROFIT* BUY  trigger when price <= stopPrice

With a trailingDelta (in BIPS) that condition only starts the price tracking (at once when
there is no stopPrice); the order then triggers once the price moves trailingDelta against it
from the best price seen since: up from the lowest for BUY, down from the highest for SELL.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import Order

BIPS = Decimal(10_000)
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


def triggers_above(order_type: str, side: str) -> bool:
    """True when the stop condition is "price >= stopPrice" (a rise), False for a fall."""
    return order_type.startswith("STOP_LOSS") == (side == "BUY")


def stop_met(order_type: str, side: str, stop: Decimal, price: Decimal) -> bool:
    return price >= stop if triggers_above(order_type, side) else price <= stop


def start_tracking(o: Order, price: Decimal | None, now: int) -> None:
    """A trailing order without stopPrice tracks from the last price when it is placed."""
    o.extreme = price
    o.trailing_time = now


def fires(o: Order, price: Decimal, now: int) -> bool:
    """Feed one trade price to a waiting order; True when it triggers."""
    if not o.trailing_delta:
        return stop_met(o.type, o.side, o.stop_price, price)
    if o.trailing_time < 0:
        if not stop_met(o.type, o.side, o.stop_price, price):
            return False
        start_tracking(o, price, now)
        return False
    if o.extreme is None:
        o.extreme = price
        return False
    delta = Decimal(o.trailing_delta) / BIPS
    if o.side == "BUY":
        o.extreme = min(o.extreme, price)
        return price >= o.extreme * (1 + delta)
    o.extreme = max(o.extreme, price)
    return price <= o.extreme * (1 - delta)
