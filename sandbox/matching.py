"""The order book and the arithmetic of matching, apart from the engine's bookkeeping.

`SymbolBook` is one symbol's book and tape; `plan` computes what an incoming order would do
against it before anything changes (so that FOK, LIMIT_MAKER and funds can be checked first);
`funds_needed` is what the order must lock for that; `settle` moves one fill's funds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .accounts import Account
from .book import BookSide
from .decimals import ZERO, floor_to, q8
from .history import History
from .klines import KlineStore
from .records import (
    BUY,
    EXPIRE_BOTH,
    EXPIRE_TAKER,
    MARKET,
    AccountTrade,
    AggTrade,
    Fill,
    Order,
    Trade,
)
from .symbols import SymbolSpec
from .tape import Tape


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

    # The one way a trade gets onto the tape and into the candles, for the engine's trades and
    # the synthetic history (price_history.py) alike, so that all market data agrees.

    def new_trade(
        self,
        price: Decimal,
        qty: Decimal,
        now: int,
        taker_buy: bool,
        buyer_order_id: int,
        seller_order_id: int,
        *,
        live: bool = True,
    ) -> Trade:
        """Record a trade under the next trade id (`live`: see KlineStore.add)."""
        trade = Trade(
            self.next_trade_id,
            price,
            qty,
            price * qty,
            now,
            not taker_buy,
            buyer_order_id,
            seller_order_id,
        )
        self.next_trade_id += 1
        self.tape.add_trade(trade)
        self.klines.add(now, price, qty, trade.quote_qty, taker_buy, trade.trade_id, live=live)
        return trade

    def new_agg(self, trades: list[Trade]) -> AggTrade:
        """Record the aggregate trade of consecutive trades of one taker at one price."""
        first = trades[0]
        qty = sum((t.qty for t in trades), ZERO)
        agg = AggTrade(
            self.next_agg_id,
            first.price,
            qty,
            first.trade_id,
            trades[-1].trade_id,
            first.time,
            first.buyer_is_maker,
        )
        self.next_agg_id += 1
        self.tape.add_agg(agg)
        return agg


@dataclass(slots=True)
class Plan:
    """What an incoming order would do against the book, computed before touching anything.
    Each step is (maker, price, qty); qty None is a match self-trade prevention stops."""

    steps: list[tuple[Order, Decimal, Decimal | None]] = field(default_factory=list)
    stp_taker: bool = False
    qty: Decimal = ZERO
    quote: Decimal = ZERO
    book_short: bool = False  # the book (or the limit price) ran out before the order did


class Changes:
    """Accounts and assets whose balances changed during one engine call."""

    def __init__(self) -> None:
        self.by_account: dict[int, tuple[Account, set[str]]] = {}

    def add(self, acct: Account, *assets: str) -> None:
        entry = self.by_account.get(acct.account_id)
        if entry is None:
            entry = self.by_account[acct.account_id] = (acct, set())
        entry[1].update(assets)


def plan_match(book: SymbolBook, o: Order) -> Plan:
    """Walk the opposite side best price first, as far as the order's size and limit go."""
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


def funds_needed(spec: SymbolSpec, o: Order, plan: Plan) -> tuple[str, Decimal]:
    """The asset and amount an order locks to run `plan`: BUY locks quote, SELL base."""
    if o.side == BUY:
        if o.working_type == MARKET:
            return spec.quote, (o.orig_quote_qty if o.orig_quote_qty > 0 else plan.quote)
        return spec.quote, o.price * o.orig_qty
    if o.orig_quote_qty > 0:
        return spec.base, plan.qty
    return spec.base, o.orig_qty


def settle(
    history: History, spec: SymbolSpec, o: Order, trade: Trade, is_maker: bool, changes: Changes
) -> Fill:
    """Move one trade's funds for one side (commission off what it receives) and record the
    trade in the account's history."""
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
    history.add_trade(acct, spec.symbol, trade.trade_id, row)
    return Fill(trade, commission, asset, is_maker)


def mark_prevented(o: Order, pm_id: int, qty: Decimal, counter: int) -> None:
    o.prevented_match_id = pm_id
    o.prevented_qty += qty
    o.last_prevented_qty = qty
    o.counter_order_id = counter
