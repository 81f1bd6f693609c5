"""Market data and system methods (``system`` and ``market`` areas): ping, server time,
exchange info with the cached symbol rules, depth, trades, klines, tickers."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar, Unpack, overload

from ._account_models import SystemStatus
from ._endpoints import endpoint
from ._models import (
    AggTrade,
    AvgPrice,
    BookTicker,
    DepthSnapshot,
    ExchangeInfo,
    Kline,
    Ticker24h,
    Trade,
    to_decimal,
)
from ._params import IdWindow, TimeWindow
from ._symbol_rules import SymbolRules
from ._time import from_ms
from ._transport import Transport, from_id_or_range, rows, sends

TickerType = Literal["FULL", "MINI"]
M = TypeVar("M")


def _symbol_or_symbols(symbol: str | None, symbols: Sequence[str] | None) -> dict[str, Any]:
    if symbol is not None and symbols is not None:
        raise ValueError("pass symbol or symbols, not both")
    return {"symbol": symbol, "symbols": None if symbols is None else list(symbols)}


def _as_rows(data: Any) -> list[Any]:
    return [data] if isinstance(data, dict) else list(data)


def _one_or_list(parse: Callable[[Any], M], symbol: str | None, data: Any) -> M | list[M]:
    """The ticker endpoints answer one object for ``symbol``, else a list."""
    if symbol is not None:
        return parse(data)
    return [parse(r) for r in _as_rows(data)]


class MarketMethods(Transport):
    """Public market data, the server clock and the exchange rules (cached per symbol)."""

    areas = ("system", "market")

    # -- general ----------------------------------------------------------------------------

    @sends("GET /api/v3/ping")
    def ping(self) -> None:
        """Test connectivity to the REST API."""

    @endpoint("GET /api/v3/time")
    def server_time(self) -> datetime:
        return from_ms(self._call("GET /api/v3/time")["serverTime"])

    @endpoint("GET /api/v3/exchangeInfo")
    def exchange_info(
        self, *, symbol: str | None = None, symbols: Sequence[str] | None = None
    ) -> ExchangeInfo:
        data = self._call("GET /api/v3/exchangeInfo", _symbol_or_symbols(symbol, symbols))
        info = ExchangeInfo.from_api(data)
        self._remember_rules(info)
        return info

    def _remember_rules(self, info: ExchangeInfo) -> None:
        now = time.monotonic()
        for s in info.symbols:
            rules = SymbolRules.from_exchange_info(s, info.exchange_filters)
            self._rules[s.symbol] = (now, rules)

    def cached_symbol_rules(self, symbol: str) -> SymbolRules | None:
        """The symbol's rules if an ``exchange_info`` answer younger than
        ``exchange_info_ttl`` listed it (no request is made)."""
        cached = self._rules.get(symbol.upper())
        if cached is None or time.monotonic() - cached[0] > self.exchange_info_ttl:
            return None
        return cached[1]

    def symbol_rules(self, symbol: str) -> SymbolRules:
        """The symbol's filters and order rules (cached; fetched when missing or stale).

        Once cached, :meth:`new_order` / :meth:`cancel_replace` / :meth:`new_oco` check
        orders against them before sending (``validate=True``)."""
        cached = self.cached_symbol_rules(symbol)
        if cached is not None:
            return cached
        info = self.exchange_info(symbol=symbol.upper())
        return SymbolRules.from_exchange_info(info.symbol(symbol), info.exchange_filters)

    # -- market data ------------------------------------------------------------------------

    @sends("GET /api/v3/depth", DepthSnapshot.from_api)
    def depth(self, symbol: str, *, limit: int = 100) -> DepthSnapshot:
        """The order book's top ``limit`` levels a side (weight 1 to 50 by ``limit``)."""

    @sends("GET /api/v3/trades", rows(Trade.from_api))
    def recent_trades(self, symbol: str, *, limit: int = 500) -> list[Trade]:
        """The most recent ``limit`` trades."""

    @sends("GET /api/v3/klines", rows(Kline.from_api))
    def klines(
        self, symbol: str, interval: str, *, limit: int = 500, **window: Unpack[TimeWindow]
    ) -> list[Kline]:
        """Candlesticks of ``interval`` (``1m``, ``1h``, ``1d``, ...), oldest first."""

    @sends("GET /api/v3/historicalTrades", rows(Trade.from_api))
    def historical_trades(
        self, symbol: str, *, limit: int | None = None, from_id: int | None = None
    ) -> list[Trade]:
        """Older trades (MARKET_DATA: sends the API key, not signed). ``from_id``: the trade id
        to start at (inclusive); without it, the most recent ``limit`` trades."""

    @sends("GET /api/v3/aggTrades", rows(AggTrade.from_api))
    def agg_trades(self, symbol: str, **window: Unpack[IdWindow]) -> list[AggTrade]:
        """Aggregate trades; ``from_id`` (inclusive) cannot be combined with a time range."""
        from_id_or_range(window)

    @sends("GET /api/v3/avgPrice", AvgPrice.from_api)
    def avg_price(self, symbol: str) -> AvgPrice:
        """The current average price (over ``mins`` minutes)."""

    @overload
    def book_ticker(self, *, symbol: str, symbols: None = None) -> BookTicker: ...
    @overload
    def book_ticker(
        self, *, symbol: None = None, symbols: Sequence[str] | None = None
    ) -> list[BookTicker]: ...
    @endpoint("GET /api/v3/ticker/bookTicker")
    def book_ticker(
        self, *, symbol: str | None = None, symbols: Sequence[str] | None = None
    ) -> BookTicker | list[BookTicker]:
        """Best bid/ask: one :class:`BookTicker` for ``symbol``, else a list (``symbols`` or
        every symbol)."""
        data = self._call("GET /api/v3/ticker/bookTicker", _symbol_or_symbols(symbol, symbols))
        return _one_or_list(BookTicker.from_api, symbol, data)

    @overload
    def ticker_24hr(
        self, *, symbol: str, symbols: None = None, type: TickerType = "FULL"
    ) -> Ticker24h: ...
    @overload
    def ticker_24hr(
        self,
        *,
        symbol: None = None,
        symbols: Sequence[str] | None = None,
        type: TickerType = "FULL",
    ) -> list[Ticker24h]: ...
    @endpoint("GET /api/v3/ticker/24hr")
    def ticker_24hr(
        self,
        *,
        symbol: str | None = None,
        symbols: Sequence[str] | None = None,
        type: TickerType = "FULL",
    ) -> Ticker24h | list[Ticker24h]:
        """24-hour statistics: one :class:`Ticker24h` for ``symbol``, else a list. ``MINI``
        leaves the change percentage, weighted average, bid/ask and last quantity ``None``."""
        params: dict[str, Any] = _symbol_or_symbols(symbol, symbols)
        params["type"] = None if type == "FULL" else type
        data = self._call("GET /api/v3/ticker/24hr", params)
        return _one_or_list(Ticker24h.from_api, symbol, data)

    @overload
    def ticker(
        self,
        *,
        symbol: str,
        symbols: None = None,
        window_size: str = "1d",
        type: TickerType = "FULL",
    ) -> Ticker24h: ...
    @overload
    def ticker(
        self,
        *,
        symbol: None = None,
        symbols: Sequence[str],
        window_size: str = "1d",
        type: TickerType = "FULL",
    ) -> list[Ticker24h]: ...
    @endpoint("GET /api/v3/ticker")
    def ticker(
        self,
        *,
        symbol: str | None = None,
        symbols: Sequence[str] | None = None,
        window_size: str = "1d",
        type: TickerType = "FULL",
    ) -> Ticker24h | list[Ticker24h]:
        """Rolling-window statistics (``window_size`` 1m..59m, 1h..23h, 1d..7d); ``symbol`` or
        ``symbols`` (at most 100) is required. ``open_time`` is the start of the minute
        ``window_size`` before now."""
        if symbol is None and not symbols:
            raise ValueError("ticker() needs symbol or symbols")
        params: dict[str, Any] = _symbol_or_symbols(symbol, symbols)
        params["windowSize"] = window_size
        params["type"] = None if type == "FULL" else type
        data = self._call("GET /api/v3/ticker", params)
        return _one_or_list(Ticker24h.from_api, symbol, data)

    @endpoint("GET /api/v3/ticker/price")
    def ticker_price(self, *, symbol: str | None = None) -> dict[str, Decimal]:
        data = self._call("GET /api/v3/ticker/price", {"symbol": symbol})
        return {r["symbol"]: to_decimal(r["price"]) for r in _as_rows(data)}

    @sends("GET /sapi/v1/system/status", SystemStatus.from_api)
    def system_status(self) -> SystemStatus:
        """0 normal, 1 system maintenance (:attr:`SystemStatus.is_normal`)."""
