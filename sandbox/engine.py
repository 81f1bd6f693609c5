"""The matching engine: one order book per symbol, price-time priority, Decimal arithmetic.

Independent of HTTP and WebSockets: callers hand it an `Account` and an `OrderRequest`; it
checks and locks funds, matches, settles balances (commission in the received asset) and
reports every change to a `Listener` (stream fan-out, user data streams).

Each book change (a price level's total changing) increments the symbol's update id, which is
what GET /depth reports as `lastUpdateId` and diff-depth events as `U`/`u`.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from . import errors
from .accounts import Account
from .book import BookSide
from .clock import Clock
from .decimals import ZERO, floor_to, q8
from .klines import KlineStore
from .symbols import AVG_PRICE_MINS, SymbolSpec
from .tape import Tape

BUY, SELL = "BUY", "SELL"
LIMIT, MARKET, LIMIT_MAKER = "LIMIT", "MARKET", "LIMIT_MAKER"
GTC, IOC, FOK = "GTC", "IOC", "FOK"
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")


@dataclass(eq=False, slots=True)
class Order:
    symbol: str
    order_id: int
    client_order_id: str
    account: Account
    side: str
    type: str
    time_in_force: str
    price: Decimal  # 0 for MARKET
    orig_qty: Decimal
    orig_quote_qty: Decimal
    stp_mode: str
    time: int
    update_time: int
    working_time: int
    executed_qty: Decimal = ZERO
    cum_quote: Decimal = ZERO
    status: str = "NEW"
    locked: Decimal = ZERO  # still locked for this order: quote asset if BUY, base if SELL
    on_book: bool = False
    cancel_client_id: str = ""  # the cancel request's client id, reported as "c" with "C"

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class Trade:
    trade_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    time: int
    buyer_is_maker: bool
    buyer_order_id: int
    seller_order_id: int


@dataclass(frozen=True, slots=True)
class AggTrade:
    agg_id: int
    price: Decimal
    qty: Decimal
    first_id: int
    last_id: int
    time: int
    buyer_is_maker: bool


@dataclass(frozen=True, slots=True)
class Fill:
    """One trade from one order's point of view."""

    trade: Trade
    commission: Decimal
    commission_asset: str
    is_maker: bool


@dataclass(slots=True)
class OrderRequest:
    symbol: str
    side: str
    type: str
    time_in_force: str = ""
    quantity: Decimal | None = None
    quote_qty: Decimal | None = None
    price: Decimal | None = None
    client_order_id: str | None = None
    stp_mode: str = "EXPIRE_MAKER"


@dataclass(slots=True)
class PlaceResult:
    order: Order
    fills: list[Fill]


@dataclass(slots=True)
class Plan:
    """What an incoming order would do against the book, computed before touching anything."""

    fills: list[tuple[Order, Decimal, Decimal]] = field(default_factory=list)
    expired_makers: list[Order] = field(default_factory=list)
    stp_taker: bool = False
    qty: Decimal = ZERO
    quote: Decimal = ZERO


class Listener(Protocol):
    def on_level(
        self, symbol: str, update_id: int, is_bid: bool, price: Decimal, qty: Decimal
    ) -> None: ...

    def on_trade(self, symbol: str, trade: Trade) -> None: ...

    def on_agg_trade(self, symbol: str, agg: AggTrade) -> None: ...

    def on_order(self, order: Order, exec_type: str, fill: Fill | None, time: int) -> None: ...

    def on_balances(self, account: Account, assets: Iterable[str], time: int) -> None: ...


class NullListener:
    def on_level(self, *args: object) -> None:
        pass

    def on_trade(self, *args: object) -> None:
        pass

    def on_agg_trade(self, *args: object) -> None:
        pass

    def on_order(self, *args: object) -> None:
        pass

    def on_balances(self, *args: object) -> None:
        pass


class SymbolBook:
    def __init__(self, spec: SymbolSpec) -> None:
        self.spec = spec
        self.bids = BookSide(True)
        self.asks = BookSide(False)
        self.update_id = 0
        self.next_order_id = 1
        self.next_trade_id = 1
        self.next_agg_id = 1
        self.orders: dict[int, Order] = {}  # open orders, plus closed ones of real accounts
        self.klines = KlineStore()
        self.tape = Tape(self.klines)  # the last TRADES_KEPT trades and aggregate trades

    @property
    def trades(self) -> list[Trade]:
        """The kept trades, oldest first."""
        return self.tape.trades

    def side(self, is_bid: bool) -> BookSide:
        return self.bids if is_bid else self.asks


