"""The matching engine: one order book per symbol, price-time priority, Decimal arithmetic.

Independent of HTTP and WebSockets: callers hand it an `Account` and an `OrderRequest`; it
checks and locks funds, matches, settles balances (commission in the received asset) and
reports every change to a `Listener` (stream fan-out, user data streams).

Beyond plain LIMIT/MARKET/LIMIT_MAKER it runs stop and take-profit orders (plain and trailing,
see triggers.py) off the book until the last trade price triggers them, iceberg orders (only
`icebergQty` shows on the book; a used-up slice is refilled at the back of its level), OCO order
lists, and self-trade prevention with prevented matches recorded. Every account's orders,
trades and prevented matches are kept in `history` (capped for the market-flow accounts).

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

from . import errors, triggers
from .accounts import Account
from .book import BookSide
from .clock import Clock
from .decimals import ZERO, floor_to, q8
from .history import History
from .klines import KlineStore
from .symbols import AVG_PRICE_MINS, SymbolSpec
from .tape import Tape

BUY, SELL = "BUY", "SELL"
LIMIT, MARKET, LIMIT_MAKER = "LIMIT", "MARKET", "LIMIT_MAKER"
STOP_LOSS, STOP_LOSS_LIMIT = "STOP_LOSS", "STOP_LOSS_LIMIT"
TAKE_PROFIT, TAKE_PROFIT_LIMIT = "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"
GTC, IOC, FOK = "GTC", "IOC", "FOK"
OPEN_STATUSES = ("NEW", "PARTIALLY_FILLED")
EXPIRE_MAKER, EXPIRE_TAKER, EXPIRE_BOTH = "EXPIRE_MAKER", "EXPIRE_TAKER", "EXPIRE_BOTH"
NOT_WORKING = -1  # workingTime / trailingTime of an order that is not (yet) working / tracking


@dataclass(eq=False, slots=True)
class Order:
    symbol: str
    order_id: int
    client_order_id: str
    account: Account
    side: str
    type: str
    time_in_force: str
    price: Decimal  # 0 for MARKET and STOP_LOSS / TAKE_PROFIT
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
    stop_price: Decimal = ZERO
    trailing_delta: int = 0  # BIPS; 0 for a plain (non-trailing) order
    trailing_time: int = NOT_WORKING  # when trailing price tracking began
    extreme: Decimal | None = None  # trailing: best trade price seen while tracking
    iceberg_qty: Decimal = ZERO
    shown: Decimal = ZERO  # iceberg: the slice on the book now
    is_working: bool = True  # False while a stop order waits for its trigger
    order_list: OrderList | None = None
    prevented_match_id: int = -1  # the last prevented match that expired this order
    prevented_qty: Decimal = ZERO
    last_prevented_qty: Decimal = ZERO
    counter_order_id: int = -1

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    @property
    def visible(self) -> Decimal:
        """What the book shows of this order."""
        return self.shown if self.iceberg_qty > 0 else self.remaining

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def working_type(self) -> str:
        """What the order works as on the book: MARKET for STOP_LOSS / TAKE_PROFIT."""
        if self.type in (MARKET, STOP_LOSS, TAKE_PROFIT):
            return MARKET
        return LIMIT_MAKER if self.type == LIMIT_MAKER else LIMIT

    @property
    def order_list_id(self) -> int:
        return self.order_list.list_id if self.order_list else -1


@dataclass(eq=False, slots=True)
class OrderList:
    """An OCO: a stop leg and a LIMIT_MAKER leg sharing one quantity and one lock."""

    list_id: int
    list_client_id: str
    symbol: str
    account: Account
    orders: list[Order]  # stop leg first, as the exchange lists them
    transaction_time: int
    status_type: str = "EXEC_STARTED"
    order_status: str = "EXECUTING"
    cancel_client_id: str = ""

    @property
    def is_open(self) -> bool:
        return self.status_type == "EXEC_STARTED"


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


@dataclass(frozen=True, slots=True)
class AccountTrade:
    """One trade from one account's point of view (GET /api/v3/myTrades)."""

    symbol: str
    trade_id: int
    order_id: int
    order_list_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool


