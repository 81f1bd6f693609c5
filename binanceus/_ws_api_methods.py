"""The WebSocket API's methods as one table: each mirrors a REST method of
:class:`~binanceus.Client`, takes its arguments and returns its model.

A WebSocket API method takes the same parameters as the REST endpoint it mirrors and answers
the same JSON as ``result`` (spec L10130-L13900), so the REST method's own argument handling
is reused as it is: :class:`Recorder` runs the REST method (checks, upper-cased enums,
generated client order ids, local filter checks) up to the point where it would send, and
hands back what it would have sent. The row's ``parse`` turns the answer into the REST
method's return value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from ._account import AccountMethods
from ._endpoints import ENDPOINTS, WS_API_METHODS, Endpoint
from ._market import MarketMethods
from ._models import (
    Account,
    AggTrade,
    AvgPrice,
    BookTicker,
    DepthSnapshot,
    ExchangeInfo,
    Kline,
    Order,
    Ticker24h,
    Trade,
    to_decimal,
)
from ._symbol_rules import SymbolRules
from ._time import from_ms
from ._trading import TradingMethods
from ._trading_models import (
    AccountTrade,
    CancelReplaceResult,
    OrderList,
    OrderTestResult,
    PreventedMatch,
    RateLimitUsage,
    order_or_list,
)
from ._transport import rows

__all__ = ["WS_API_TABLE", "Recorder", "Sent", "WsMethod"]

M = TypeVar("M")
Parse = Callable[[Any, Mapping[str, Any]], Any]
"""An answer's ``result`` and the request's params -> the method's return value."""


def _of(parse: Callable[[Any], Any]) -> Parse:
    return lambda data, params: parse(data)


def _nothing(data: Any, params: Mapping[str, Any]) -> None:
    return None


def _one_or_list(parse: Callable[[Any], M]) -> Parse:
    """The tickers answer one object for ``symbol``, else a list (REST's ``_one_or_list``)."""

    def parse_answer(data: Any, params: Mapping[str, Any]) -> M | list[M]:
        if params.get("symbol") is not None:
            return parse(data)
        return [parse(r) for r in ([data] if isinstance(data, dict) else data)]

    return parse_answer


def _prices(data: Any, params: Mapping[str, Any]) -> dict[str, Decimal]:
    found = [data] if isinstance(data, dict) else data
    return {r["symbol"]: to_decimal(r["price"]) for r in found}


def _cancelled(data: Any, params: Mapping[str, Any]) -> list[Order | OrderList]:
    return [order_or_list(r) for r in data or []]


@dataclass(frozen=True, slots=True)
class WsMethod:
    """One WebSocket API method: the REST method (``name``, on :class:`~binanceus.Client`) and
    endpoint (``rest``) it mirrors, and how its answer is parsed."""

    ws: str
    name: str
    rest: str
    parse: Parse

    @property
    def endpoint(self) -> Endpoint:
        """The mirrored REST endpoint: its security type, weight and mutating-ness hold for
        the WebSocket method as well (spec L10546: one weight counter for both)."""
        return ENDPOINTS[self.rest]


def _row(ws: str, name: str, rest: str, parse: Parse) -> WsMethod:
    return WsMethod(ws, name, rest, parse)


