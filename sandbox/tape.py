"""A symbol's trade history: the last TRADES_KEPT trades and aggregate trades, by id and time,
and rolling-window statistics (24hr / rolling tickers) computed from them plus the minute bars.

Trade ids and aggregate trade ids count up by one per symbol, so an id's position in the
list is `id - first kept id`. Times are searched through a non-decreasing copy (an admin clock
skew may move "now" back; searches then stay well defined).

Statistics over windows longer than the kept trades are built from 1-minute bars
(`KlineStore`) for whole minutes and from the kept trades for the partial minute at the start
of the window, so they agree with GET /api/v3/trades and /api/v3/klines.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .decimals import ZERO
from .klines import MINUTE, KlineStore

if TYPE_CHECKING:
    from .records import AggTrade, Trade

TRADES_KEPT = 100_000


@dataclass(slots=True)
class Stats:
    """Price-change statistics over [open_time, close_time]."""

    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    last: Decimal
    last_qty: Decimal
    prev: Decimal  # price of the trade before the window's first one (0 if none)
    volume: Decimal
    quote: Decimal
    first_id: int  # -1 (and count 0) when no trade fell in the window
    last_id: int
    count: int

    @property
    def change(self) -> Decimal:
        return self.last - self.open

    @property
    def change_percent(self) -> Decimal:
        return self.change * 100 / self.open if self.open else ZERO

    @property
    def weighted_avg(self) -> Decimal:
        return self.quote / self.volume if self.volume else ZERO

    def key(self) -> tuple:
        """What a change of the statistics shows in (for "only changed symbols" arrays)."""
        return (self.first_id, self.last_id, self.count)


def _trade_id(t: Trade) -> int:
    return t.trade_id


class Tape:
    def __init__(self, klines: KlineStore, keep: int = TRADES_KEPT) -> None:
        self.klines = klines
        self.keep = keep
        self.trades: list[Trade] = []
        self._times: list[int] = []
        self.aggs: list[AggTrade] = []
        self._agg_times: list[int] = []
        # False once the admin moved the clock back while trades kept coming: the time index is
        # then no longer the trades' own order, and time windows are answered by reading them.
        self._agg_times_in_order = True

    # ---- recording -----------------------------------------------------------------------

    def add_trade(self, trade: Trade) -> None:
        self.trades.append(trade)
        self._times.append(max(trade.time, self._times[-1]) if self._times else trade.time)
        if len(self.trades) > self.keep + self.keep // 10:
            cut = len(self.trades) - self.keep
            del self.trades[:cut]
            del self._times[:cut]

    def add_agg(self, agg: AggTrade) -> None:
        self.aggs.append(agg)
        times = self._agg_times
        if times and agg.time < times[-1]:
            self._agg_times_in_order = False
        times.append(max(agg.time, times[-1]) if times else agg.time)
        if len(self.aggs) > self.keep + self.keep // 10:
            cut = len(self.aggs) - self.keep
            del self.aggs[:cut]
            del self._agg_times[:cut]

    # ---- trades --------------------------------------------------------------------------

    def last(self) -> Trade | None:
        return self.trades[-1] if self.trades else None

    def recent(self, limit: int) -> list[Trade]:
        return self.trades[-limit:]

    def from_id(self, trade_id: int, limit: int) -> list[Trade]:
        """Trades with id >= trade_id (the oldest kept ones if it is older), oldest first."""
        i = bisect.bisect_left(self.trades, trade_id, key=_trade_id)
        return self.trades[i : i + limit]

    def by_id(self, trade_id: int) -> Trade | None:
        # Ids can skip (an account's bulk history takes ids without public trades): bisect.
        i = bisect.bisect_left(self.trades, trade_id, key=_trade_id)
        found = self.trades[i] if i < len(self.trades) else None
        return found if found is not None and found.trade_id == trade_id else None

    def since(self, t: int) -> list[Trade]:
        return self.trades[bisect.bisect_left(self._times, t) :]

    # ---- aggregate trades ----------------------------------------------------------------

    def agg_query(
        self, from_id: int | None, start: int | None, end: int | None, limit: int
    ) -> list[AggTrade]:
        aggs = self.aggs
        if not aggs:
            return []
        if from_id is not None:
            i = max(0, from_id - aggs[0].agg_id)
            return aggs[i : i + limit]
        if start is None and end is None:
            return aggs[-limit:]
        if not self._agg_times_in_order:
            return _window(aggs, start, end, limit)
        lo = 0 if start is None else bisect.bisect_left(self._agg_times, start)
        hi = len(aggs) if end is None else bisect.bisect_right(self._agg_times, end)
        if start is None:
            return aggs[max(lo, hi - limit) : hi]
        return aggs[lo : min(hi, lo + limit)]

    # ---- statistics ----------------------------------------------------------------------

    def stats(self, start: int, end: int) -> Stats:
        """Statistics of the trades with start <= time <= end."""
        bars, first_bar = self.klines.window(start, end)
        head: list[Trade] = []  # trades in the partial minute before the first whole bar
        head_from = first_bar - 1
        if head_from >= 0:
            partial = self.klines.minutes[head_from]
            if partial.open_time < start < partial.open_time + MINUTE:
                kept_from = self._times[0] if self._times else None
                if kept_from is not None and kept_from <= start:
                    lo = bisect.bisect_left(self._times, start)
                    hi = bisect.bisect_left(self._times, min(partial.open_time + MINUTE, end + 1))
                    head = self.trades[lo:hi]
        opened = high = low = last = last_qty = prev = None
        volume = quote = ZERO
        first_id = last_id = -1
        count = 0
        for t in head:
            if opened is None:
                opened = high = low = t.price
                first_id = t.trade_id
            high = max(high, t.price)  # type: ignore[type-var]
            low = min(low, t.price)  # type: ignore[type-var]
            last, last_qty = t.price, t.qty
            volume += t.qty
            quote += t.quote_qty
            last_id = t.trade_id
            count += 1
        for bar in bars:
            if bar.n == 0:
                continue
            if opened is None:
                opened, high, low = bar.open, bar.high, bar.low
                first_id = bar.first_id
            high = max(high, bar.high)  # type: ignore[type-var]
            low = min(low, bar.low)  # type: ignore[type-var]
            last = bar.close
            volume += bar.volume
            quote += bar.quote
            last_id = bar.last_id
            count += bar.n
        if first_id >= 0:
            before = self.by_id(first_id - 1)
            if before is not None:
                prev = before.price
            elif not head and first_bar > 0:
                prev = self.klines.minutes[first_bar - 1].close
        last_trade = self.by_id(last_id) if last_id >= 0 else None
        if last_trade is not None:
            last_qty = last_trade.qty
        if opened is None:  # nothing traded in the window: flat at the last known price
            before_start = self._last_before(start)
            opened = high = low = last = prev = before_start or ZERO
        return Stats(
            start,
            end,
            opened,
            high,  # type: ignore[arg-type]
            low,  # type: ignore[arg-type]
            last,  # type: ignore[arg-type]
            last_qty or ZERO,
            prev or ZERO,
            volume,
            quote,
            first_id,
            last_id,
            count,
        )

    def _last_before(self, t: int) -> Decimal | None:
        i = bisect.bisect_left(self._times, t)
        if i > 0:
            return self.trades[i - 1].price
        bars, _ = self.klines.window(0, t - 1)
        return bars[-1].close if bars else None


def _window(aggs: list[AggTrade], start: int | None, end: int | None, limit: int) -> list[AggTrade]:
    """The aggregate trades with start <= time <= end, read one by one (see Tape.add_agg)."""
    found = [
        a for a in aggs if (start is None or a.time >= start) and (end is None or a.time <= end)
    ]
    return found[-limit:] if start is None else found[:limit]
