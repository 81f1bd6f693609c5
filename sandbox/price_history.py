"""Synthetic price history: days of trades per symbol before the sandbox opens (--history-days),
so that charts, klines and tickers have something to show on a fresh start.

Each symbol's price is walked backward in time from its starting price, so the last trade is at
exactly that price and the live market flow, which quotes around it, carries straight on. The
walk is in whole ticks: Gaussian steps with a slowly wandering drift (runs and swings rather
than flat noise) and a pull toward the starting price (a stationary walk looks the same run
backward, and it keeps days of history within a few percent of today's price). Every minute up
to the one the sandbox starts in has one or two trades, their quantities on the step grid and
above the minimum quantity and notional.

The trades reach the tape and the candles through `SymbolBook.new_trade` / `new_agg`, the path
the matching engine's own trades take, so /klines (every interval), /trades, /historicalTrades,
/aggTrades, /avgPrice and the tickers agree by construction. They are not streamed (nobody is
connected yet) and belong to no account: their buyer and seller orders only take order ids.

Every draw comes from a `random.Random` seeded with --seed and the market: a seed gives the same
prices, quantities and sides (and milliseconds within each minute) on every start; only the
minute the history ends in moves with the start time.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Iterable
from decimal import ROUND_CEILING
from typing import NamedTuple

from .klines import DAY, MINUTE
from .matching import SymbolBook
from .symbols import SymbolSpec

TRADES_PER_MINUTE = (1, 2)
DAILY_VOLATILITY = 0.03  # standard deviation of a day's noise, as a share of the price
PULL = 0.002  # share of the distance to the starting price made up per minute
TREND_MEMORY = 0.98  # per minute; the drift's own noise is TREND_NOISE of a minute's noise
TREND_NOISE = 0.08


class _Print(NamedTuple):
    minute: int  # minutes since the history's first
    ms: int  # within the minute
    ticks: int  # price in ticks
    steps: int  # quantity in steps
    taker_buy: bool


def fill(books: Iterable[SymbolBook], seed: int, now_ms: int, days: float) -> None:
    """Put `days` of trades on each book's (empty) tape, ending in the minute before `now_ms`."""
    minutes = int(days * DAY // MINUTE)
    if minutes <= 0:
        return
    first = now_ms - now_ms % MINUTE - minutes * MINUTE
    # Every object made here lives as long as the process: collecting meanwhile only costs
    # time (a tenth of it).
    gc.disable()
    try:
        for book in books:
            rng = random.Random(f"history:{seed}:{_market(book.spec)}")
            _record(book, first, _walk(book.spec, rng, minutes))
    finally:
        gc.enable()


def _market(spec: SymbolSpec) -> str:
    """What seeds a symbol's walk: a USD symbol and its USDT twin move alike (their starting
    prices differ a little), as they would on the exchange."""
    return spec.base + ("USD" if spec.quote in ("USD", "USDT") else spec.quote)


def _walk(spec: SymbolSpec, rng: random.Random, minutes: int) -> list[_Print]:
    """The trades of `minutes` minutes, oldest first, the last one at the starting price."""
    start = int(spec.start_mid / spec.tick)
    floor = max(int(spec.min_price / spec.tick), start // 2)
    ceiling = int(spec.max_price / spec.tick)
    sigma = start * DAILY_VOLATILITY / math.sqrt(DAY // MINUTE)
    least, most = _qty_steps(spec, floor)
    # Uniform draws through rng.random(): randint costs more than the rest of a trade's draw.
    sizes = most - least + 1
    fewest, spread = TRADES_PER_MINUTE[0], TRADES_PER_MINUTE[1] - TRADES_PER_MINUTE[0] + 1
    prints: list[_Print] = []
    ticks, trend = start, 0.0
    for minute in range(minutes - 1, -1, -1):
        trend = TREND_MEMORY * trend + rng.gauss(0, sigma * TREND_NOISE)
        # `move` is the step into each trade, so the trade before it was `move` lower.
        drift = trend + PULL * (ticks - start)
        n = fewest + int(rng.random() * spread)
        for ms in sorted((int(rng.random() * MINUTE) for _ in range(n)), reverse=True):
            move = round(rng.gauss(drift / n, sigma / math.sqrt(n)))
            taker_buy = move > 0 if move else rng.random() < 0.5  # an uptick lifted the ask
            steps = least + int(rng.random() * sizes)
            prints.append(_Print(minute, ms, ticks, steps, taker_buy))
            ticks = min(max(ticks - move, floor), ceiling)
    prints.reverse()
    return prints


def _qty_steps(spec: SymbolSpec, floor_ticks: int) -> tuple[int, int]:
    """The market takers' sizes in steps, raised to the minimum quantity and to the minimum
    notional at the lowest price the walk may reach."""
    least_price = floor_ticks * spec.tick
    for_notional = (spec.min_notional / (least_price * spec.step)).to_integral_value(ROUND_CEILING)
    least = max(spec.taker_steps[0], int(spec.min_qty / spec.step), int(for_notional))
    return least, max(least, spec.taker_steps[1])


def _record(book: SymbolBook, first: int, prints: list[_Print]) -> None:
    tick, step = book.spec.tick, book.spec.step
    for p in prints:
        buyer, seller = book.next_order_id, book.next_order_id + 1
        book.next_order_id += 2
        price = p.ticks * tick
        trade = book.new_trade(
            price,
            p.steps * step,
            first + p.minute * MINUTE + p.ms,
            p.taker_buy,
            buyer,
            seller,
            live=False,
        )
        book.new_agg([trade])
    book.klines.rebuild_live()