WS_API_TABLE: tuple[WsMethod, ...] = (
    # general
    _row("ping", "ping", "GET /api/v3/ping", _nothing),
    _row("time", "server_time", "GET /api/v3/time", _of(lambda d: from_ms(d["serverTime"]))),
    _row("exchangeInfo", "exchange_info", "GET /api/v3/exchangeInfo", _of(ExchangeInfo.from_api)),
    # market data
    _row("depth", "depth", "GET /api/v3/depth", _of(DepthSnapshot.from_api)),
    _row("trades.recent", "recent_trades", "GET /api/v3/trades", _of(rows(Trade.from_api))),
    _row(
        "trades.historical",
        "historical_trades",
        "GET /api/v3/historicalTrades",
        _of(rows(Trade.from_api)),
    ),
    _row("trades.aggregate", "agg_trades", "GET /api/v3/aggTrades", _of(rows(AggTrade.from_api))),
    _row("klines", "klines", "GET /api/v3/klines", _of(rows(Kline.from_api))),
    _row("avgPrice", "avg_price", "GET /api/v3/avgPrice", _of(AvgPrice.from_api)),
    _row("ticker.24hr", "ticker_24hr", "GET /api/v3/ticker/24hr", _one_or_list(Ticker24h.from_api)),
    _row("ticker", "ticker", "GET /api/v3/ticker", _one_or_list(Ticker24h.from_api)),
    _row("ticker.price", "ticker_price", "GET /api/v3/ticker/price", _prices),
    _row(
        "ticker.book",
        "book_ticker",
        "GET /api/v3/ticker/bookTicker",
        _one_or_list(BookTicker.from_api),
    ),
    # trading
    _row("order.place", "new_order", "POST /api/v3/order", _of(Order.from_api)),
    _row(
        "order.test",
        "test_new_order",
        "POST /api/v3/order/test",
        _of(lambda d: OrderTestResult.from_api(d or {})),
    ),
    _row("order.status", "get_order", "GET /api/v3/order", _of(Order.from_api)),
    _row("order.cancel", "cancel_order", "DELETE /api/v3/order", _of(Order.from_api)),
    _row(
        "order.cancelReplace",
        "cancel_replace",
        "POST /api/v3/order/cancelReplace",
        _of(CancelReplaceResult.from_api),
    ),
    _row("openOrders.status", "open_orders", "GET /api/v3/openOrders", _of(rows(Order.from_api))),
    _row("openOrders.cancelAll", "cancel_open_orders", "DELETE /api/v3/openOrders", _cancelled),
    _row("orderList.place", "new_oco", "POST /api/v3/order/oco", _of(OrderList.from_api)),
    _row("orderList.status", "get_order_list", "GET /api/v3/orderList", _of(OrderList.from_api)),
    _row(
        "orderList.cancel", "cancel_order_list", "DELETE /api/v3/orderList", _of(OrderList.from_api)
    ),
    _row(
        "openOrderLists.status",
        "open_order_lists",
        "GET /api/v3/openOrderList",
        _of(rows(OrderList.from_api)),
    ),
    # account
    _row("account.status", "account", "GET /api/v3/account", _of(Account.from_api)),
    _row(
        "account.rateLimits.orders",
        "order_rate_limit",
        "GET /api/v3/rateLimit/order",
        _of(rows(RateLimitUsage.from_api)),
    ),
    _row("allOrders", "all_orders", "GET /api/v3/allOrders", _of(rows(Order.from_api))),
    _row(
        "allOrderLists",
        "all_order_lists",
        "GET /api/v3/allOrderList",
        _of(rows(OrderList.from_api)),
    ),
    _row("myTrades", "my_trades", "GET /api/v3/myTrades", _of(rows(AccountTrade.from_api))),
    _row(
        "myPreventedMatches",
        "my_prevented_matches",
        "GET /api/v3/myPreventedMatches",
        _of(rows(PreventedMatch.from_api)),
    ),
    # user data stream
    _row(
        "userDataStream.start",
        "create_listen_key",
        "POST /api/v3/userDataStream",
        _of(lambda d: str(d["listenKey"])),
    ),
    _row("userDataStream.ping", "keepalive_listen_key", "PUT /api/v3/userDataStream", _nothing),
    _row("userDataStream.stop", "close_listen_key", "DELETE /api/v3/userDataStream", _nothing),
)


def _check_table() -> None:
    """Every row names a table method, a table endpoint and a REST method of that endpoint."""
    for row in WS_API_TABLE:
        rest_method = getattr(Recorder, row.name, None)
        if row.ws not in WS_API_METHODS or row.rest not in ENDPOINTS:
            raise KeyError(f"{row.ws} / {row.rest}: not in binanceus/endpoints.json")
        if getattr(rest_method, "__endpoint__", None) != row.rest:
            raise KeyError(f"{row.ws}: Client.{row.name} is not the method of {row.rest}")


@dataclass(frozen=True, slots=True)
class Sent:
    """What a REST method would have sent: its endpoint, its own params (``None`` values left
    out; no key, timestamp or signature yet) and the client-side id to look it up by."""

    key: str
    params: dict[str, Any]
    client_order_id: str | None


class _Stop(BaseException):
    """Ends a REST method at its ``_call``. A BaseException so that no ``except Exception`` in
    a method body can swallow it."""

    def __init__(self, sent: Sent) -> None:
        super().__init__(sent.key)
        self.sent = sent


class Recorder(MarketMethods, TradingMethods, AccountMethods):
    """The REST methods, minus the sending: :meth:`record` returns what a call would send.

    The symbol rules cache is the owner's, so local filter checks see what the WebSocket
    ``exchange_info`` answered."""

    def __init__(self, rules: dict[str, tuple[float, SymbolRules]], ttl: float) -> None:
        # Transport.__init__ is skipped on purpose: nothing here holds a session or a key.
        self._rules = rules
        self.exchange_info_ttl = ttl

    def __repr__(self) -> str:
        return "Recorder()"

    def _call(
        self,
        key: str,
        params: Mapping[str, Any] | None = None,
        *,
        client_order_id: str | None = None,
        text_ok: bool = False,
    ) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        raise _Stop(Sent(key, clean, client_order_id))

    def record(self, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Sent:
        """Run the REST method ``name`` with these arguments; what it would have sent. Its
        argument errors (``TypeError``, ``ValueError``, :class:`OrderRejectedLocally`)
        propagate: nothing is sent then."""
        try:
            getattr(self, name)(*args, **kwargs)
        except _Stop as stop:
            return stop.sent
        raise AssertionError(f"Client.{name} returned without sending")

    def remember(self, info: ExchangeInfo) -> None:
        """Cache the symbol rules of an ``exchange_info`` answer (as the REST client does)."""
        self._remember_rules(info)


_check_table()
