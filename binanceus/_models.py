"""Typed, immutable views of the exchange's JSON answers.

Every price / quantity / amount is a :class:`~decimal.Decimal` (the client parses JSON with
``parse_float=Decimal`` and numeric strings of modeled fields are converted here); times are
timezone-aware UTC datetimes, while ids and cursors stay ``int``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ._time import from_ms, from_ms_or_none

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


def to_decimal(value: Any) -> Decimal:
    """Decimal from a JSON number (already Decimal/int) or numeric string; floats go via str."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("boolean is not a number")
    if isinstance(value, int | str):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"cannot convert {type(value).__name__} to Decimal")


def _dec_or_none(value: Any) -> Decimal | None:
    return None if value is None else to_decimal(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _levels(rows: Sequence[Sequence[Any]]) -> list[Level]:
    return [(to_decimal(r[0]), to_decimal(r[1])) for r in rows]


def _numeric_strings_to_decimal(obj: Mapping[str, Any]) -> dict[str, Any]:
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


@dataclass(frozen=True, slots=True)
class RateLimit:
    rate_limit_type: str
    interval: str
    interval_num: int
    limit: int

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> RateLimit:
        return cls(
            rate_limit_type=data["rateLimitType"],
            interval=data["interval"],
            interval_num=int(data["intervalNum"]),
            limit=int(data["limit"]),
        )


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    symbol: str
    status: str
    base_asset: str
    quote_asset: str
    base_asset_precision: int | None
    quote_precision: int | None
    quote_asset_precision: int | None
    base_commission_precision: int | None
    quote_commission_precision: int | None
    order_types: tuple[str, ...]
    iceberg_allowed: bool
    oco_allowed: bool
    quote_order_qty_market_allowed: bool
    is_spot_trading_allowed: bool
    filters: Mapping[str, Mapping[str, Any]]
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

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> SymbolInfo:
        filters: dict[str, Mapping[str, Any]] = {}
        for f in data.get("filters", []):
            body = _numeric_strings_to_decimal({k: v for k, v in f.items() if k != "filterType"})
            filters[f["filterType"]] = body

        def opt_int(name: str) -> int | None:
            v = data.get(name)
            return None if v is None else int(v)

        return cls(
            symbol=data["symbol"],
            status=data.get("status", ""),
            base_asset=data.get("baseAsset", ""),
            quote_asset=data.get("quoteAsset", ""),
            base_asset_precision=opt_int("baseAssetPrecision"),
            quote_precision=opt_int("quotePrecision"),
            quote_asset_precision=opt_int("quoteAssetPrecision"),
            base_commission_precision=opt_int("baseCommissionPrecision"),
            quote_commission_precision=opt_int("quoteCommissionPrecision"),
            order_types=tuple(data.get("orderTypes", ())),
            iceberg_allowed=bool(data.get("icebergAllowed", False)),
            oco_allowed=bool(data.get("ocoAllowed", False)),
            quote_order_qty_market_allowed=bool(data.get("quoteOrderQtyMarketAllowed", False)),
            is_spot_trading_allowed=bool(data.get("isSpotTradingAllowed", True)),
            filters=filters,
            permissions=tuple(data.get("permissions", ())),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class ExchangeInfo:
    timezone: str
    server_time: datetime
    rate_limits: list[RateLimit]
    symbols: list[SymbolInfo]
    exchange_filters: list[Mapping[str, Any]] = field(default_factory=list)

    def symbol(self, name: str) -> SymbolInfo:
        """The symbol's rules; ``KeyError`` if the exchange did not list it."""
        wanted = name.upper()
        for s in self.symbols:
            if s.symbol == wanted:
                return s
        raise KeyError(name)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ExchangeInfo:
        return cls(
            timezone=data.get("timezone", "UTC"),
            server_time=from_ms(data["serverTime"]),
            rate_limits=[RateLimit.from_api(r) for r in data.get("rateLimits", []) if r],
            symbols=[SymbolInfo.from_api(s) for s in data.get("symbols", [])],
            exchange_filters=[
                _numeric_strings_to_decimal(f) for f in data.get("exchangeFilters", [])
            ],
        )


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    last_update_id: int
    bids: list[Level]
    asks: list[Level]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DepthSnapshot:
        return cls(
            last_update_id=int(data["lastUpdateId"]),
            bids=_levels(data.get("bids", [])),
            asks=_levels(data.get("asks", [])),
        )


@dataclass(frozen=True, slots=True)
class Trade:
    id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    time: datetime
    is_buyer_maker: bool
    is_best_match: bool | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Trade:
        return cls(
            id=int(data["id"]),
            price=to_decimal(data["price"]),
            qty=to_decimal(data["qty"]),
            quote_qty=to_decimal(data["quoteQty"]),
            time=from_ms(data["time"]),
            is_buyer_maker=bool(data["isBuyerMaker"]),
            is_best_match=data.get("isBestMatch"),
        )


@dataclass(frozen=True, slots=True)
class Kline:
    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    close_time: datetime
    quote_volume: Decimal
    trades: int
    taker_buy_base_volume: Decimal
    taker_buy_quote_volume: Decimal
    symbol: str | None = None
    """Set by :meth:`from_stream` (REST rows do not carry it)."""
    interval: str | None = None
    is_closed: bool | None = None
    """Stream klines: ``True`` once the bar is final (``x``)."""

    @classmethod
    def from_stream(cls, data: Mapping[str, Any]) -> Kline:
        """Parse a ``<symbol>@kline_<interval>`` event (the whole event or its ``k``)."""
        k = data.get("k", data)
        return cls(
            open_time=from_ms(k["t"]),
            open=to_decimal(k["o"]),
            high=to_decimal(k["h"]),
            low=to_decimal(k["l"]),
            close=to_decimal(k["c"]),
            volume=to_decimal(k["v"]),
            close_time=from_ms(k["T"]),
            quote_volume=to_decimal(k["q"]),
            trades=int(k["n"]),
            taker_buy_base_volume=to_decimal(k["V"]),
            taker_buy_quote_volume=to_decimal(k["Q"]),
            symbol=k.get("s", data.get("s")),
            interval=k.get("i"),
            is_closed=None if "x" not in k else bool(k["x"]),
        )

    @classmethod
    def from_api(cls, row: Sequence[Any]) -> Kline:
        return cls(
            open_time=from_ms(row[0]),
            open=to_decimal(row[1]),
            high=to_decimal(row[2]),
            low=to_decimal(row[3]),
            close=to_decimal(row[4]),
            volume=to_decimal(row[5]),
            close_time=from_ms(row[6]),
            quote_volume=to_decimal(row[7]),
            trades=int(row[8]),
            taker_buy_base_volume=to_decimal(row[9]),
            taker_buy_quote_volume=to_decimal(row[10]),
        )


@dataclass(frozen=True, slots=True)
class AggTrade:
    """One aggregate trade (REST ``aggTrades`` row or ``<symbol>@aggTrade`` event)."""

    id: int
    price: Decimal
    qty: Decimal
    first_trade_id: int
    last_trade_id: int
    time: datetime
    is_buyer_maker: bool
    is_best_match: bool | None = None
    symbol: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AggTrade:
        best = data.get("M")
        return cls(
            id=int(data["a"]),
            price=to_decimal(data["p"]),
            qty=to_decimal(data["q"]),
            first_trade_id=int(data["f"]),
            last_trade_id=int(data["l"]),
            time=from_ms(data["T"]),
            is_buyer_maker=bool(data["m"]),
            is_best_match=None if best is None else bool(best),
            symbol=data.get("s"),
        )

    from_stream = from_api


@dataclass(frozen=True, slots=True)
class AvgPrice:
    mins: int
    """Averaging interval in minutes."""
    price: Decimal
    close_time: datetime | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AvgPrice:
        return cls(
            mins=int(data["mins"]),
            price=to_decimal(data["price"]),
            close_time=from_ms_or_none(data.get("closeTime")),
        )


@dataclass(frozen=True, slots=True)
class BookTicker:
    """Best bid / ask (REST ``ticker/bookTicker`` row or ``<symbol>@bookTicker`` event)."""

    symbol: str
    bid_price: Decimal
    bid_qty: Decimal
    ask_price: Decimal
    ask_qty: Decimal
    update_id: int | None = None
    """Stream events only (``u``)."""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> BookTicker:
        return cls(
            symbol=data["symbol"],
            bid_price=to_decimal(data["bidPrice"]),
            bid_qty=to_decimal(data["bidQty"]),
            ask_price=to_decimal(data["askPrice"]),
            ask_qty=to_decimal(data["askQty"]),
        )

    @classmethod
    def from_stream(cls, data: Mapping[str, Any]) -> BookTicker:
        return cls(
            symbol=data["s"],
            bid_price=to_decimal(data["b"]),
            bid_qty=to_decimal(data["B"]),
            ask_price=to_decimal(data["a"]),
            ask_qty=to_decimal(data["A"]),
            update_id=None if data.get("u") is None else int(data["u"]),
        )


@dataclass(frozen=True, slots=True)
class Ticker24h:
    """Price-change statistics over a window: REST ``ticker/24hr`` and the rolling-window
    ``ticker`` (``FULL`` or ``MINI``), and ``<symbol>@ticker`` events. Fields a variant does
    not carry (``MINI`` omits the change percentage, bid/ask, ...) are ``None``."""

    symbol: str
    open_price: Decimal
    high_price: Decimal
    low_price: Decimal
    last_price: Decimal
    volume: Decimal
    quote_volume: Decimal
    open_time: datetime
    close_time: datetime
    first_id: int
    last_id: int
    count: int
    price_change: Decimal | None = None
    price_change_percent: Decimal | None = None
    weighted_avg_price: Decimal | None = None
    prev_close_price: Decimal | None = None
    last_qty: Decimal | None = None
    bid_price: Decimal | None = None
    bid_qty: Decimal | None = None
    ask_price: Decimal | None = None
    ask_qty: Decimal | None = None
    event_time: datetime | None = None
    """Stream events only (``E``)."""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Ticker24h:
        def dec(name: str) -> Decimal | None:
            return _dec_or_none(data.get(name))

        return cls(
            symbol=data["symbol"],
            open_price=to_decimal(data["openPrice"]),
            high_price=to_decimal(data["highPrice"]),
            low_price=to_decimal(data["lowPrice"]),
            last_price=to_decimal(data["lastPrice"]),
            volume=to_decimal(data["volume"]),
            quote_volume=to_decimal(data["quoteVolume"]),
            open_time=from_ms(data["openTime"]),
            close_time=from_ms(data["closeTime"]),
            first_id=int(data["firstId"]),
            last_id=int(data["lastId"]),
            count=int(data["count"]),
            price_change=dec("priceChange"),
            price_change_percent=dec("priceChangePercent"),
            weighted_avg_price=dec("weightedAvgPrice"),
            prev_close_price=dec("prevClosePrice"),
            last_qty=dec("lastQty"),
            bid_price=dec("bidPrice"),
            bid_qty=dec("bidQty"),
            ask_price=dec("askPrice"),
            ask_qty=dec("askQty"),
        )

    @classmethod
    def from_stream(cls, data: Mapping[str, Any]) -> Ticker24h:
        """Parse a ``<symbol>@ticker`` (``24hrTicker``) event."""

        def dec(name: str) -> Decimal | None:
            return _dec_or_none(data.get(name))

        return cls(
            symbol=data["s"],
            open_price=to_decimal(data["o"]),
            high_price=to_decimal(data["h"]),
            low_price=to_decimal(data["l"]),
            last_price=to_decimal(data["c"]),
            volume=to_decimal(data["v"]),
            quote_volume=to_decimal(data["q"]),
            open_time=from_ms(data["O"]),
            close_time=from_ms(data["C"]),
            first_id=int(data["F"]),
            last_id=int(data["L"]),
            count=int(data["n"]),
            price_change=dec("p"),
            price_change_percent=dec("P"),
            weighted_avg_price=dec("w"),
            prev_close_price=dec("x"),
            last_qty=dec("Q"),
            bid_price=dec("b"),
            bid_qty=dec("B"),
            ask_price=dec("a"),
            ask_qty=dec("A"),
            event_time=from_ms_or_none(data.get("E")),
        )


@dataclass(frozen=True, slots=True)
class MiniTicker:
    """A ``<symbol>@miniTicker`` / ``!miniTicker@arr`` entry (``24hrMiniTicker``)."""

    symbol: str
    event_time: datetime
    close: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    volume: Decimal
    quote_volume: Decimal

    @classmethod
    def from_stream(cls, data: Mapping[str, Any]) -> MiniTicker:
        return cls(
            symbol=data["s"],
            event_time=from_ms(data["E"]),
            close=to_decimal(data["c"]),
            open=to_decimal(data["o"]),
            high=to_decimal(data["h"]),
            low=to_decimal(data["l"]),
            volume=to_decimal(data["v"]),
            quote_volume=to_decimal(data["q"]),
        )


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Balance:
        return cls(
            asset=data["asset"],
            free=to_decimal(data["free"]),
            locked=to_decimal(data["locked"]),
        )


@dataclass(frozen=True, slots=True)
class CommissionRates:
    maker: Decimal
    taker: Decimal
    buyer: Decimal
    seller: Decimal

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> CommissionRates:
        return cls(
            maker=to_decimal(data.get("maker", "0")),
            taker=to_decimal(data.get("taker", "0")),
            buyer=to_decimal(data.get("buyer", "0")),
            seller=to_decimal(data.get("seller", "0")),
        )


@dataclass(frozen=True, slots=True)
class Account:
    balances: list[Balance]
    can_trade: bool
    can_withdraw: bool
    can_deposit: bool
    account_type: str
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
        for b in self.balances:
            if b.asset == asset:
                return b
        return Balance(asset=asset, free=Decimal(0), locked=Decimal(0))

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Account:
        def opt_int(name: str) -> int | None:
            v = data.get(name)
            return None if v is None else int(v)

        rates = data.get("commissionRates")
        return cls(
            balances=[Balance.from_api(b) for b in data.get("balances", [])],
            can_trade=bool(data.get("canTrade", False)),
            can_withdraw=bool(data.get("canWithdraw", False)),
            can_deposit=bool(data.get("canDeposit", False)),
            account_type=data.get("accountType", ""),
            permissions=list(data.get("permissions", [])),
            update_time=from_ms_or_none(data.get("updateTime")),
            maker_commission=opt_int("makerCommission"),
            taker_commission=opt_int("takerCommission"),
            buyer_commission=opt_int("buyerCommission"),
            seller_commission=opt_int("sellerCommission"),
            commission_rates=CommissionRates.from_api(rates) if rates else None,
            brokered=data.get("brokered"),
            require_self_trade_prevention=data.get("requireSelfTradePrevention"),
        )


@dataclass(frozen=True, slots=True)
class AccountStatus:
    status: str
    """The exchange's ``msg``, e.g. ``"Normal"``."""
    success: bool
    objs: list[str] = field(default_factory=list)

    @property
    def is_normal(self) -> bool:
        return self.status == "Normal"

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AccountStatus:
        return cls(
            status=str(data.get("msg", data.get("status", ""))),
            success=bool(data.get("success", False)),
            objs=[str(o) for o in data.get("objs", []) or []],
        )


@dataclass(frozen=True, slots=True)
class TradingIndicator:
    indicator: str
    count: int
    current_value: Decimal
    trigger_value: Decimal

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TradingIndicator:
        return cls(
            indicator=data["i"],
            count=int(data["c"]),
            current_value=to_decimal(data["v"]),
            trigger_value=to_decimal(data["t"]),
        )


@dataclass(frozen=True, slots=True)
class ApiTradingStatus:
    is_locked: bool
    planned_recover_time: datetime | None
    trigger_condition: dict[str, int]
    indicators: dict[str, list[TradingIndicator]]
    update_time: datetime | None
    success: bool = True

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ApiTradingStatus:
        status = data.get("status", data)
        return cls(
            is_locked=bool(status.get("isLocked", False)),
            planned_recover_time=from_ms_or_none(status.get("plannedRecoverTime")),
            trigger_condition={
                k: int(v) for k, v in (status.get("triggerCondition") or {}).items()
            },
            indicators={
                sym: [TradingIndicator.from_api(i) for i in rows]
                for sym, rows in (status.get("indicators") or {}).items()
            },
            update_time=from_ms_or_none(status.get("updateTime")),
            success=bool(data.get("success", True)),
        )


@dataclass(frozen=True, slots=True)
class Fill:
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str | None
    trade_id: int | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Fill:
        trade_id = data.get("tradeId")
        return cls(
            price=to_decimal(data["price"]),
            qty=to_decimal(data["qty"]),
            commission=to_decimal(data.get("commission", "0")),
            commission_asset=data.get("commissionAsset"),
            trade_id=None if trade_id is None else int(trade_id),
        )


@dataclass(frozen=True, slots=True)
class Order:
    """An order as returned by POST/GET/DELETE ``/api/v3/order`` and ``openOrders``.

    ACK responses carry only the ids, so most fields are optional.
    """

    symbol: str
    order_id: int
    client_order_id: str
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

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Order:
        olid = data.get("orderListId")
        return cls(
            symbol=data["symbol"],
            order_id=int(data["orderId"]),
            client_order_id=data.get("clientOrderId", ""),
            price=_dec_or_none(data.get("price")),
            orig_qty=_dec_or_none(data.get("origQty")),
            executed_qty=_dec_or_none(data.get("executedQty")),
            cummulative_quote_qty=_dec_or_none(data.get("cummulativeQuoteQty")),
            status=data.get("status"),
            time_in_force=data.get("timeInForce"),
            type=data.get("type"),
            side=data.get("side"),
            time=from_ms_or_none(data.get("time")),
            transact_time=from_ms_or_none(data.get("transactTime")),
            fills=[Fill.from_api(f) for f in data.get("fills", []) or []],
            raw=dict(data),
            update_time=from_ms_or_none(data.get("updateTime")),
            orig_client_order_id=data.get("origClientOrderId"),
            order_list_id=None if olid is None else int(olid),
            stop_price=_dec_or_none(data.get("stopPrice")),
            orig_quote_order_qty=_dec_or_none(data.get("origQuoteOrderQty")),
            is_working=data.get("isWorking"),
            iceberg_qty=_dec_or_none(data.get("icebergQty")),
            working_time=from_ms_or_none(data.get("workingTime")),
            self_trade_prevention_mode=data.get("selfTradePreventionMode"),
            prevented_match_id=_int_or_none(data.get("preventedMatchId")),
            prevented_quantity=_dec_or_none(data.get("preventedQuantity")),
            trailing_delta=_int_or_none(data.get("trailingDelta")),
            trailing_time=from_ms_or_none(data.get("trailingTime")),
            strategy_id=_int_or_none(data.get("strategyId")),
            strategy_type=_int_or_none(data.get("strategyType")),
        )
