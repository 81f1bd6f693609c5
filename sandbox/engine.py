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

Split by responsibility: records.py (the orders, trades and listener it reports), matching.py
(the book, planning a match, settling a fill), contingent.py (stop orders and OCO lists); the
records stay importable from here.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable
from decimal import Decimal

from . import errors, triggers
from .accounts import Account
from .clock import Clock
from .contingent import ContingentOrders
from .decimals import ZERO, floor_to, q8
from .history import History
from .matching import Changes, Plan, SymbolBook, funds_needed, mark_prevented, plan_match, settle
from .records import (
    BUY,
    EXPIRE_BOTH,
    EXPIRE_MAKER,
    EXPIRE_TAKER,
    FOK,
    GTC,
    LIMIT_MAKER,
    MARKET,
    Listener,
    NullListener,
    Order,
    OrderList,
    OrderRequest,
    PlaceResult,
    PreventedMatch,
    Trade,
)
from .symbols import AVG_PRICE_MINS, SymbolSpec


class Engine(ContingentOrders):
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
        plan = plan_match(book, taker)
        if req.type == LIMIT_MAKER and plan.steps:
            raise errors.new_order_rejected("Order would immediately match and take.")
        if req.time_in_force == FOK and plan.qty < taker.orig_qty:
            plan = Plan()  # fill-or-kill: nothing executes, the order expires
        asset, need = funds_needed(book.spec, taker, plan)
        if acct.bal(asset).free < need:
            raise errors.insufficient_balance()
        if req.quote_qty is not None:
            taker.orig_qty = plan.qty  # quoteOrderQty: the quantity is what the book gives
        changes = Changes()
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
        self, book: SymbolBook, o: Order, asset: str, need: Decimal, changes: Changes
    ) -> None:
        o.order_id = book.next_order_id
        book.next_order_id += 1
        o.account.lock(asset, need)
        o.locked = need
        changes.add(o.account, asset)
        self._track(book, o)

    def _work(
        self, book: SymbolBook, taker: Order, plan: Plan, now: int, changes: Changes
    ) -> PlaceResult:
        """Run a plan for an order just accepted (or just triggered)."""
        result = PlaceResult(taker, [])
        self._execute(book, taker, plan, now, changes, result)
        self._finish_taker(book, taker, plan, now, changes)
        return result

    def _execute(
        self,
        book: SymbolBook,
        taker: Order,
        plan: Plan,
        now: int,
        changes: Changes,
        result: PlaceResult,
    ) -> None:
        agg: list[Trade] = []
        for maker, price, qty in plan.steps:
            if qty is None:
                result.prevented.append(self._prevent(book, taker, maker, price, now, changes))
                continue
            trade = self._trade(book, taker, maker, price, qty, now)
            maker_fill = settle(self.history, book.spec, maker, trade, True, changes)
            self._take_from_book(book, maker, qty)
            if maker.remaining == 0:
                self._close(maker, changes)
            self.listener.on_order(maker, "TRADE", maker_fill, now)
            self._leg_executed(maker, now, changes)
            fill = settle(self.history, book.spec, taker, trade, False, changes)
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
        changes: Changes,
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
            mark_prevented(taker, pm.prevented_match_id, taker_qty, maker.order_id)
        if maker_qty is not None:
            mark_prevented(maker, pm.prevented_match_id, maker_qty, taker.order_id)
            self._remove(book, maker, "EXPIRED_IN_MATCH", "TRADE_PREVENTION", now, changes)
            self._leg_executed(maker, now, changes)
        return pm

    def _trade(
        self, book: SymbolBook, taker: Order, maker: Order, price: Decimal, qty: Decimal, now: int
    ) -> Trade:
        buyer, seller = (taker, maker) if taker.side == BUY else (maker, taker)
        trade = book.new_trade(price, qty, now, taker.side == BUY, buyer.order_id, seller.order_id)
        self.listener.on_trade(book.spec.symbol, trade)
        if book.stops:
            self._prices.append((book.spec.symbol, price))
        return trade

    def _emit_agg(self, book: SymbolBook, trades: list[Trade]) -> None:
        agg = book.new_agg(trades)
        self.listener.on_agg_trade(book.spec.symbol, agg)

    def _finish_taker(
        self, book: SymbolBook, o: Order, plan: Plan, now: int, changes: Changes
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
        changes = Changes()
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
        self, book: SymbolBook, o: Order, status: str, exec_type: str, now: int, changes: Changes
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

    def _close(self, o: Order, changes: Changes) -> None:
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

    def _flush(self, changes: Changes, now: int) -> None:
        for acct, assets in changes.by_account.values():
            acct.update_time = now
            self.listener.on_balances(acct, assets, now)

    def track_archived(self, book: SymbolBook, o: Order) -> None:
        """Index an order made outside matching (bulk history): findable, never open."""
        book.orders[o.order_id] = o
        self._by_client.setdefault((o.account.account_id, o.symbol), {})[o.client_order_id] = o
        self.history.add_order(o.account, o.symbol, o.order_id, o)
