"""Background market flow: market makers and takers trading through the same engine.

Makers keep LEVELS resting orders on each side around a mid price that random-walks one
level at a time; takers cross the spread with small MARKET and IOC LIMIT orders every tick.
The walk has a slowly wandering drift (an AR(1) "trend", pulled back toward the starting
price), so candles and tickers show runs and swings rather than flat noise.
Everything is drawn from one `random.Random` seeded from --seed, and prices are integer tick
counts turned into Decimal, so a given seed always produces the same order flow.

`shock` (admin `POST /sandbox/v1/prices`) jumps a symbol's mid: orders of real accounts left on
the wrong side of the new price are filled at their own prices (as in a gap), the makers
re-quote around the new mid, and one minimal maker/taker trade prints at the new price, so the
last price, tickers and candles show it at once. The walk then goes on from there (with no
trend; its slow pull toward the starting price stays).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from decimal import Decimal

from .accounts import Account, Registry
from .engine import Engine
from .errors import ApiError
from .records import BUY, SELL, Order, OrderRequest
from .symbols import ASSETS, SymbolSpec

LEVELS = 60  # more than the 50 levels a market page can show
INTERNAL_BALANCE = Decimal(10) ** 15


@dataclass(slots=True)
class _Quotes:
    spec: SymbolSpec
    mid: int  # in ticks
    trend: float = 0.0  # bias of the walk: P(up) - P(down) = 2 * trend
    bids: dict[int, Order] = field(default_factory=dict)  # price in ticks -> maker order
    asks: dict[int, Order] = field(default_factory=dict)


class MarketFlow:
    def __init__(self, engine: Engine, registry: Registry, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(f"flow:{seed}")
        funds = dict.fromkeys(ASSETS, INTERNAL_BALANCE)
        self.maker = registry.create_account("market-maker@sandbox.internal", funds, internal=True)
        self.taker = registry.create_account("market-taker@sandbox.internal", funds, internal=True)
        self.quotes = {
            sym: _Quotes(book.spec, int(book.spec.start_mid / book.spec.tick))
            for sym, book in sorted(engine.books.items())
        }
        self._n = 0

    def seed_book(self) -> None:
        for q in self.quotes.values():
            self._quote(q)

    def step(self) -> None:
        """One tick: move each mid, re-quote, and maybe send a taker order."""
        for q in self.quotes.values():
            move = self._move(q)
            q.mid = max(q.mid + move * q.spec.level_ticks, (LEVELS + 2) * q.spec.level_ticks)
            self._quote(q)
            self._take(q)

    def _move(self, q: _Quotes) -> int:
        start = float(q.spec.start_mid / q.spec.tick)
        pull = -0.01 * (q.mid / start - 1)  # back toward the starting price
        q.trend = max(-0.2, min(0.2, 0.995 * q.trend + self.rng.gauss(0, 0.004) + pull))
        r = self.rng.random()
        if r < 0.25 + q.trend:
            return 1
        if r < 0.5:
            return -1
        return 0

    def shock(self, symbol: str, price: Decimal) -> None:
        """Jump `symbol`'s mid to `price` (see the module docstring). ValueError when the
        price is off the tick grid or too low to keep LEVELS bids above zero."""
        q = self.quotes[symbol]
        ticks = price / q.spec.tick
        if ticks != ticks.to_integral_value():
            raise ValueError(f"price must be a multiple of the tick size {q.spec.tick}")
        lowest = (LEVELS + 2) * q.spec.level_ticks
        if ticks < lowest or price > q.spec.max_price:
            raise ValueError(
                f"price must be within {lowest * q.spec.tick} and {q.spec.max_price} for {symbol}"
            )
        for orders in (q.bids, q.asks):
            for level in sorted(orders):
                self._cancel(orders.pop(level))
        self._sweep(q, price)
        q.mid, q.trend = int(ticks), 0.0
        self._quote(q)
        self._print(q, price)

    def _sweep(self, q: _Quotes, price: Decimal) -> None:
        """Fill the bids above and the asks below `price`: a market that gaps there would."""
        book = self.engine.books[q.spec.symbol]
        for side, levels, crosses in (
            (SELL, book.bids, lambda best: best > price),
            (BUY, book.asks, lambda best: best < price),
        ):
            for _ in range(1000):  # bounded: an iceberg refills its level a slice at a time
                best = levels.best()
                if best is None or not crosses(best):
                    break
                self._send(self.maker, self._limit(q, side, "IOC", levels.totals[best], best))

    def _print(self, q: _Quotes, price: Decimal) -> None:
        """One minimal trade at `price`: nothing rests across it after the sweep, so the
        maker's offer either meets a bid at exactly `price` or rests for the taker to lift."""
        self._send(self.maker, self._limit(q, SELL, "GTC", q.spec.min_qty, price))
        self._send(self.taker, self._limit(q, BUY, "IOC", q.spec.min_qty, price))

    def _limit(self, q: _Quotes, side: str, tif: str, qty: Decimal, price: Decimal) -> OrderRequest:
        self._n += 1
        return OrderRequest(
            q.spec.symbol, side, "LIMIT", tif, qty, None, price, f"sh{self._n}", "NONE"
        )

    async def run(self, tick_ms: int) -> None:
        while True:
            await asyncio.sleep(tick_ms / 1000)
            self.step()

    def _quote(self, q: _Quotes) -> None:
        step = q.spec.level_ticks
        want_bids = {q.mid - step * (k + 1) for k in range(LEVELS)}
        want_asks = {q.mid + step * (k + 1) for k in range(LEVELS)}
        self._sync_side(q, q.bids, want_bids, BUY)
        self._sync_side(q, q.asks, want_asks, SELL)
        if self.rng.random() < 0.3:  # refresh one level's size so the book keeps changing
            side, orders = (BUY, q.bids) if self.rng.random() < 0.5 else (SELL, q.asks)
            if orders:
                ticks = self.rng.choice(sorted(orders))
                self._cancel(orders.pop(ticks))
                self._place_maker(q, orders, ticks, side)

    def _sync_side(self, q: _Quotes, orders: dict[int, Order], want: set[int], side: str) -> None:
        for ticks in sorted(orders):
            order = orders[ticks]
            if not order.is_open:
                del orders[ticks]
            elif ticks not in want:
                self._cancel(orders.pop(ticks))
        for ticks in sorted(want - orders.keys(), reverse=side == BUY):
            self._place_maker(q, orders, ticks, side)

    def _place_maker(self, q: _Quotes, orders: dict[int, Order], ticks: int, side: str) -> None:
        qty = self.rng.randint(*q.spec.maker_steps) * q.spec.step
        self._n += 1
        req = OrderRequest(
            q.spec.symbol,
            side,
            "LIMIT",
            "GTC",
            qty,
            None,
            ticks * q.spec.tick,
            f"mm{self._n}",
            "NONE",
        )
        order = self._send(self.maker, req)
        if order is not None and order.is_open:
            orders[ticks] = order

    def _take(self, q: _Quotes) -> None:
        if self.rng.random() >= 0.7:
            return
        side = self.rng.choice((BUY, SELL))
        qty = self.rng.randint(*q.spec.taker_steps) * q.spec.step
        self._n += 1
        if self.rng.random() < 0.8:
            req = OrderRequest(
                q.spec.symbol, side, "MARKET", "GTC", qty, None, None, f"tk{self._n}", "NONE"
            )
        else:
            offset = self.rng.randint(0, 2) * q.spec.level_ticks
            ticks = q.mid + offset if side == BUY else q.mid - offset
            req = OrderRequest(
                q.spec.symbol,
                side,
                "LIMIT",
                "IOC",
                qty,
                None,
                ticks * q.spec.tick,
                f"tk{self._n}",
                "NONE",
            )
        self._send(self.taker, req)

    def _send(self, acct: Account, req: OrderRequest) -> Order | None:
        try:
            return self.engine.place(acct, req).order
        except ApiError:
            return None  # e.g. a maker quote that would self-match; skip this tick

    def _cancel(self, order: Order) -> None:
        if order.is_open:
            self.engine.cancel(order.account, order.symbol, order.order_id, None, "mmcancel")
