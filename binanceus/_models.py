"""Typed, immutable views of the exchange's JSON answers (market data, account, orders).

Every price / quantity / amount is a :class:`~decimal.Decimal` (the client parses JSON with
``parse_float=Decimal`` and numeric strings of modeled fields are converted here); times are
timezone-aware UTC datetimes, while ids and cursors stay ``int``. Each model declares its
fields; :mod:`binanceus._fields` parses the JSON by those declarations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ._fields import Model, each, model, parse, to_decimal, wire

__all__ = [
    "Account",
    "AccountStatus",
    "AggTrade",
    "ApiTradingStatus",
    "AvgPrice",
    "Balance",
    "BookTicker",
    "CommissionRates",
    "DepthSnapshot",
    "ExchangeInfo",
    "Fill",
    "Kline",
    "MiniTicker",
    "Order",
    "RateLimit",
    "SymbolInfo",
    "Ticker24h",
    "Trade",
    "TradingIndicator",
    "to_decimal",
]

Level = tuple[Decimal, Decimal]


def numeric_strings_to_decimal(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A filter's fields with its finite numeric strings as Decimal (``tickSize``, ...)."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if isinstance(v, str):
            try:
                out[k] = Decimal(v)
            except InvalidOperation:
                out[k] = v
            else:
                if not out[k].is_finite():
                    out[k] = v
        else:
            out[k] = v
    return out


def _filters_by_type(rows: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {
        f["filterType"]: numeric_strings_to_decimal(
            {k: v for k, v in f.items() if k != "filterType"}
        )
        for f in rows
    }


@model
class RateLimit(Model):
    rate_limit_type: str
    interval: str
    interval_num: int
    limit: int


@model
class SymbolInfo(Model):
    symbol: str
    status: str = wire(missing="")
    base_asset: str = wire(missing="")
    quote_asset: str = wire(missing="")
    base_asset_precision: int | None
    quote_precision: int | None
    quote_asset_precision: int | None
    base_commission_precision: int | None
    quote_commission_precision: int | None
    order_types: tuple[str, ...]
    iceberg_allowed: bool = wire(missing=False)
    oco_allowed: bool = wire(missing=False)
    quote_order_qty_market_allowed: bool = wire(missing=False)
    is_spot_trading_allowed: bool = wire(missing=True)
    filters: Mapping[str, Mapping[str, Any]] = wire(missing=(), parse=_filters_by_type)
    """filterType -> the filter's fields, numeric strings as Decimal (e.g. ``tickSize``)."""
    permissions: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def base_precision(self) -> int | None:
        return self.base_asset_precision

    @property
    def tick_size(self) -> Decimal | None:
        return self.filters.get("PRICE_FILTER", {}).get("tickSize")

    @property
    def step_size(self) -> Decimal | None:
        return self.filters.get("LOT_SIZE", {}).get("stepSize")


@model
class ExchangeInfo(Model):
    timezone: str = wire(missing="UTC")
    server_time: datetime
    rate_limits: list[RateLimit]
    symbols: list[SymbolInfo]
    exchange_filters: list[Mapping[str, Any]] = wire(
        parse=each(numeric_strings_to_decimal), default_factory=list
    )

    def symbol(self, name: str) -> SymbolInfo:
        """The symbol's rules; ``KeyError`` if the exchange did not list it."""
        wanted = name.upper()
        for s in self.symbols:
            if s.symbol == wanted:
                return s
        raise KeyError(name)


@model
class DepthSnapshot(Model):
    last_update_id: int
    bids: list[Level]
    asks: list[Level]


@model
class Trade(Model):
    id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    time: datetime
    is_buyer_maker: bool
    is_best_match: bool | None = None


_KLINE_ROW = ("t", "o", "h", "l", "c", "v", "T", "q", "n", "V", "Q")
"""The wire names of a REST kline row's columns (as in the stream's ``k`` object)."""


