"""Candlesticks built from the sandbox's own trades.

Trades are folded into 1-minute bars as they happen; every other interval is an aggregation
of those bars, so all intervals agree with each other and with GET /api/v3/trades. The bar
currently open in each interval is also kept up to date trade by trade (`live`), together
with the one it replaced (`closed`), for the `<symbol>@kline_<interval>` streams.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from decimal import Decimal

from .decimals import ZERO, fmt8

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
FIXED = {
    "1m": MINUTE,
    "3m": 3 * MINUTE,
    "5m": 5 * MINUTE,
    "15m": 15 * MINUTE,
    "30m": 30 * MINUTE,
    "1h": HOUR,
    "2h": 2 * HOUR,
    "4h": 4 * HOUR,
    "6h": 6 * HOUR,
    "8h": 8 * HOUR,
    "12h": 12 * HOUR,
    "1d": DAY,
    "3d": 3 * DAY,
}
INTERVALS = (*FIXED, "1w", "1M")
_UNDER_AN_HOUR = frozenset(i for i, size in FIXED.items() if size < HOUR)
_MONDAY = 4 * DAY  # 1970-01-01 was a Thursday; weekly bars open on Mondays


def bucket(interval: str, t: int) -> tuple[int, int]:
    """(open time, close time) of the `interval` bar containing millisecond time `t`."""
    if interval in FIXED:
        size = FIXED[interval]
        start = t - t % size
        return start, start + size - 1
    if interval == "1w":
        start = t - (t - _MONDAY) % WEEK
        return start, start + WEEK - 1
    d = datetime.fromtimestamp(t / 1000, UTC)
    start_dt = datetime(d.year, d.month, 1, tzinfo=UTC)
    end_dt = datetime(d.year + d.month // 12, d.month % 12 + 1, 1, tzinfo=UTC)
    return int(start_dt.timestamp() * 1000), int(end_dt.timestamp() * 1000) - 1


class Bar:
    __slots__ = (
        "close",
        "first_id",
        "high",
        "last_id",
        "low",
        "n",
        "open",
        "open_time",
        "quote",
        "taker_base",
        "taker_quote",
        "volume",
    )

    def __init__(self, open_time: int, price: Decimal) -> None:
        self.open_time = open_time
        self.open = self.high = self.low = self.close = price
        self.volume = self.quote = self.taker_base = self.taker_quote = ZERO
        self.n = 0
        self.first_id = self.last_id = -1

    def add(
        self, price: Decimal, qty: Decimal, quote: Decimal, taker_buy: bool, trade_id: int = -1
    ) -> None:
        if self.first_id < 0:
            self.first_id = trade_id
        self.last_id = trade_id
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += qty
        self.quote += quote
        self.n += 1
        if taker_buy:
            self.taker_base += qty
            self.taker_quote += quote

    def merge(self, other: Bar) -> None:
        if self.first_id < 0:
            self.first_id = other.first_id
        if other.last_id >= 0:
            self.last_id = other.last_id
        self.high = max(self.high, other.high)
        self.low = min(self.low, other.low)
        self.close = other.close
        self.volume += other.volume
        self.quote += other.quote
        self.n += other.n
        self.taker_base += other.taker_base
        self.taker_quote += other.taker_quote

    def row(self, close_time: int) -> list:
        """The spec's kline array: open time ... taker buy quote volume, "0"."""
        return [
            self.open_time,
            fmt8(self.open),
            fmt8(self.high),
            fmt8(self.low),
            fmt8(self.close),
            fmt8(self.volume),
            close_time,
            fmt8(self.quote),
            self.n,
            fmt8(self.taker_base),
            fmt8(self.taker_quote),
            "0",
        ]


