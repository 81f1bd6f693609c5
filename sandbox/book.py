"""One side of an order book: price levels in price-time priority.

Prices are kept in a sorted list (bisect) next to a dict of FIFO queues; a few dozen levels
per side make this both simple and fast enough.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from .decimals import ZERO

if TYPE_CHECKING:
    from .records import Order


class BookSide:
    __slots__ = ("is_bid", "levels", "prices", "totals")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.prices: list[Decimal] = []  # ascending
        self.levels: dict[Decimal, deque[Order]] = {}
        self.totals: dict[Decimal, Decimal] = {}

    def best(self) -> Decimal | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def best_first(self) -> Iterator[Decimal]:
        return reversed(self.prices) if self.is_bid else iter(self.prices)

    def add(self, order: Order) -> Decimal:
        """Queue `order` at the back of its level (its visible part: an iceberg's slice);
        return the level's new total."""
        price = order.price
        level = self.levels.get(price)
        if level is None:
            bisect.insort(self.prices, price)
            level = self.levels[price] = deque()
            self.totals[price] = ZERO
        level.append(order)
        total = self.totals[price] + order.visible
        self.totals[price] = total
        return total

    def reduce(self, order: Order, qty: Decimal, remove: bool) -> Decimal:
        """Take `qty` off the order's level (and the order itself if `remove`); new total."""
        price = order.price
        total = self.totals[price] - qty
        if remove:
            level = self.levels[price]
            if level[0] is order:
                level.popleft()
            else:
                level.remove(order)
            if not level:
                del self.prices[bisect.bisect_left(self.prices, price)]
                del self.levels[price]
                del self.totals[price]
                return ZERO
        self.totals[price] = total
        return total

    def top(self, n: int) -> list[tuple[Decimal, Decimal]]:
        out = []
        for price in self.best_first():
            if len(out) >= n:
                break
            out.append((price, self.totals[price]))
        return out