@model
class Kline(Model):
    open_time: datetime = wire("t")
    open: Decimal = wire("o")
    high: Decimal = wire("h")
    low: Decimal = wire("l")
    close: Decimal = wire("c")
    volume: Decimal = wire("v")
    close_time: datetime = wire("T")
    quote_volume: Decimal = wire("q")
    trades: int = wire("n")
    taker_buy_base_volume: Decimal = wire("V")
    taker_buy_quote_volume: Decimal = wire("Q")
    symbol: str | None = wire("s", default=None)
    """Set by :meth:`from_stream` (REST rows do not carry it)."""
    interval: str | None = wire("i", default=None)
    is_closed: bool | None = wire("x", default=None)
    """Stream klines: ``True`` once the bar is final (``x``)."""

    @classmethod
    def from_stream(cls, data: Mapping[str, Any]) -> Kline:
        """Parse a ``<symbol>@kline_<interval>`` event (the whole event or its ``k``)."""
        k = data.get("k", data)
        return parse(cls, k, symbol=k.get("s", data.get("s")))  # type: ignore[no-any-return]

    @classmethod
    def from_api(cls, row: Sequence[Any]) -> Kline:  # type: ignore[override]
        return parse(cls, dict(zip(_KLINE_ROW, row, strict=False)))  # type: ignore[no-any-return]


@model
class AggTrade(Model):
    """One aggregate trade (REST ``aggTrades`` row or ``<symbol>@aggTrade`` event)."""

    id: int = wire("a")
    price: Decimal = wire("p")
    qty: Decimal = wire("q")
    first_trade_id: int = wire("f")
    last_trade_id: int = wire("l")
    time: datetime = wire("T")
    is_buyer_maker: bool = wire("m")
    is_best_match: bool | None = wire("M", default=None)
    symbol: str | None = wire("s", default=None)


@model
class AvgPrice(Model):
    mins: int
    """Averaging interval in minutes."""
    price: Decimal
    close_time: datetime | None = None


@model
class BookTicker(Model):
    """Best bid / ask (REST ``ticker/bookTicker`` row or ``<symbol>@bookTicker`` event)."""

    symbol: str = wire(stream="s")
    bid_price: Decimal = wire(stream="b")
    bid_qty: Decimal = wire(stream="B")
    ask_price: Decimal = wire(stream="a")
    ask_qty: Decimal = wire(stream="A")
    update_id: int | None = wire(stream="u", default=None)
    """Stream events only (``u``)."""


@model
class Ticker24h(Model):
    """Price-change statistics over a window: REST ``ticker/24hr`` and the rolling-window
    ``ticker`` (``FULL`` or ``MINI``), and ``<symbol>@ticker`` events. Fields a variant does
    not carry (``MINI`` omits the change percentage, bid/ask, ...) are ``None``."""

    symbol: str = wire(stream="s")
    open_price: Decimal = wire(stream="o")
    high_price: Decimal = wire(stream="h")
    low_price: Decimal = wire(stream="l")
    last_price: Decimal = wire(stream="c")
    volume: Decimal = wire(stream="v")
    quote_volume: Decimal = wire(stream="q")
    open_time: datetime = wire(stream="O")
    close_time: datetime = wire(stream="C")
    first_id: int = wire(stream="F")
    last_id: int = wire(stream="L")
    count: int = wire(stream="n")
    price_change: Decimal | None = wire(stream="p", default=None)
    price_change_percent: Decimal | None = wire(stream="P", default=None)
    weighted_avg_price: Decimal | None = wire(stream="w", default=None)
    prev_close_price: Decimal | None = wire(stream="x", default=None)
    last_qty: Decimal | None = wire(stream="Q", default=None)
    bid_price: Decimal | None = wire(stream="b", default=None)
    bid_qty: Decimal | None = wire(stream="B", default=None)
    ask_price: Decimal | None = wire(stream="a", default=None)
    ask_qty: Decimal | None = wire(stream="A", default=None)
    event_time: datetime | None = wire(stream="E", default=None)
    """Stream events only (``E``)."""


@model
class MiniTicker(Model):
    """A ``<symbol>@miniTicker`` / ``!miniTicker@arr`` entry (``24hrMiniTicker``)."""

    symbol: str = wire("s")
    event_time: datetime = wire("E")
    close: Decimal = wire("c")
    open: Decimal = wire("o")
    high: Decimal = wire("h")
    low: Decimal = wire("l")
    volume: Decimal = wire("v")
    quote_volume: Decimal = wire("q")