class KlineStore:
    def __init__(self) -> None:
        self.minutes: list[Bar] = []
        self._times: list[int] = []
        # interval -> (bar, its close time): the bar open now / the one before it
        self.live: dict[str, tuple[Bar, int]] = {}
        self.closed: dict[str, tuple[Bar, int]] = {}

    def add(
        self,
        t: int,
        price: Decimal,
        qty: Decimal,
        quote: Decimal,
        taker_buy: bool,
        trade_id: int = -1,
        *,
        live: bool = True,
    ) -> None:
        """Fold a trade into its minute bar and, with `live`, into each interval's open bar.
        A run of trades added with live=False (the synthetic history) is followed by
        `rebuild_live`: keeping fifteen open bars per trade is most of the cost of adding one."""
        start = t - t % MINUTE
        if self.minutes and start < self.minutes[-1].open_time:
            start = self.minutes[-1].open_time  # clock moved back (admin skew): stay ordered
        if not self.minutes or self.minutes[-1].open_time != start:
            self.minutes.append(Bar(start, price))
            self._times.append(start)
        self.minutes[-1].add(price, qty, quote, taker_buy, trade_id)
        if live:
            self._add_live(start, price, qty, quote, taker_buy, trade_id)

    def _add_live(
        self,
        start: int,
        price: Decimal,
        qty: Decimal,
        quote: Decimal,
        taker_buy: bool,
        trade_id: int,
    ) -> None:
        for interval in INTERVALS:
            entry = self.live.get(interval)
            if entry is None or not entry[0].open_time <= start <= entry[1]:
                if entry is not None:
                    self.closed[interval] = entry
                open_time, close_time = bucket(interval, start)
                entry = self.live[interval] = (Bar(open_time, price), close_time)
            entry[0].add(price, qty, quote, taker_buy, trade_id)

    def rebuild_live(self) -> None:
        """Each interval's open bar and the one it replaced, as adding the trades one by one
        with live=True would have left them: the last two intervals that saw trades."""
        self.live.clear()
        self.closed.clear()
        if not self.minutes:
            return
        # Intervals of an hour or more start on the hour: merge hour bars, not every minute.
        hours = [bar for bar, _ in self._aggregate("1h", self.minutes)]
        for interval in INTERVALS:
            bars = self.minutes if interval in _UNDER_AN_HOUR else hours
            times = [b.open_time for b in bars] if bars is hours else self._times
            open_time = bucket(interval, times[-1])[0]
            i = bisect.bisect_left(times, open_time)
            if i > 0:  # the interval before holds the bar before this one's first
                i = bisect.bisect_left(times, bucket(interval, times[i - 1])[0])
            last_two = self._aggregate(interval, bars[i:])
            self.live[interval] = last_two[-1]
            if len(last_two) > 1:
                self.closed[interval] = last_two[-2]

    def last_close(self) -> Decimal | None:
        return self.minutes[-1].close if self.minutes else None

    def window(self, start: int, end: int) -> tuple[list[Bar], int]:
        """Minute bars with open time in [start, end], and the index of the first one."""
        lo = bisect.bisect_left(self._times, start)
        hi = bisect.bisect_right(self._times, end)
        return self.minutes[lo:hi], lo

    def query(self, interval: str, start: int | None, end: int | None, limit: int) -> list[list]:
        lo = 0 if start is None else bisect.bisect_left(self._times, bucket(interval, start)[0])
        hi = len(self._times) if end is None else bisect.bisect_right(self._times, end)
        bars = self._aggregate(interval, self.minutes[lo:hi])
        if start is not None:
            bars = [b for b in bars if b[0].open_time >= start][:limit]
        else:
            bars = bars[-limit:]
        return [bar.row(close) for bar, close in bars]

    @staticmethod
    def _aggregate(interval: str, parts: list[Bar]) -> list[tuple[Bar, int]]:
        """Bars (in order, each within one `interval` bar: minute bars, or hour bars for an
        interval of hours or more) merged into `interval` bars: (bar, its close time) each."""
        bars: list[tuple[Bar, int]] = []
        for m in parts:
            open_time, close_time = bucket(interval, m.open_time)
            if bars and bars[-1][0].open_time == open_time:
                bars[-1][0].merge(m)
            else:
                agg = Bar(open_time, m.open)
                agg.merge(m)
                agg.open, agg.low, agg.high = m.open, m.low, m.high
                bars.append((agg, close_time))
        return bars
