"""What the matching engine keeps and reports: orders, order lists, trades, fills, prevented
matches, the requests that place orders, and the `Listener` that hears of every change.

Plain data, kept apart from the engine so that the modules that render or stream these records
(order_docs, events, streams, ...) need not import the engine itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from .accounts import Account
from .decimals import ZERO

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


class Listener(Protocol):
    def on_level(
        self, symbol: str, update_id: int, is_bid: bool, price: Decimal, qty: Decimal
    ) -> None: ...

    def on_trade(self, symbol: str, trade: Trade) -> None: ...

    def on_agg_trade(self, symbol: str, agg: AggTrade) -> None: ...

    def on_order(self, order: Order, exec_type: str, fill: Fill | None, time: int) -> None: ...

    def on_list_status(self, order_list: OrderList, time: int) -> None: ...

    def on_balances(self, account: Account, assets: Iterable[str], time: int) -> None: ...


def _ignore(*args: object) -> None:
    """Hear an engine event and do nothing with it."""


class NullListener:
    """A Listener for an engine nobody watches (tests, tools)."""

    on_level = on_trade = on_agg_trade = on_order = on_list_status = on_balances = staticmethod(
        _ignore
    )
