"""Contingent orders: stop and take-profit orders (plain and trailing) that wait off the book
until a trade price triggers them, and OCO order lists whose legs share one lock.

`ContingentOrders` is a part of `Engine` (its base class), kept apart because this is the one
place orders change state without a request: a trade triggers them. It relies on the engine's
bookkeeping (`_accept`, `_work`, `_remove`, `_flush`, ...).
"""

from __future__ import annotations

from decimal import Decimal

from . import errors, triggers
from .accounts import Account
from .clock import Clock
from .decimals import ZERO
from .history import History
from .matching import Changes, Plan, SymbolBook, funds_needed, plan_match
from .records import (
    BUY,
    FOK,
    MARKET,
    NOT_WORKING,
    SELL,
    Listener,
    Order,
    OrderList,
    OrderRequest,
    PlaceResult,
)
from .symbols import SymbolSpec


class ContingentOrders:
    """The Engine's stop orders and OCO lists (see the module docstring)."""

    # Engine state these methods share (set up by Engine.__init__).
    books: dict[str, SymbolBook]
    clock: Clock
    listener: Listener
    history: History
    lists: dict[int, OrderList]
    next_list_id: int
    _open_lists: dict[int, dict[int, OrderList]]
    _prices: list[tuple[str, Decimal]]
    _draining: bool

    # ---- stop and take-profit orders ----------------------------------------------------------

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
        changes = Changes()
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

    def _drain(self, now: int, changes: Changes) -> None:
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

    def _trigger(self, book: SymbolBook, o: Order, now: int, changes: Changes) -> None:
        book.stops.remove(o)
        lst = o.order_list
        if lst is not None:
            self._end_other_legs(lst, o, "EXPIRED", now, changes)
        o.is_working = True
        o.working_time = o.update_time = now
        self.listener.on_order(o, "NEW", None, now)
        plan = plan_match(book, o)
        if o.time_in_force == FOK and plan.qty < o.orig_qty:
            plan = Plan()
        if not self._fund_trigger(book.spec, o, plan, changes):
            o.status, o.update_time = "EXPIRED", now
            self._close(o, changes)
            self.listener.on_order(o, "EXPIRED", None, now)
            return
        self._work(book, o, plan, now, changes)

    def _fund_trigger(self, spec: SymbolSpec, o: Order, plan: Plan, changes: Changes) -> bool:
        """Lock what a triggered order needs beyond what it already holds."""
        asset, need = funds_needed(spec, o, plan)
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
        if plan_match(book, limit).steps:
            raise errors.new_order_rejected("Order would immediately match and take.")
        asset, need = funds_needed(book.spec, limit, Plan())
        if stop.side == BUY:
            need = max(need, (stop.price or stop.stop_price) * stop.orig_qty)
        if acct.bal(asset).free < need:
            raise errors.insufficient_balance()
        changes = Changes()
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

    def _leg_executed(self, o: Order, now: int, changes: Changes) -> None:
        """A leg traded or expired: the list's other legs expire and the list is done."""
        lst = o.order_list
        if lst is not None and lst.is_open:
            self._end_other_legs(lst, o, "EXPIRED", now, changes)

    def _end_other_legs(
        self, lst: OrderList, keep: Order | None, status: str, now: int, changes: Changes
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
        changes = Changes()
        self._end_other_legs(lst, None, "CANCELED", now, changes)
        self._flush(changes, now)
        return lst