class _Changes:
    """Accounts and assets whose balances changed during one engine call."""

    def __init__(self) -> None:
        self.by_account: dict[int, tuple[Account, set[str]]] = {}

    def add(self, acct: Account, *assets: str) -> None:
        entry = self.by_account.get(acct.account_id)
        if entry is None:
            entry = self.by_account[acct.account_id] = (acct, set())
        entry[1].update(assets)


class Engine:
    def __init__(
        self,
        specs: Iterable[SymbolSpec],
        clock: Clock,
        rng: random.Random,
        listener: Listener | None = None,
    ) -> None:
        self.books = {s.symbol: SymbolBook(s) for s in specs}
        self.clock = clock
        self.listener: Listener = listener or NullListener()
        self._rng = rng
        # account id -> {(symbol, orderId): order} for open orders
        self._open: dict[int, dict[tuple[str, int], Order]] = {}
        # (account id, symbol) -> {clientOrderId: latest order with that id}
        self._by_client: dict[tuple[int, str], dict[str, Order]] = {}

    # ---- queries -------------------------------------------------------------------------

    def find(
        self, acct: Account, symbol: str, order_id: int | None, client_id: str | None
    ) -> Order | None:
        book = self.books[symbol]
        if order_id is not None:
            order = book.orders.get(order_id)
            if order is None or order.account is not acct:
                return None
            if client_id is not None and order.client_order_id != client_id:
                return None
            return order
        return self._by_client.get((acct.account_id, symbol), {}).get(client_id or "")

    def open_orders(self, acct: Account, symbol: str | None = None) -> list[Order]:
        orders = self._open.get(acct.account_id, {}).values()
        picked = [o for o in orders if symbol is None or o.symbol == symbol]
        return sorted(picked, key=lambda o: (o.time, o.symbol, o.order_id))

    def open_count(self, acct: Account, symbol: str) -> int:
        return sum(1 for o in self._open.get(acct.account_id, {}).values() if o.symbol == symbol)

    def avg_price(self, symbol: str) -> Decimal | None:
        """Volume-weighted price over the last AVG_PRICE_MINS minutes, else the last price."""
        trades = self.books[symbol].tape.trades
        if not trades:
            return None
        since = self.clock.now_ms() - AVG_PRICE_MINS * 60_000
        qty = quote = ZERO
        for t in reversed(trades):
            if t.time < since:
                break
            qty += t.qty
            quote += t.quote_qty
        return q8(quote / qty) if qty else trades[-1].price

    def last_price(self, symbol: str) -> Decimal | None:
        last = self.books[symbol].tape.last()
        return last.price if last else None

    # ---- placing ---------------------------------------------------------------------------

    def place(self, acct: Account, req: OrderRequest) -> PlaceResult:
        book = self.books[req.symbol]
        now = self.clock.now_ms()
        cid = req.client_order_id or self.new_client_id()
        existing = self._by_client.get((acct.account_id, req.symbol), {}).get(cid)
        if existing is not None and existing.is_open:
            raise errors.new_order_rejected("Duplicate order sent.")
        taker = Order(
            req.symbol,
            0,
            cid,
            acct,
            req.side,
            req.type,
            req.time_in_force,
            req.price or ZERO,
            req.quantity or ZERO,
            req.quote_qty or ZERO,
            req.stp_mode,
            now,
            now,
            now,
        )
        plan = self._plan(book, taker)
        if req.type == LIMIT_MAKER and (plan.fills or plan.expired_makers):
            raise errors.new_order_rejected("Order would immediately match and take.")
        if req.time_in_force == FOK and plan.qty < taker.orig_qty:
            plan = Plan()  # fill-or-kill: nothing executes, the order expires
        asset, need = self._funds_needed(book.spec, taker, plan)
        if acct.bal(asset).free < need:
            raise errors.insufficient_balance()
        if req.quote_qty is not None:
            taker.orig_qty = plan.qty  # quoteOrderQty: the quantity is what the book gives
        taker.order_id = book.next_order_id
        book.next_order_id += 1
        changes = _Changes()
        acct.lock(asset, need)
        taker.locked = need
        changes.add(acct, asset)
        self._track(book, taker)
        self.listener.on_order(taker, "NEW", None, now)
        fills = self._execute(book, taker, plan, now, changes)
        self._finish_taker(book, taker, plan, now, changes)
        self._flush(changes, now)
        return PlaceResult(taker, fills)

    def new_client_id(self) -> str:
        return "".join(self._rng.choices(string.ascii_letters + string.digits, k=22))

    def _plan(self, book: SymbolBook, o: Order) -> Plan:
        plan = Plan()
        opp = book.asks if o.side == BUY else book.bids
        by_quote = o.orig_quote_qty > 0
        left = o.orig_quote_qty if by_quote else o.orig_qty
        for price in opp.best_first():
            if o.type != MARKET and (price > o.price if o.side == BUY else price < o.price):
                break
            for maker in opp.levels[price]:
                if maker.account is o.account and o.stp_mode != "NONE":
                    if o.stp_mode in ("EXPIRE_MAKER", "EXPIRE_BOTH"):
                        plan.expired_makers.append(maker)
                    if o.stp_mode in ("EXPIRE_TAKER", "EXPIRE_BOTH"):
                        plan.stp_taker = True
                        return plan
                    continue
                want = floor_to(left / price, book.spec.step) if by_quote else left
                qty = min(maker.remaining, want)
                if qty <= 0:
                    return plan
                plan.fills.append((maker, price, qty))
                plan.qty += qty
                plan.quote += price * qty
                left -= price * qty if by_quote else qty
                if left <= 0:
                    return plan
        return plan

    @staticmethod
    def _funds_needed(spec: SymbolSpec, o: Order, plan: Plan) -> tuple[str, Decimal]:
        if o.side == BUY:
            if o.type == MARKET:
                return spec.quote, (o.orig_quote_qty if o.orig_quote_qty > 0 else plan.quote)
            return spec.quote, o.price * o.orig_qty
        if o.orig_quote_qty > 0:
            return spec.base, plan.qty
        return spec.base, o.orig_qty

    def _execute(
        self, book: SymbolBook, taker: Order, plan: Plan, now: int, changes: _Changes
    ) -> list[Fill]:
        for maker in plan.expired_makers:
            self._remove(book, maker, "EXPIRED_IN_MATCH", "TRADE_PREVENTION", now, changes)
        fills: list[Fill] = []
        agg: list[Trade] = []
        for maker, price, qty in plan.fills:
            trade = self._trade(book, taker, maker, price, qty, now)
            maker_fill = self._settle(book.spec, maker, trade, True, changes)
            side = book.side(maker.side == BUY)
            total = side.reduce(maker, qty, remove=maker.remaining == 0)
            self._level(book, maker.side == BUY, price, total)
            if maker.remaining == 0:
                self._close(maker, changes)
            self.listener.on_order(maker, "TRADE", maker_fill, now)
            fill = self._settle(book.spec, taker, trade, False, changes)
            self.listener.on_order(taker, "TRADE", fill, now)
            fills.append(fill)
            if agg and agg[-1].price != price:
                self._emit_agg(book, agg)
                agg = []
            agg.append(trade)
        if agg:
            self._emit_agg(book, agg)
        return fills

    def _trade(
        self, book: SymbolBook, taker: Order, maker: Order, price: Decimal, qty: Decimal, now: int
    ) -> Trade:
        buyer, seller = (taker, maker) if taker.side == BUY else (maker, taker)
        trade = Trade(
            book.next_trade_id,
            price,
            qty,
            price * qty,
            now,
            maker.side == BUY,
            buyer.order_id,
            seller.order_id,
        )
        book.next_trade_id += 1
        book.tape.add_trade(trade)
        book.klines.add(now, price, qty, trade.quote_qty, taker.side == BUY, trade.trade_id)
        self.listener.on_trade(book.spec.symbol, trade)
        return trade

    def _emit_agg(self, book: SymbolBook, trades: list[Trade]) -> None:
        first = trades[0]
        qty = sum((t.qty for t in trades), ZERO)
        agg = AggTrade(
            book.next_agg_id,
            first.price,
            qty,
            first.trade_id,
            trades[-1].trade_id,
            first.time,
            first.buyer_is_maker,
        )
        book.next_agg_id += 1
        book.tape.add_agg(agg)
        self.listener.on_agg_trade(book.spec.symbol, agg)

    @staticmethod
    def _settle(
        spec: SymbolSpec, o: Order, trade: Trade, is_maker: bool, changes: _Changes
    ) -> Fill:
        acct = o.account
        rate = acct.maker_rate if is_maker else acct.taker_rate
        if o.side == BUY:
            acct.bal(spec.quote).locked -= trade.quote_qty
            o.locked -= trade.quote_qty
            commission, asset = q8(trade.qty * rate), spec.base
            acct.bal(spec.base).free += trade.qty - commission
        else:
            acct.bal(spec.base).locked -= trade.qty
            o.locked -= trade.qty
            commission, asset = q8(trade.quote_qty * rate), spec.quote
            acct.bal(spec.quote).free += trade.quote_qty - commission
        o.executed_qty += trade.qty
        o.cum_quote += trade.quote_qty
        o.update_time = trade.time
        o.status = "FILLED" if o.remaining <= 0 else "PARTIALLY_FILLED"
        changes.add(acct, spec.base, spec.quote)
        return Fill(trade, commission, asset, is_maker)

    def _finish_taker(
        self, book: SymbolBook, o: Order, plan: Plan, now: int, changes: _Changes
    ) -> None:
        if o.orig_qty > 0 and o.remaining <= 0:
            self._close(o, changes)
            return
        rests = (
            o.type in (LIMIT, LIMIT_MAKER) and o.time_in_force in (GTC, "") and not (plan.stp_taker)
        )
        if rests:
            side = book.side(o.side == BUY)
            total = side.add(o)
            o.on_book = True
            self._level(book, o.side == BUY, o.price, total)
            return
        status, exec_type = (
            ("EXPIRED_IN_MATCH", "TRADE_PREVENTION") if plan.stp_taker else ("EXPIRED", "EXPIRED")
        )
        o.status = status
        o.update_time = now
        self._close(o, changes)
        self.listener.on_order(o, exec_type, None, now)

    # ---- cancelling ------------------------------------------------------------------------

    def cancel(
        self,
        acct: Account,
        symbol: str,
        order_id: int | None,
        client_id: str | None,
        cancel_client_id: str | None = None,
    ) -> Order:
        order = self.find(acct, symbol, order_id, client_id)
        if order is None or not order.is_open:
            raise errors.cancel_rejected("Unknown order sent.")
        order.cancel_client_id = cancel_client_id or self.new_client_id()
        now = self.clock.now_ms()
        changes = _Changes()
        self._remove(self.books[symbol], order, "CANCELED", "CANCELED", now, changes)
        self._flush(changes, now)
        return order

    def _remove(
        self, book: SymbolBook, o: Order, status: str, exec_type: str, now: int, changes: _Changes
    ) -> None:
        """Take a resting order off the book with a final status and report it."""
        if o.on_book:
            side = book.side(o.side == BUY)
            total = side.reduce(o, o.remaining, remove=True)
            self._level(book, o.side == BUY, o.price, total)
        o.status = status
        o.update_time = now
        self._close(o, changes)
        self.listener.on_order(o, exec_type, None, now)

    # ---- bookkeeping -----------------------------------------------------------------------

    def _level(self, book: SymbolBook, is_bid: bool, price: Decimal, total: Decimal) -> None:
        book.update_id += 1
        self.listener.on_level(book.spec.symbol, book.update_id, is_bid, price, total)

    def _track(self, book: SymbolBook, o: Order) -> None:
        book.orders[o.order_id] = o
        self._open.setdefault(o.account.account_id, {})[(o.symbol, o.order_id)] = o
        self._by_client.setdefault((o.account.account_id, o.symbol), {})[o.client_order_id] = o

    def _close(self, o: Order, changes: _Changes) -> None:
        """The order left the book for good: release what is still locked, drop indexes."""
        o.on_book = False
        if o.locked:
            spec = self.books[o.symbol].spec
            asset = spec.quote if o.side == BUY else spec.base
            o.account.unlock(asset, o.locked)
            o.locked = ZERO
            changes.add(o.account, asset)
        self._open.get(o.account.account_id, {}).pop((o.symbol, o.order_id), None)
        if o.account.internal:
            # Market-flow orders are never queried after the fact; don't let them pile up.
            self.books[o.symbol].orders.pop(o.order_id, None)
            by_client = self._by_client.get((o.account.account_id, o.symbol), {})
            if by_client.get(o.client_order_id) is o:
                del by_client[o.client_order_id]

    def _flush(self, changes: _Changes, now: int) -> None:
        for acct, assets in changes.by_account.values():
            acct.update_time = now
            self.listener.on_balances(acct, assets, now)