@model
class Balance(Model):
    asset: str = wire(stream="a")
    free: Decimal = wire(stream="f")
    locked: Decimal = wire(stream="l")

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


def balance_of(balances: Sequence[Balance], asset: str) -> Balance:
    """``asset``'s balance in ``balances`` (zero if the exchange did not list it)."""
    return next(
        (b for b in balances if b.asset == asset),
        Balance(asset=asset, free=Decimal(0), locked=Decimal(0)),
    )


@model
class CommissionRates(Model):
    maker: Decimal = wire(missing="0")
    taker: Decimal = wire(missing="0")
    buyer: Decimal = wire(missing="0")
    seller: Decimal = wire(missing="0")


@model
class Account(Model):
    balances: list[Balance]
    can_trade: bool = wire(missing=False)
    can_withdraw: bool = wire(missing=False)
    can_deposit: bool = wire(missing=False)
    account_type: str = wire(missing="")
    permissions: list[str]
    update_time: datetime | None
    maker_commission: int | None = None
    taker_commission: int | None = None
    buyer_commission: int | None = None
    seller_commission: int | None = None
    commission_rates: CommissionRates | None = None
    brokered: bool | None = None
    require_self_trade_prevention: bool | None = None

    def nonzero_balances(self) -> list[Balance]:
        return [b for b in self.balances if b.free != 0 or b.locked != 0]

    def balance(self, asset: str) -> Balance:
        """The asset's balance (zero if the exchange did not list it)."""
        return balance_of(self.balances, asset)


@model
class AccountStatus(Model):
    status: str = wire("msg", alt=("status",), missing="")
    """The exchange's ``msg``, e.g. ``"Normal"``."""
    success: bool = wire(missing=False)
    objs: list[str] = field(default_factory=list)

    @property
    def is_normal(self) -> bool:
        return self.status == "Normal"


@model
class TradingIndicator(Model):
    indicator: str = wire("i")
    count: int = wire("c")
    current_value: Decimal = wire("v")
    trigger_value: Decimal = wire("t")


@model
class ApiTradingStatus(Model):
    is_locked: bool = wire(missing=False)
    planned_recover_time: datetime | None
    trigger_condition: dict[str, int]
    indicators: dict[str, list[TradingIndicator]]
    update_time: datetime | None
    success: bool = True

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ApiTradingStatus:
        """The fields are inside ``status``, except ``success``."""
        return parse(  # type: ignore[no-any-return]
            cls, data.get("status", data), success=bool(data.get("success", True))
        )


@model
class Fill(Model):
    price: Decimal
    qty: Decimal
    commission: Decimal = wire(missing="0")
    commission_asset: str | None
    trade_id: int | None


@model
class Order(Model):
    """An order as returned by POST/GET/DELETE ``/api/v3/order`` and ``openOrders``.

    ACK responses carry only the ids, so most fields are optional.
    """

    symbol: str
    order_id: int
    client_order_id: str = wire(missing="")
    price: Decimal | None
    orig_qty: Decimal | None
    executed_qty: Decimal | None
    cummulative_quote_qty: Decimal | None
    status: str | None
    time_in_force: str | None
    type: str | None
    side: str | None
    time: datetime | None
    transact_time: datetime | None
    fills: list[Fill]
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    update_time: datetime | None = None
    orig_client_order_id: str | None = None
    order_list_id: int | None = None
    """``-1`` unless the order is a leg of an order list (OCO)."""
    stop_price: Decimal | None = None
    orig_quote_order_qty: Decimal | None = None
    is_working: bool | None = None
    iceberg_qty: Decimal | None = None
    working_time: datetime | None = None
    """When the order started working on the book (``None`` while a stop leg waits: ``-1``)."""
    self_trade_prevention_mode: str | None = None
    prevented_match_id: int | None = None
    prevented_quantity: Decimal | None = None
    trailing_delta: int | None = None
    trailing_time: datetime | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status in ("NEW", "PARTIALLY_FILLED", "PENDING_NEW")

    @property
    def in_order_list(self) -> bool:
        return self.order_list_id is not None and self.order_list_id >= 0