@dataclass(frozen=True, slots=True)
class PreventedMatch:
    """A match self-trade prevention stopped (GET /api/v3/myPreventedMatches)."""

    symbol: str
    prevented_match_id: int
    taker_order_id: int
    maker_order_id: int
    stp_mode: str
    price: Decimal
    taker_prevented_qty: Decimal | None  # set when the taker expired (EXPIRE_TAKER/BOTH)
    maker_prevented_qty: Decimal | None  # set when the maker expired (EXPIRE_MAKER/BOTH)
    transact_time: int


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
    stp_mode: str = EXPIRE_MAKER
    stop_price: Decimal | None = None
    trailing_delta: int | None = None
    iceberg_qty: Decimal | None = None


@dataclass(slots=True)
class PlaceResult:
    order: Order
    fills: list[Fill]
    prevented: list[PreventedMatch] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    """What an incoming order would do against the book, computed before touching anything.
    Each step is (maker, price, qty); qty None is a match self-trade prevention stops."""

    steps: list[tuple[Order, Decimal, Decimal | None]] = field(default_factory=list)
    stp_taker: bool = False
    qty: Decimal = ZERO
    quote: Decimal = ZERO
    book_short: bool = False  # the book (or the limit price) ran out before the order did


class Listener(Protocol):
    def on_level(
        self, symbol: str, update_id: int, is_bid: bool, price: Decimal, qty: Decimal
    ) -> None: ...

    def on_trade(self, symbol: str, trade: Trade) -> None: ...

    def on_agg_trade(self, symbol: str, agg: AggTrade) -> None: ...

    def on_order(self, order: Order, exec_type: str, fill: Fill | None, time: int) -> None: ...

    def on_list_status(self, order_list: OrderList, time: int) -> None: ...

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

    def on_list_status(self, *args: object) -> None:
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
        self.next_prevented_id = 1
        self.orders: dict[int, Order] = {}  # open orders, plus closed ones of real accounts
        self.stops: list[Order] = []  # contingent orders waiting for their trigger
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
        self.history = History()
        self._rng = rng
        # account id -> {(symbol, orderId): order} for open orders
        self._open: dict[int, dict[tuple[str, int], Order]] = {}
        # (account id, symbol) -> {clientOrderId: latest order with that id}
        self._by_client: dict[tuple[int, str], dict[str, Order]] = {}
        self.lists: dict[int, OrderList] = {}  # orderListId -> list (closed ones of real accounts)
        self._open_lists: dict[int, dict[int, OrderList]] = {}  # account id -> open lists
        self.next_list_id = 1
        self._prices: list[tuple[str, Decimal]] = []  # trade prices the triggers have not seen
        self._draining = False

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

    def open_lists(self, acct: Account) -> list[OrderList]:
        return sorted(self._open_lists.get(acct.account_id, {}).values(), key=lambda x: x.list_id)

    def find_list(
        self, acct: Account, list_id: int | None, list_client_id: str | None
    ) -> OrderList | None:
        if list_id is not None:
            found = self.lists.get(list_id)
            return found if found is not None and found.account is acct else None
        for lst in reversed(self.history.lists_of(acct).rows):
            if lst.list_client_id == list_client_id:
                return lst
        return None

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
        taker = self._new_order(acct, req, now)
        if req.type in triggers.STOP_TYPES:
            self._check_stop(book, taker)
            return self._place_contingent(book, taker, now)
        plan = self._plan(book, taker)
        if req.type == LIMIT_MAKER and plan.steps:
            raise errors.new_order_rejected("Order would immediately match and take.")
        if req.time_in_force == FOK and plan.qty < taker.orig_qty:
            plan = Plan()  # fill-or-kill: nothing executes, the order expires
        asset, need = self._funds_needed(book.spec, taker, plan)
        if acct.bal(asset).free < need:
            raise errors.insufficient_balance()
        if req.quote_qty is not None:
            taker.orig_qty = plan.qty  # quoteOrderQty: the quantity is what the book gives
        changes = _Changes()
        self._accept(book, taker, asset, need, changes)
        self.listener.on_order(taker, "NEW", None, now)
        result = self._work(book, taker, plan, now, changes)
        self._drain(now, changes)
        self._flush(changes, now)
        return result

    def new_client_id(self) -> str:
        return "".join(self._rng.choices(string.ascii_letters + string.digits, k=22))

    def _new_order(self, acct: Account, req: OrderRequest, now: int) -> Order:
        cid = req.client_order_id or self.new_client_id()
        self._check_client_id(acct, req.symbol, cid)
        o = Order(
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
            stop_price=req.stop_price or ZERO,
            trailing_delta=req.trailing_delta or 0,
            iceberg_qty=req.iceberg_qty or ZERO,
        )
        o.shown = min(o.iceberg_qty, o.orig_qty)
        return o

    def _check_client_id(self, acct: Account, symbol: str, cid: str) -> None:
        existing = self._by_client.get((acct.account_id, symbol), {}).get(cid)
        if existing is not None and existing.is_open:
            raise errors.new_order_rejected("Duplicate order sent.")

    def _accept(
        self, book: SymbolBook, o: Order, asset: str, need: Decimal, changes: _Changes
    ) -> None:
        o.order_id = book.next_order_id
        book.next_order_id += 1
        o.account.lock(asset, need)
        o.locked = need
        changes.add(o.account, asset)
        self._track(book, o)

    def _work(
        self, book: SymbolBook, taker: Order, plan: Plan, now: int, changes: _Changes
    ) -> PlaceResult:
        """Run a plan for an order just accepted (or just triggered)."""
        result = PlaceResult(taker, [])
        self._execute(book, taker, plan, now, changes, result)
        self._finish_taker(book, taker, plan, now, changes)
        return result

    def _plan(self, book: SymbolBook, o: Order) -> Plan:
        plan = Plan()
        opp = book.asks if o.side == BUY else book.bids
        by_quote = o.orig_quote_qty > 0
        left = o.orig_quote_qty if by_quote else o.remaining
        limited = o.working_type != MARKET
        for price in opp.best_first():
            if limited and (price > o.price if o.side == BUY else price < o.price):
                break
            # The level as the taker meets it: iceberg slices refill at the back.
            queue = [(m, m.visible) for m in opp.levels[price]]
            hidden: dict[int, Decimal] = {}
            i = 0
            while i < len(queue):
                maker, shown = queue[i]
                i += 1
                if maker.account is o.account and o.stp_mode != "NONE":
                    plan.steps.append((maker, price, None))
                    if o.stp_mode in (EXPIRE_TAKER, EXPIRE_BOTH):
                        plan.stp_taker = True
                        return plan
                    continue
                want = floor_to(left / price, book.spec.step) if by_quote else left
                qty = min(shown, want)
                if qty <= 0:
                    return plan
                plan.steps.append((maker, price, qty))
                plan.qty += qty
                plan.quote += price * qty
                left -= price * qty if by_quote else qty
                if qty == shown and maker.iceberg_qty > 0:
                    rest = hidden.get(id(maker), maker.remaining - maker.visible)
                    if rest > 0:
                        hidden[id(maker)] = rest - min(maker.iceberg_qty, rest)
                        queue.append((maker, min(maker.iceberg_qty, rest)))
                if left <= 0:
                    return plan
        plan.book_short = True
        return plan

    @staticmethod
    def _funds_needed(spec: SymbolSpec, o: Order, plan: Plan) -> tuple[str, Decimal]:
        if o.side == BUY:
            if o.working_type == MARKET:
                return spec.quote, (o.orig_quote_qty if o.orig_quote_qty > 0 else plan.quote)
            return spec.quote, o.price * o.orig_qty
        if o.orig_quote_qty > 0:
            return spec.base, plan.qty
        return spec.base, o.orig_qty

    def _execute(
        self,
        book: SymbolBook,
        taker: Order,
        plan: Plan,
        now: int,
        changes: _Changes,
        result: PlaceResult,
    ) -> None:
        agg: list[Trade] = []
        for maker, price, qty in plan.steps:
            if qty is None:
                result.prevented.append(self._prevent(book, taker, maker, price, now, changes))
                continue
            trade = self._trade(book, taker, maker, price, qty, now)
            maker_fill = self._settle(book.spec, maker, trade, True, changes)
            self._take_from_book(book, maker, qty)
            if maker.remaining == 0:
                self._close(maker, changes)
            self.listener.on_order(maker, "TRADE", maker_fill, now)
            self._leg_executed(maker, now, changes)
            fill = self._settle(book.spec, taker, trade, False, changes)
            self.listener.on_order(taker, "TRADE", fill, now)
            result.fills.append(fill)
            if agg and agg[-1].price != price:
                self._emit_agg(book, agg)
                agg = []
            agg.append(trade)
        if agg:
            self._emit_agg(book, agg)
        if result.fills:
            self._leg_executed(taker, now, changes)

    def _take_from_book(self, book: SymbolBook, maker: Order, qty: Decimal) -> None:
        """Take `qty` off a resting maker; a used-up iceberg slice refills at the back."""
        side = book.side(maker.side == BUY)
        if maker.iceberg_qty > 0:
            maker.shown -= qty
        gone = maker.remaining == 0 or (maker.iceberg_qty > 0 and maker.shown == 0)
        total = side.reduce(maker, qty, remove=gone)
        if maker.remaining == 0:
            maker.on_book = False
        elif gone:
            maker.shown = min(maker.iceberg_qty, maker.remaining)
            total = side.add(maker)
        self._level(book, maker.side == BUY, maker.price, total)

    def _prevent(
        self,
        book: SymbolBook,
        taker: Order,
        maker: Order,
        price: Decimal,
        now: int,
        changes: _Changes,
    ) -> PreventedMatch:
        mode = taker.stp_mode
        taker_qty = maker_qty = None
        if mode in (EXPIRE_TAKER, EXPIRE_BOTH):
            taker_qty = taker.remaining
            if taker.orig_quote_qty > 0:
                left = taker.orig_quote_qty - taker.cum_quote
                taker_qty = floor_to(left / price, book.spec.step)
        if mode in (EXPIRE_MAKER, EXPIRE_BOTH):
            maker_qty = maker.remaining
        pm = PreventedMatch(
            book.spec.symbol,
            book.next_prevented_id,
            taker.order_id,
            maker.order_id,
            mode,
            price,
            taker_qty,
            maker_qty,
            now,
        )
        book.next_prevented_id += 1
        self.history.add_prevented(taker.account, book.spec.symbol, pm.prevented_match_id, pm)
        if taker_qty is not None:
            _mark_prevented(taker, pm.prevented_match_id, taker_qty, maker.order_id)
        if maker_qty is not None:
            _mark_prevented(maker, pm.prevented_match_id, maker_qty, taker.order_id)
            self._remove(book, maker, "EXPIRED_IN_MATCH", "TRADE_PREVENTION", now, changes)
            self._leg_executed(maker, now, changes)
        return pm

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
        if book.stops:
            self._prices.append((book.spec.symbol, price))
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

    def _settle(
        self, spec: SymbolSpec, o: Order, trade: Trade, is_maker: bool, changes: _Changes
    ) -> Fill:
        acct = o.account
        rate = acct.rate(spec.symbol, is_maker)
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
        row = AccountTrade(
            spec.symbol,
            trade.trade_id,
            o.order_id,
            o.order_list_id,
            trade.price,
            trade.qty,
            trade.quote_qty,
            commission,
            asset,
            trade.time,
            o.side == BUY,
            is_maker,
        )
        self.history.add_trade(acct, spec.symbol, trade.trade_id, row)
        return Fill(trade, commission, asset, is_maker)

    def _finish_taker(
        self, book: SymbolBook, o: Order, plan: Plan, now: int, changes: _Changes
    ) -> None:
        if o.orig_qty > 0 and o.remaining <= 0 and o.orig_quote_qty == 0:
            self._close(o, changes)
            return
        if o.orig_quote_qty > 0 and o.remaining <= 0 and not plan.book_short:
            self._close(o, changes)
            return
        rests = o.working_type != MARKET and o.time_in_force == GTC and not plan.stp_taker
        if rests:
            o.shown = min(o.iceberg_qty, o.remaining)
            total = book.side(o.side == BUY).add(o)
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

    # ---- contingent orders -------------------------------------------------------------------

    def _check_stop(self, book: SymbolBook, o: Order) -> None:
        last = self.last_price(book.spec.symbol)
        if (
            o.stop_price
            and last is not None
            and triggers.stop_met(o.type, o.side, o.stop_price, last)
        ):
            raise errors.new_order_rejected("Order would trigger immediately.")

    def _stop_funds(self, spec: SymbolSpec, o: Order) -> tuple[str, Decimal]:
        """What a waiting stop order locks: what its working order will need. A BUY that
        works as MARKET has no price to lock by; its funds are checked when it triggers."""
        if o.side == SELL:
            return spec.base, o.orig_qty
        if o.working_type == MARKET:
            return spec.quote, ZERO
        return spec.quote, o.price * o.orig_qty

    def _place_contingent(self, book: SymbolBook, o: Order, now: int) -> PlaceResult:
        asset, need = self._stop_funds(book.spec, o)
        if o.account.bal(asset).free < need:
            raise errors.insufficient_balance()
        changes = _Changes()
        self._accept(book, o, asset, need, changes)
        self._wait(book, o, now)
        self.listener.on_order(o, "NEW", None, now)
        self._flush(changes, now)
        return PlaceResult(o, [])

    def _wait(self, book: SymbolBook, o: Order, now: int) -> None:
        o.is_working = False
        o.working_time = NOT_WORKING
        if o.trailing_delta and not o.stop_price:
            triggers.start_tracking(o, self.last_price(o.symbol), now)
        book.stops.append(o)

    def _drain(self, now: int, changes: _Changes) -> None:
        """Feed new trade prices to waiting orders; triggered ones trade and may add more."""
        if self._draining:
            return
        self._draining = True
        try:
            while self._prices:
                symbol, price = self._prices.pop(0)
                book = self.books[symbol]
                fired = [o for o in book.stops if triggers.fires(o, price, now)]
                for o in fired:
                    if o in book.stops:
                        self._trigger(book, o, now, changes)
        finally:
            self._draining = False

    def _trigger(self, book: SymbolBook, o: Order, now: int, changes: _Changes) -> None:
        book.stops.remove(o)
        lst = o.order_list
        if lst is not None:
            self._end_other_legs(lst, o, "EXPIRED", now, changes)
        o.is_working = True
        o.working_time = o.update_time = now
        self.listener.on_order(o, "NEW", None, now)
        plan = self._plan(book, o)
        if o.time_in_force == FOK and plan.qty < o.orig_qty:
            plan = Plan()
        if not self._fund_trigger(book.spec, o, plan, changes):
            o.status, o.update_time = "EXPIRED", now
            self._close(o, changes)
            self.listener.on_order(o, "EXPIRED", None, now)
            return
        self._work(book, o, plan, now, changes)

    def _fund_trigger(self, spec: SymbolSpec, o: Order, plan: Plan, changes: _Changes) -> bool:
        """Lock what a triggered order needs beyond what it already holds."""
        asset, need = self._funds_needed(spec, o, plan)
        extra = need - o.locked
        if extra <= 0:
            return True
        if o.account.bal(asset).free < extra:
            return False
        o.account.lock(asset, extra)
        o.locked += extra
        changes.add(o.account, asset)
        return True

    # ---- order lists (OCO) -----------------------------------------------------------------

    def place_oco(
        self, acct: Account, stop_req: OrderRequest, limit_req: OrderRequest, list_cid: str | None
    ) -> tuple[OrderList, list[PlaceResult]]:
        """An OCO: the stop leg waits for its trigger, the LIMIT_MAKER leg rests; one lock
        covers both (the larger of the two for BUY)."""
        book = self.books[stop_req.symbol]
        now = self.clock.now_ms()
        list_cid = list_cid or self.new_client_id()
        if any(x.list_client_id == list_cid for x in self.open_lists(acct)):
            raise errors.new_order_rejected("Duplicate order sent.")
        stop = self._new_order(acct, stop_req, now)
        limit = self._new_order(acct, limit_req, now)
        if stop.client_order_id == limit.client_order_id:
            raise errors.new_order_rejected("Duplicate order sent.")
        if self._plan(book, limit).steps:
            raise errors.new_order_rejected("Order would immediately match and take.")
        asset, need = self._funds_needed(book.spec, limit, Plan())
        if stop.side == BUY:
            need = max(need, (stop.price or stop.stop_price) * stop.orig_qty)
        if acct.bal(asset).free < need:
            raise errors.insufficient_balance()
        changes = _Changes()
        self._accept(book, stop, asset, ZERO, changes)
        self._accept(book, limit, asset, need, changes)
        lst = OrderList(self.next_list_id, list_cid, book.spec.symbol, acct, [stop, limit], now)
        self.next_list_id += 1
        stop.order_list = limit.order_list = lst
        self.lists[lst.list_id] = lst
        self._open_lists.setdefault(acct.account_id, {})[lst.list_id] = lst
        self.history.add_list(acct, lst.list_id, lst)
        self._wait(book, stop, now)
        self.listener.on_order(stop, "NEW", None, now)
        self.listener.on_order(limit, "NEW", None, now)
        self.listener.on_list_status(lst, now)
        limit_result = self._work(book, limit, Plan(), now, changes)
        self._flush(changes, now)
        return lst, [PlaceResult(stop, []), limit_result]

    def _leg_executed(self, o: Order, now: int, changes: _Changes) -> None:
        """A leg traded or expired: the list's other legs expire and the list is done."""
        lst = o.order_list
        if lst is not None and lst.is_open:
            self._end_other_legs(lst, o, "EXPIRED", now, changes)

    def _end_other_legs(
        self, lst: OrderList, keep: Order | None, status: str, now: int, changes: _Changes
    ) -> None:
        """Close every open leg but `keep` (handing it their lock), then the list."""
        for leg in lst.orders:
            if leg is keep or not leg.is_open:
                continue
            if keep is not None and keep.is_open:
                keep.locked += leg.locked  # one lock for the list: it stays with the survivor
                leg.locked = ZERO
            book = self.books[leg.symbol]
            if leg in book.stops:
                book.stops.remove(leg)
            self._remove(book, leg, status, status, now, changes)
        lst.status_type = lst.order_status = "ALL_DONE"
        lst.transaction_time = now
        self._open_lists.get(lst.account.account_id, {}).pop(lst.list_id, None)
        if lst.account.internal:
            self.lists.pop(lst.list_id, None)
        self.listener.on_list_status(lst, now)

    def cancel_list(
        self, acct: Account, lst: OrderList, cancel_client_id: str | None = None
    ) -> OrderList:
        if not lst.is_open:
            raise errors.cancel_rejected("Unknown order sent.")
        now = self.clock.now_ms()
        lst.cancel_client_id = cancel_client_id or self.new_client_id()
        for leg in lst.orders:
            leg.cancel_client_id = lst.cancel_client_id
        changes = _Changes()
        self._end_other_legs(lst, None, "CANCELED", now, changes)
        self._flush(changes, now)
        return lst

    # ---- cancelling ------------------------------------------------------------------------

    def cancel(
        self,
        acct: Account,
        symbol: str,
        order_id: int | None,
        client_id: str | None,
        cancel_client_id: str | None = None,
    ) -> Order | OrderList:
        """Cancel one order; a leg of an OCO cancels the whole list (returned instead)."""
        order = self.find(acct, symbol, order_id, client_id)
        if order is None or not order.is_open:
            raise errors.cancel_rejected("Unknown order sent.")
        if order.order_list is not None and order.order_list.is_open:
            return self.cancel_list(acct, order.order_list, cancel_client_id)
        order.cancel_client_id = cancel_client_id or self.new_client_id()
        now = self.clock.now_ms()
        changes = _Changes()
        book = self.books[symbol]
        if order in book.stops:
            book.stops.remove(order)
        self._remove(book, order, "CANCELED", "CANCELED", now, changes)
        self._flush(changes, now)
        return order

    def cancel_all(self, acct: Account, symbol: str) -> list[Order | OrderList]:
        """Every open order of the account on `symbol`, each OCO once (as its list)."""
        done: list[Order | OrderList] = []
        for o in self.open_orders(acct, symbol):
            if o.is_open:
                done.append(self.cancel(acct, symbol, o.order_id, None))
        if not done:
            raise errors.cancel_rejected("Unknown order sent.")
        return done

    def _remove(
        self, book: SymbolBook, o: Order, status: str, exec_type: str, now: int, changes: _Changes
    ) -> None:
        """Take an order off the book for good with a final status and report it."""
        if o.on_book:
            side = book.side(o.side == BUY)
            total = side.reduce(o, o.visible, remove=True)
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
        self.history.add_order(o.account, o.symbol, o.order_id, o)

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

    def track_archived(self, book: SymbolBook, o: Order) -> None:
        """Index an order made outside matching (bulk history): findable, never open."""
        book.orders[o.order_id] = o
        self._by_client.setdefault((o.account.account_id, o.symbol), {})[o.client_order_id] = o
        self.history.add_order(o.account, o.symbol, o.order_id, o)


def _mark_prevented(o: Order, pm_id: int, qty: Decimal, counter: int) -> None:
    o.prevented_match_id = pm_id
    o.prevented_qty += qty
    o.last_prevented_qty = qty
    o.counter_order_id = counter
