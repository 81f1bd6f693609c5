"""Per-account order, trade, prevented-match and order-list history, as the engine records it.

Rows are kept per (account, symbol) in id order, which is also the order they happened in, so
id cursors are a bisect. Real accounts keep everything (a test or a bench asks about it later);
the market-flow accounts trade every tick for hours, so theirs is capped at INTERNAL_CAP rows.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from .accounts import Account

INTERNAL_CAP = 1000
T = TypeVar("T")


class Rows(Generic[T]):
    """Rows in ascending id order with an id bisect."""

    __slots__ = ("ids", "rows")

    def __init__(self) -> None:
        self.rows: list[T] = []
        self.ids: list[int] = []

    def add(self, row_id: int, row: T, cap: int | None) -> None:
        if self.ids and row_id < self.ids[-1]:
            i = bisect.bisect_left(self.ids, row_id)
            self.ids.insert(i, row_id)
            self.rows.insert(i, row)
        else:
            self.ids.append(row_id)
            self.rows.append(row)
        if cap is not None and len(self.rows) > 2 * cap:
            del self.rows[:-cap]
            del self.ids[:-cap]

    def from_id(self, row_id: int) -> list[T]:
        return self.rows[bisect.bisect_left(self.ids, row_id) :]


def window(
    rows: Sequence[T],
    time_of: Callable[[T], int],
    start: int | None,
    end: int | None,
    limit: int,
) -> list[T]:
    """Rows with start <= time <= end: the oldest `limit` from startTime, else the newest
    `limit` up to endTime (the exchange's reading of a time window)."""
    picked = [r for r in rows if (start is None or time_of(r) >= start)]
    if end is not None:
        picked = [r for r in picked if time_of(r) <= end]
    return picked[:limit] if start is not None else picked[-limit:]


class History:
    def __init__(self) -> None:
        self.orders: dict[tuple[int, str], Rows] = {}
        self.trades: dict[tuple[int, str], Rows] = {}
        self.prevented: dict[tuple[int, str], Rows] = {}
        self.lists: dict[int, Rows] = {}

    @staticmethod
    def _cap(acct: Account) -> int | None:
        return INTERNAL_CAP if acct.internal else None

    @staticmethod
    def _rows(table: dict, key: object) -> Rows:
        rows = table.get(key)
        if rows is None:
            rows = table[key] = Rows()
        return rows

    def add_order(self, acct: Account, symbol: str, order_id: int, order: object) -> None:
        self._rows(self.orders, (acct.account_id, symbol)).add(order_id, order, self._cap(acct))

    def add_trade(self, acct: Account, symbol: str, trade_id: int, trade: object) -> None:
        self._rows(self.trades, (acct.account_id, symbol)).add(trade_id, trade, self._cap(acct))

    def add_prevented(self, acct: Account, symbol: str, pm_id: int, pm: object) -> None:
        rows = self._rows(self.prevented, (acct.account_id, symbol))
        rows.add(pm_id, pm, self._cap(acct))

    def add_list(self, acct: Account, list_id: int, order_list: object) -> None:
        self._rows(self.lists, acct.account_id).add(list_id, order_list, self._cap(acct))

    def orders_of(self, acct: Account, symbol: str) -> Rows:
        return self.orders.get((acct.account_id, symbol)) or Rows()

    def trades_of(self, acct: Account, symbol: str) -> Rows:
        return self.trades.get((acct.account_id, symbol)) or Rows()

    def prevented_of(self, acct: Account, symbol: str) -> Rows:
        return self.prevented.get((acct.account_id, symbol)) or Rows()

    def lists_of(self, acct: Account) -> Rows:
        return self.lists.get(acct.account_id) or Rows()
