"""The matching engine and market flow, driven directly (no HTTP)."""

from __future__ import annotations

import random
from decimal import Decimal as D

import pytest

from sandbox.accounts import Registry
from sandbox.clock import Clock
from sandbox.engine import Engine, OrderRequest
from sandbox.errors import ApiError
from sandbox.market import MarketFlow
from sandbox.symbols import SYMBOLS


class Recorder:
    def __init__(self) -> None:
        self.levels: list[tuple] = []
        self.reports: list[tuple[int, str, str]] = []

    def on_level(self, symbol, update_id, is_bid, price, qty) -> None:
        self.levels.append((update_id, is_bid, price, qty))

    def on_trade(self, *args) -> None:
        pass

    def on_agg_trade(self, *args) -> None:
        pass

    def on_order(self, order, exec_type, fill, time) -> None:
        self.reports.append((order.order_id, exec_type, order.status))

    def on_balances(self, *args) -> None:
        pass


@pytest.fixture
def world():
    reg = Registry(random.Random(1))
    rec = Recorder()
    engine = Engine([SYMBOLS["BTCUSD"]], Clock(), random.Random(2), rec)
    funds = {"USD": D(1_000_000), "BTC": D(100)}
    accts = [reg.create_account(f"{n}@x", dict(funds)) for n in ("a", "b", "c")]
    return engine, rec, accts


def limit(side: str, qty: str, price: str, tif: str = "GTC", **kw) -> OrderRequest:
    return OrderRequest("BTCUSD", side, "LIMIT", tif, D(qty), None, D(price), **kw)


def market(side: str, qty: str | None = None, quote: str | None = None) -> OrderRequest:
    return OrderRequest(
        "BTCUSD", side, "MARKET", "GTC", D(qty) if qty else None, D(quote) if quote else None
    )


def test_it_matches_in_price_time_priority(world) -> None:
    engine, _, (a, b, c) = world
    first = engine.place(a, limit("SELL", "1", "100")).order
    second = engine.place(b, limit("SELL", "1", "100")).order
    better = engine.place(b, limit("SELL", "1", "99")).order
    fills = engine.place(c, market("BUY", "2.5")).fills
    assert [(f.trade.price, f.trade.qty) for f in fills] == [
        (D(99), D(1)),
        (D(100), D(1)),
        (D(100), D("0.5")),
    ]
    assert [f.trade.trade_id for f in fills] == [1, 2, 3]
    assert (better.status, first.status, second.status) == ("FILLED", "FILLED", "PARTIALLY_FILLED")
    assert engine.books["BTCUSD"].asks.totals == {D(100): D("0.5")}


def test_it_settles_balances_with_commission(world) -> None:
    engine, _, (a, b, _) = world
    engine.place(a, limit("SELL", "2", "100"))
    assert (a.bal("BTC").free, a.bal("BTC").locked) == (D(98), D(2))
    engine.place(b, limit("BUY", "1", "101"))  # crosses at the maker's price, 100
    assert a.bal("BTC").locked == D(1)
    assert a.bal("USD").free == D(1_000_000) + D(100) - D("0.1")  # maker fee in USD
    assert b.bal("BTC").free == D(100) + D(1) - D("0.001")  # taker fee in BTC
    assert (b.bal("USD").free, b.bal("USD").locked) == (D(1_000_000) - D(100), D(0))


def test_it_cancels_and_releases_locked_funds(world) -> None:
    engine, rec, (a, _, _) = world
    order = engine.place(a, limit("BUY", "2", "50", client_order_id="mine")).order
    assert a.bal("USD").locked == D(100)
    engine.cancel(a, "BTCUSD", None, "mine")
    assert (a.bal("USD").free, a.bal("USD").locked) == (D(1_000_000), D(0))
    assert rec.reports[-1] == (order.order_id, "CANCELED", "CANCELED")
    with pytest.raises(ApiError) as exc:
        engine.cancel(a, "BTCUSD", order.order_id, None)
    assert exc.value.code == -2011


def test_it_handles_ioc_fok_and_quote_quantity(world) -> None:
    engine, _, (a, b, _) = world
    engine.place(a, limit("SELL", "1", "100"))
    fok = engine.place(b, limit("BUY", "2", "100", "FOK")).order
    assert (fok.status, fok.executed_qty) == ("EXPIRED", D(0))
    ioc = engine.place(b, limit("BUY", "2", "100", "IOC")).order
    assert (ioc.status, ioc.executed_qty) == ("EXPIRED", D(1))
    engine.place(a, limit("SELL", "1", "200"))
    quote = engine.place(b, market("BUY", quote="50")).order
    assert (quote.status, quote.executed_qty, quote.cum_quote) == ("FILLED", D("0.25"), D(50))
    assert b.bal("USD").locked == 0


def test_it_rejects_without_funds_and_duplicates(world) -> None:
    engine, _, (a, _, _) = world
    with pytest.raises(ApiError) as exc:
        engine.place(a, limit("BUY", "1", "2000000"))
    assert (exc.value.code, exc.value.msg) == (
        -2010,
        "Account has insufficient balance for requested action.",
    )
    engine.place(a, limit("BUY", "1", "10", client_order_id="dup"))
    with pytest.raises(ApiError):
        engine.place(a, limit("BUY", "1", "10", client_order_id="dup"))


def test_it_expires_own_maker_on_self_trade(world) -> None:
    engine, _, (a, b, _) = world
    own = engine.place(a, limit("SELL", "1", "100")).order
    engine.place(b, limit("SELL", "1", "101"))
    fills = engine.place(a, market("BUY", "1")).fills
    assert own.status == "EXPIRED_IN_MATCH"
    assert [f.trade.price for f in fills] == [D(101)]


def test_it_numbers_every_book_change(world) -> None:
    engine, rec, (a, b, _) = world
    engine.place(a, limit("SELL", "1", "100"))
    engine.place(a, limit("SELL", "1", "100"))
    engine.place(b, market("BUY", "1.5"))
    ids = [u for u, *_ in rec.levels]
    assert ids == list(range(1, len(ids) + 1))
    assert engine.books["BTCUSD"].update_id == ids[-1]
    assert rec.levels[-1][2:] == (D(100), D("0.5"))


def _flow_trades(seed: int, steps: int) -> list[tuple]:
    reg = Registry(random.Random(seed))
    engine = Engine(SYMBOLS.values(), Clock(), random.Random(seed))
    flow = MarketFlow(engine, reg, seed)
    flow.seed_book()
    for _ in range(steps):
        flow.step()
    return [
        (s, t.trade_id, t.price, t.qty, t.buyer_is_maker)
        for s, book in sorted(engine.books.items())
        for t in book.trades
    ]


def test_it_replays_the_same_flow_for_the_same_seed() -> None:
    first, again, other = _flow_trades(5, 60), _flow_trades(5, 60), _flow_trades(6, 60)
    assert len(first) > 50
    assert first == again
    assert first != other


def test_it_keeps_the_book_deep_and_uncrossed() -> None:
    reg = Registry(random.Random(1))
    engine = Engine(SYMBOLS.values(), Clock(), random.Random(1))
    flow = MarketFlow(engine, reg, 1)
    flow.seed_book()
    for _ in range(200):
        flow.step()
    for book in engine.books.values():
        assert len(book.bids.prices) >= 20 and len(book.asks.prices) >= 20
        assert book.bids.best() < book.asks.best()
