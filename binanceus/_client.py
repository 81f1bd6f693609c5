"""The synchronous REST client."""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, overload

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ._account_models import (
    AssetDistribution,
    CreditLineAccount,
    CreditLineAlert,
    CreditLineTransfer,
    CreditLineTransferRecord,
    CustodianBalance,
    CustodianSettlement,
    CustodianSettlementSetting,
    CustodianSupportedAssets,
    CustodianTransfer,
    CustodianTransferRecord,
    CustodianUndoTransfer,
    KeyType,
    KeyVerification,
    SpotSummary,
    SubAccount,
    SubAccountAssets,
    SubAccountDeposit,
    SubAccountDepositAddress,
    SubAccountStatus,
    SubAccountTransfer,
    SubAccountTransferRecord,
    SystemStatus,
    TradeFee,
)
from ._endpoints import ENDPOINTS, Coverage, Endpoint, coverage_of, endpoint
from ._errors import (
    CancelReplaceFailed,
    CancelReplaceRejected,
    ExecutionUnknown,
    InvalidResponse,
    InvalidTimestamp,
    IPBanned,
    NetworkError,
    RateLimited,
    ServiceUnavailable,
    TransportError,
    error_for,
)
from ._filters import SymbolRules
from ._models import (
    Account,
    AccountStatus,
    AggTrade,
    ApiTradingStatus,
    AvgPrice,
    BookTicker,
    DepthSnapshot,
    ExchangeInfo,
    Kline,
    Ticker24h,
    Trade,
    to_decimal,
)
from ._signing import ParamValue, Secret, encode_params
from ._time import ServerClock, from_ms, now_ms
from ._time import to_ms_or_none as _ms
from ._trading import TradingMethods, generate_client_order_id
from ._trading_models import CancelReplaceResult
from ._weights import InMemoryWeightBudget, WeightBudget, parse_rate_headers

__all__ = ["DEFAULT_CUSTODIAL_RAIL", "Client", "coverage", "generate_client_order_id"]

logger = logging.getLogger("binanceus")

DEFAULT_BASE_URL = "https://api.binance.us"
DEFAULT_CUSTODIAL_RAIL = "ANCHORAGE"
"""The custodial partner the spec uses as its example; every custodial endpoint needs one."""
_BANNED_UNTIL = re.compile(r"banned until (\d{13})")


TickerType = Literal["FULL", "MINI"]


def _symbol_or_symbols(symbol: str | None, symbols: Sequence[str] | None) -> dict[str, Any]:
    if symbol is not None and symbols is not None:
        raise ValueError("pass symbol or symbols, not both")
    return {"symbol": symbol, "symbols": None if symbols is None else list(symbols)}


def _as_rows(data: Any) -> list[Any]:
    return [data] if isinstance(data, dict) else list(data)


def _nothing_sent(exc: requests.RequestException) -> bool:
    """True if the request provably never left this host (connection not established)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


def _amount(value: Decimal | int) -> Decimal:
    """A positive transfer amount as Decimal (floats are refused: pass Decimal("0.1"))."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"amount must be a Decimal, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"amount must be a positive finite number, not {value}")
    return amount


def _rows(data: Any, key: str) -> list[Any]:
    """List answers come bare (``[...]``) or wrapped (``{"data": [...], "total": n}``)."""
    if isinstance(data, list):
        return data
    return list(data.get(key, []) or [])


def _resend_safe(ep: Endpoint, exc: Exception) -> bool:
    """A mutating call is repeated only after the documented not-executed 503, and only on
    the trading endpoints, whose client-side ids make a duplicate impossible; other areas
    (transfers) leave the decision to the caller, which may have its own bookkeeping."""
    return isinstance(exc, ServiceUnavailable) and ep.area == "trading"


def _cancel_replace_error(
    status: int, code: int | None, msg: str, payload: Any, endpoint: str
) -> CancelReplaceFailed | None:
    """-2021 / -2022 answers carry ``data``: which half of a cancel-replace happened."""
    if code not in (-2021, -2022) or not isinstance(payload, dict):
        return None
    data = payload.get("data")
    if not isinstance(data, dict):
        error = payload.get("error")
        data = error.get("data") if isinstance(error, dict) else None
    if not isinstance(data, dict):
        return None
    result = CancelReplaceResult.from_api(data)
    cls = CancelReplaceFailed if status == 409 else CancelReplaceRejected
    return cls(status, code, msg, result=result, endpoint=endpoint)


def _mask(value: str | None) -> str | None:
    if not value:
        return None
    return "****" + value[-4:] if len(value) > 12 else "****"


class Client(TradingMethods):
    """Binance.US REST client.

    ``Client(api_key, api_secret)`` signs ``SIGNED`` endpoints with HMAC-SHA256 and sends the
    API key on every endpoint whose security type asks for it (both decided by the endpoint
    table). Read calls retry on :class:`TransportError`, :class:`NetworkError` and
    :class:`ServiceUnavailable` with exponential backoff plus jitter (``retry_backoff``
    scaled by up to ``1 + retry_jitter``); mutating calls never retry an unknown outcome
    (:class:`ExecutionUnknown`), and only trading calls (which carry client-side ids) retry
    the documented not-executed 503 "Service Unavailable". The server
    clock offset is measured before the first signed call and again every
    ``time_resync_interval`` seconds; a ``-1021`` answer triggers one resync and one retry.
    Pass one ``server_clock`` to several clients to share the measurement.
    ``exchange_info`` answers are cached per symbol for ``exchange_info_ttl`` seconds
    (:meth:`symbol_rules`), which turns on local filter checks for placed orders.
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        recv_window: int = 5000,
        session: requests.Session | None = None,
        weight_budget: WeightBudget | None = None,
        retry_backoff: Sequence[float] = (0.2, 0.4, 0.8),
        local_clock_ms: Callable[[], int] = now_ms,
        sleep: Callable[[float], None] = time.sleep,
        retry_jitter: float = 0.25,
        time_resync_interval: float = 300.0,
        exchange_info_ttl: float = 300.0,
        server_clock: ServerClock | None = None,
    ) -> None:
        if not 0 < recv_window <= 60_000:
            raise ValueError("recv_window must be in (0, 60000]")
        self._api_key = api_key or None
        self._secret = Secret(api_secret) if api_secret else None
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.recv_window = recv_window
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()
        self.weight_budget: WeightBudget = (
            weight_budget if weight_budget is not None else InMemoryWeightBudget()
        )
        self.retry_backoff = tuple(retry_backoff)
        # Clients of one process talking to one exchange may share a clock (the offset is the
        # host's, not the key's), so a short-lived client need not measure it again.
        self._clock = server_clock if server_clock is not None else ServerClock(local_clock_ms)
        self._sleep = sleep
        self._used_weight: dict[str, int] = {}
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self._blocked_error: type[RateLimited] | None = None
        self.retry_jitter = retry_jitter
        self.time_resync_interval = time_resync_interval
        self.exchange_info_ttl = exchange_info_ttl
        self._rules: dict[str, tuple[float, SymbolRules]] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"Client(base_url={self.base_url!r}, api_key={_mask(self._api_key)!r}, "
            f"api_secret={'********' if self._secret else None!r})"
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    @property
    def used_weight(self) -> dict[str, int]:
        """Last seen ``X-MBX-USED-WEIGHT-*`` / ``X-MBX-ORDER-COUNT-*`` values (upper-case)."""
        with self._lock:
            return dict(self._used_weight)

    @property
    def order_counts(self) -> dict[str, int]:
        """Last seen ``X-MBX-ORDER-COUNT-<interval>`` values by interval, e.g. ``{"10S": 3}``."""
        prefix = "X-MBX-ORDER-COUNT-"
        return {k[len(prefix) :]: v for k, v in self.used_weight.items() if k.startswith(prefix)}

    @property
    def time_offset_ms(self) -> int:
        """Server minus local clock in ms, as last measured by :meth:`sync_time`."""
        return self._clock.offset_ms

    def _call(
        self,
        key: str,
        params: Mapping[str, ParamValue | None] | None = None,
        *,
        client_order_id: str | None = None,
    ) -> Any:
        ep = ENDPOINTS[key]
        if ep.needs_api_key and not self._api_key:
            raise ValueError(f"{ep.key} ({ep.security}) needs an api_key")
        if ep.signed and self._secret is None:
            raise ValueError(f"{ep.key} is SIGNED and needs an api_secret")
        if ep.signed and self._clock_stale():
            self.sync_time()
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        resynced = False
        attempt = 0
        while True:
            try:
                return self._send(ep, clean, client_order_id)
            except InvalidTimestamp:
                if not ep.signed or resynced:
                    raise
                resynced = True
                logger.info("%s: -1021 timestamp rejected; resyncing clock, retrying", ep.key)
                self.sync_time()
            except (TransportError, NetworkError, ServiceUnavailable) as exc:
                retryable = not ep.mutating or _resend_safe(ep, exc)
                if not retryable or attempt >= len(self.retry_backoff):
                    raise
                delay = self.retry_backoff[attempt] * (1 + self.retry_jitter * random.random())
                attempt += 1
                logger.warning(
                    "%s: %s; retry %d in %.2fs", ep.key, type(exc).__name__, attempt, delay
                )
                self._sleep(delay)

    def _clock_stale(self) -> bool:
        age = self._clock.age_ms()
        return age is None or age < 0 or age > self.time_resync_interval * 1000

    def _send(self, ep: Endpoint, params: dict[str, ParamValue], coid: str | None) -> Any:
        if self._blocked_error is not None and time.monotonic() < self._blocked_until:
            wait = self._blocked_until - time.monotonic()
            raise self._blocked_error(
                418 if self._blocked_error is IPBanned else 429,
                None,
                f"not sent: backing off for another {wait:.1f}s after a rate-limit answer",
                endpoint=ep.key,
                retry_after=wait,
            )
        wire = dict(params)
        if ep.signed:
            # "An additional parameter, recvWindow, may be sent" to any SIGNED endpoint.
            wire["recvWindow"] = self.recv_window
            wire["timestamp"] = self._clock.now_ms()
        encoded = encode_params(wire)
        if ep.signed:
            assert self._secret is not None
            signature = self._secret.hmac_sha256(encoded)
            encoded = f"{encoded}&signature={signature}" if encoded else f"signature={signature}"
        headers: dict[str, str] = {}
        if ep.needs_api_key:
            assert self._api_key is not None
            headers["X-MBX-APIKEY"] = self._api_key
        url = self.base_url + ep.path
        body: str | None = None
        if ep.method in ("GET", "DELETE"):
            if encoded:
                url = f"{url}?{encoded}"
        elif encoded:
            body = encoded
            headers["Content-Type"] = "application/x-www-form-urlencoded"

        self.weight_budget.acquire(ep.weight_for(wire))
        started = time.monotonic()
        try:
            resp = self._session.request(
                ep.method, url, data=body, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            kind = type(exc).__name__
            if _nothing_sent(exc):
                raise TransportError(
                    f"{ep.key}: could not connect ({kind}); nothing was sent", endpoint=ep.key
                ) from None
            if ep.mutating:
                unknown = ExecutionUnknown(
                    f"{ep.key}: no response after sending ({kind}); execution status unknown",
                    endpoint=ep.key,
                    client_order_id=coid,
                    params=params,
                )
                logger.warning("%s (client order id %s)", unknown, coid)
                raise unknown from None
            raise NetworkError(f"{ep.key}: no response ({kind})", endpoint=ep.key) from None
        logger.debug(
            "%s -> %s in %.0fms", ep.key, resp.status_code, (time.monotonic() - started) * 1000
        )
        self._observe(resp.headers)
        return self._decode(ep, resp, coid, params)

    def _observe(self, headers: Mapping[str, str]) -> None:
        seen = parse_rate_headers(headers)
        if seen:
            with self._lock:
                self._used_weight.update(seen)
        self.weight_budget.observe(headers)

    def _decode(
        self,
        ep: Endpoint,
        resp: requests.Response,
        coid: str | None,
        params: Mapping[str, ParamValue] | None = None,
    ) -> Any:
        status = resp.status_code
        text = resp.text
        try:
            payload = json.loads(text, parse_float=Decimal) if text.strip() else None
        except ValueError:
            payload = None
        if 200 <= status < 300:
            if payload is None:
                if text.strip():
                    raise InvalidResponse(f"{ep.key}: response is not JSON", status=status)
                return {}
            return payload
        code: int | None = None
        msg = text.strip()[:300]
        if isinstance(payload, dict):
            raw_code = payload.get("code")
            code = int(raw_code) if isinstance(raw_code, int) else None
            msg = str(payload.get("msg", msg))
        retry_after = self._retry_after(status, resp.headers, msg)
        replaced = _cancel_replace_error(status, code, msg, payload, ep.key)
        if replaced is not None:
            raise replaced
        exc = error_for(
            status=status,
            code=code,
            msg=msg,
            endpoint=ep.key,
            mutating=ep.mutating,
            client_order_id=coid,
            retry_after=retry_after,
            params=params,
        )
        if isinstance(exc, RateLimited | IPBanned):
            self._blocked_until = time.monotonic() + (retry_after or 0)
            self._blocked_error = type(exc)
            back_off = getattr(self.weight_budget, "back_off", None)
            if callable(back_off):
                back_off(retry_after, status=status)
        if isinstance(exc, ExecutionUnknown):
            logger.warning("%s (client order id %s)", exc, coid)
        raise exc

    @staticmethod
    def _retry_after(status: int, headers: Mapping[str, str], msg: str) -> float | None:
        if status not in (418, 429):
            return None
        value = headers.get("Retry-After")
        if value is not None:
            try:
                return float(value)
            except ValueError:
                pass
        m = _BANNED_UNTIL.search(msg)
        if m:
            return max(0.0, int(m.group(1)) / 1000 - time.time())
        return None

    # -- general ----------------------------------------------------------------------------

    @endpoint("GET /api/v3/ping")
    def ping(self) -> None:
        self._call("GET /api/v3/ping")

    @endpoint("GET /api/v3/time")
    def server_time(self) -> datetime:
        return from_ms(self._call("GET /api/v3/time")["serverTime"])

    def sync_time(self) -> int:
        """Measure the server clock offset (ms, server minus local) used for timestamps."""
        sent = self._clock.local_ms()
        data = self._call("GET /api/v3/time")
        received = self._clock.local_ms()
        offset = self._clock.update(
            sent_ms=sent, server_ms=int(data["serverTime"]), received_ms=received
        )
        logger.debug("clock offset %dms (round trip %dms)", offset, received - sent)
        return offset

    @endpoint("GET /api/v3/exchangeInfo")
    def exchange_info(
        self, *, symbol: str | None = None, symbols: Sequence[str] | None = None
    ) -> ExchangeInfo:
        if symbol is not None and symbols is not None:
            raise ValueError("pass symbol or symbols, not both")
        data = self._call(
            "GET /api/v3/exchangeInfo",
            {"symbol": symbol, "symbols": list(symbols) if symbols is not None else None},
        )
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

    @endpoint("GET /api/v3/depth")
    def depth(self, symbol: str, *, limit: int = 100) -> DepthSnapshot:
        return DepthSnapshot.from_api(
            self._call("GET /api/v3/depth", {"symbol": symbol, "limit": limit})
        )

    @endpoint("GET /api/v3/trades")
    def recent_trades(self, symbol: str, *, limit: int = 500) -> list[Trade]:
        rows = self._call("GET /api/v3/trades", {"symbol": symbol, "limit": limit})
        return [Trade.from_api(r) for r in rows]

    @endpoint("GET /api/v3/klines")
    def klines(
        self,
        symbol: str,
        interval: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int = 500,
    ) -> list[Kline]:
        rows = self._call(
            "GET /api/v3/klines",
            {
                "symbol": symbol,
                "interval": interval,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "limit": limit,
            },
        )
        return [Kline.from_api(r) for r in rows]

    @endpoint("GET /api/v3/historicalTrades")
    def historical_trades(
        self, symbol: str, *, limit: int | None = None, from_id: int | None = None
    ) -> list[Trade]:
        """Older trades (MARKET_DATA: sends the API key, not signed). ``from_id``: the trade id
        to start at (inclusive); without it, the most recent ``limit`` trades."""
        rows = self._call(
            "GET /api/v3/historicalTrades", {"symbol": symbol, "limit": limit, "fromId": from_id}
        )
        return [Trade.from_api(r) for r in rows]

    @endpoint("GET /api/v3/aggTrades")
    def agg_trades(
        self,
        symbol: str,
        *,
        from_id: int | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
    ) -> list[AggTrade]:
        """Aggregate trades; ``from_id`` (inclusive) cannot be combined with a time range."""
        if from_id is not None and (start_time is not None or end_time is not None):
            raise ValueError("from_id cannot be combined with start_time / end_time")
        rows = self._call(
            "GET /api/v3/aggTrades",
            {
                "symbol": symbol,
                "fromId": from_id,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "limit": limit,
            },
        )
        return [AggTrade.from_api(r) for r in rows]

    @endpoint("GET /api/v3/avgPrice")
    def avg_price(self, symbol: str) -> AvgPrice:
        return AvgPrice.from_api(self._call("GET /api/v3/avgPrice", {"symbol": symbol}))

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
        if symbol is not None:
            return BookTicker.from_api(data)
        return [BookTicker.from_api(r) for r in _as_rows(data)]

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
        if symbol is not None:
            return Ticker24h.from_api(data)
        return [Ticker24h.from_api(r) for r in _as_rows(data)]

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
        if symbol is not None:
            return Ticker24h.from_api(data)
        return [Ticker24h.from_api(r) for r in _as_rows(data)]

    @endpoint("GET /api/v3/ticker/price")
    def ticker_price(self, *, symbol: str | None = None) -> dict[str, Decimal]:
        data = self._call("GET /api/v3/ticker/price", {"symbol": symbol})
        rows = [data] if isinstance(data, dict) else data
        return {r["symbol"]: to_decimal(r["price"]) for r in rows}

    # -- account ----------------------------------------------------------------------------

    @endpoint("GET /api/v3/account")
    def account(self) -> Account:
        return Account.from_api(self._call("GET /api/v3/account"))

    @endpoint("GET /sapi/v3/accountStatus")
    def account_status(self) -> AccountStatus:
        return AccountStatus.from_api(self._call("GET /sapi/v3/accountStatus"))

    @endpoint("GET /sapi/v3/apiTradingStatus")
    def api_trading_status(self) -> ApiTradingStatus:
        return ApiTradingStatus.from_api(self._call("GET /sapi/v3/apiTradingStatus"))

    @endpoint("GET /sapi/v1/system/status")
    def system_status(self) -> SystemStatus:
        """0 normal, 1 system maintenance (:attr:`SystemStatus.is_normal`)."""
        return SystemStatus.from_api(self._call("GET /sapi/v1/system/status"))

    @endpoint("GET /sapi/v1/asset/query/trading-fee")
    def trade_fee(self, *, symbol: str | None = None) -> list[TradeFee]:
        """Maker / taker fee rates for one symbol, or for all when ``symbol`` is None."""
        data = self._call("GET /sapi/v1/asset/query/trading-fee", {"symbol": symbol})
        rows = [data] if isinstance(data, dict) else data
        return [TradeFee.from_api(r) for r in rows]

    @endpoint("GET /sapi/v1/asset/query/trading-volume")
    def trading_volume(self) -> Decimal:
        """Total trade volume of the past 30 days (USD)."""
        data = self._call("GET /sapi/v1/asset/query/trading-volume")
        return to_decimal(data["past30DaysTradingVolume"])

    @endpoint("GET /sapi/v1/asset/assetDistributionHistory")
    def asset_distribution_history(
        self,
        *,
        asset: str | None = None,
        category: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
    ) -> list[AssetDistribution]:
        data = self._call(
            "GET /sapi/v1/asset/assetDistributionHistory",
            {
                "asset": asset,
                "category": category,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "limit": limit,
            },
        )
        return [AssetDistribution.from_api(r) for r in data.get("rows", []) or []]

    # -- key verification -------------------------------------------------------------------

    def verify(self, key_type: KeyType = "exchange", *, rail: str | None = None) -> KeyVerification:
        """Check this client's key against the endpoints its key type may call.

        - ``"exchange"``: ``GET /api/v3/account`` + ``/sapi/v3/accountStatus`` +
          ``/sapi/v3/apiTradingStatus``.
        - ``"custodial"``: ``GET /sapi/v1/custodian/balance`` for ``rail``. Every custodial
          endpoint requires a rail, so without one the spec's example partner
          (:data:`DEFAULT_CUSTODIAL_RAIL`, ``"ANCHORAGE"``) is used.
        - ``"credit_line"``: ``GET /sapi/v2/cl/account``.

        Rejections propagate as the typed exceptions (:class:`AuthenticationError`, ...).
        """
        raw: dict[str, Any] = {}

        def fetch(key: str, params: Mapping[str, ParamValue | None] | None = None) -> Any:
            raw[key] = self._call(key, params)
            return raw[key]

        if key_type == "exchange":
            account = Account.from_api(fetch("GET /api/v3/account"))
            status = AccountStatus.from_api(fetch("GET /sapi/v3/accountStatus"))
            trading = ApiTradingStatus.from_api(fetch("GET /sapi/v3/apiTradingStatus"))
            return KeyVerification(
                key_type="exchange",
                can_trade=account.can_trade,
                can_withdraw=account.can_withdraw,
                can_deposit=account.can_deposit,
                permissions=list(account.permissions),
                account_status=status.status,
                trading_locked=trading.is_locked,
                trading_indicators={k: list(v) for k, v in trading.indicators.items()},
                balances=list(account.balances),
                raw=raw,
                account=account,
                status=status,
                trading_status=trading,
            )
        if key_type == "custodial":
            rail = (rail or DEFAULT_CUSTODIAL_RAIL).upper()
            balance = CustodianBalance.from_api(
                fetch("GET /sapi/v1/custodian/balance", {"rail": rail})
            )
            return KeyVerification(
                key_type="custodial",
                can_trade=None,
                can_withdraw=None,
                can_deposit=None,
                permissions=[],
                account_status=None,
                trading_locked=None,
                trading_indicators={},
                balances=[b.as_balance() for b in balance.exchange_wallet_balance],
                raw=raw,
                rail=rail,
                custodial_balances=[b.as_balance() for b in balance.custodial_account_balance],
                custodian_balance=balance,
            )
        if key_type == "credit_line":
            cl = CreditLineAccount.from_api(fetch("GET /sapi/v2/cl/account"))
            return KeyVerification(
                key_type="credit_line",
                can_trade=cl.can_trade,
                can_withdraw=None,
                can_deposit=None,
                permissions=[],
                account_status=None,
                trading_locked=None,
                trading_indicators={},
                balances=list(cl.balances),
                raw=raw,
                credit_line_account=cl,
            )
        raise ValueError(
            f"key_type must be 'exchange', 'custodial' or 'credit_line', not {key_type!r}"
        )

    # -- sub-accounts -----------------------------------------------------------------------

    @endpoint("GET /sapi/v3/sub-account/list")
    def sub_accounts(
        self,
        *,
        email: str | None = None,
        status: str | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[SubAccount]:
        """The master account's sub-accounts (``status``: ``"enabled"`` / ``"disabled"``)."""
        data = self._call(
            "GET /sapi/v3/sub-account/list",
            {"email": email, "status": status, "page": page, "limit": limit},
        )
        return [SubAccount.from_api(r) for r in data.get("subAccounts", []) or []]

    @endpoint("GET /sapi/v1/sub-account/status")
    def sub_account_status(self, *, email: str) -> list[SubAccountStatus]:
        """Status list of a sub-account (the spec makes ``email`` mandatory)."""
        data = self._call("GET /sapi/v1/sub-account/status", {"email": email})
        rows = [data] if isinstance(data, dict) else data
        return [SubAccountStatus.from_api(r) for r in rows]

    @endpoint("GET /sapi/v3/sub-account/assets")
    def sub_account_assets(self, *, email: str) -> SubAccountAssets:
        return SubAccountAssets.from_api(
            self._call("GET /sapi/v3/sub-account/assets", {"email": email})
        )

    @endpoint("GET /sapi/v1/sub-account/spotSummary")
    def sub_account_spot_summary(
        self, *, email: str | None = None, page: int | None = None, size: int | None = None
    ) -> SpotSummary:
        """The master account's total USD value, per sub-account."""
        return SpotSummary.from_api(
            self._call(
                "GET /sapi/v1/sub-account/spotSummary",
                {"email": email, "page": page, "size": size},
            )
        )

    @endpoint("POST /sapi/v3/sub-account/transfer")
    def sub_account_transfer(
        self, *, from_email: str, to_email: str, asset: str, amount: Decimal
    ) -> SubAccountTransfer:
        """Move ``amount`` of ``asset`` between the master account and a sub-account.

        Never retried automatically. On an unknown outcome (5XX other than the documented
        "Service Unavailable" failure, or no response after sending) this raises
        :class:`ExecutionUnknown` whose ``params`` hold ``fromEmail``, ``toEmail``, ``asset``
        and ``amount``: look for the transfer in :meth:`sub_account_transfer_history`
        before trying again.
        """
        return SubAccountTransfer.from_api(
            self._call(
                "POST /sapi/v3/sub-account/transfer",
                {
                    "fromEmail": from_email,
                    "toEmail": to_email,
                    "asset": asset,
                    "amount": _amount(amount),
                },
            )
        )

    @endpoint("GET /sapi/v3/sub-account/transfer/history")
    def sub_account_transfer_history(
        self,
        *,
        email: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[SubAccountTransferRecord]:
        data = self._call(
            "GET /sapi/v3/sub-account/transfer/history",
            {
                "email": email,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "page": page,
                "limit": limit,
            },
        )
        rows = data if isinstance(data, list) else data.get("transfers", []) or []
        return [SubAccountTransferRecord.from_api(r) for r in rows]

    @endpoint("GET /sapi/v1/capital/sub-account/deposit/address")
    def sub_account_deposit_address(
        self, *, email: str, coin: str, network: str | None = None
    ) -> SubAccountDepositAddress:
        return SubAccountDepositAddress.from_api(
            self._call(
                "GET /sapi/v1/capital/sub-account/deposit/address",
                {"email": email, "coin": coin, "network": network},
            )
        )

    @endpoint("GET /sapi/v1/capital/sub-account/deposit/history")
    def sub_account_deposit_history(
        self,
        *,
        email: str,
        coin: str | None = None,
        status: int | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[SubAccountDeposit]:
        data = self._call(
            "GET /sapi/v1/capital/sub-account/deposit/history",
            {
                "email": email,
                "coin": coin,
                "status": status,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "limit": limit,
                "offset": offset,
            },
        )
        return [SubAccountDeposit.from_api(r) for r in data]

    # -- custodial solution (custodial API keys only) ---------------------------------------

    @endpoint("GET /sapi/v1/custodian/balance")
    def custodian_balance(self, *, rail: str) -> CustodianBalance:
        return CustodianBalance.from_api(
            self._call("GET /sapi/v1/custodian/balance", {"rail": rail})
        )

    @endpoint("GET /sapi/v1/custodian/supportedAssetList")
    def custodian_supported_assets(self, *, rail: str) -> CustodianSupportedAssets:
        return CustodianSupportedAssets.from_api(
            self._call("GET /sapi/v1/custodian/supportedAssetList", {"rail": rail})
        )

    @endpoint("POST /sapi/v1/custodian/walletTransfer")
    def custodian_wallet_transfer(
        self, *, rail: str, asset: str, amount: Decimal, client_order_id: str | None = None
    ) -> CustodianTransfer:
        """Exchange wallet -> custodial sub-account. A ``clientOrderId`` is generated when none
        is given so an :class:`ExecutionUnknown` always carries one to look the transfer up by
        (:meth:`custodian_wallet_transfer_history`)."""
        coid = client_order_id or generate_client_order_id()
        return CustodianTransfer.from_api(
            self._call(
                "POST /sapi/v1/custodian/walletTransfer",
                {"rail": rail, "asset": asset, "amount": _amount(amount), "clientOrderId": coid},
                client_order_id=coid,
            )
        )

    @endpoint("POST /sapi/v1/custodian/custodianTransfer")
    def custodian_transfer(
        self, *, rail: str, asset: str, amount: Decimal, client_order_id: str | None = None
    ) -> CustodianTransfer:
        """Custodial partner -> custodial sub-account (``clientOrderId`` as for
        :meth:`custodian_wallet_transfer`; look up in :meth:`custodian_transfer_history`)."""
        coid = client_order_id or generate_client_order_id()
        return CustodianTransfer.from_api(
            self._call(
                "POST /sapi/v1/custodian/custodianTransfer",
                {"rail": rail, "asset": asset, "amount": _amount(amount), "clientOrderId": coid},
                client_order_id=coid,
            )
        )

    @endpoint("POST /sapi/v1/custodian/undoTransfer")
    def custodian_undo_transfer(
        self, *, rail: str, origin_transfer_id: str
    ) -> CustodianUndoTransfer:
        """Undo a custodian transfer; :class:`ExecutionUnknown` carries ``originTransferId``
        in ``params``."""
        return CustodianUndoTransfer.from_api(
            self._call(
                "POST /sapi/v1/custodian/undoTransfer",
                {"rail": rail, "originTransferId": origin_transfer_id},
            )
        )

    @endpoint("GET /sapi/v1/custodian/walletTransferHistory")
    def custodian_wallet_transfer_history(
        self,
        *,
        rail: str,
        transfer_id: str | None = None,
        client_order_id: str | None = None,
        asset: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[CustodianTransferRecord]:
        data = self._call(
            "GET /sapi/v1/custodian/walletTransferHistory",
            {
                "rail": rail,
                "transferId": transfer_id,
                "clientOrderId": client_order_id,
                "asset": asset,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "page": page,
                "limit": limit,
            },
        )
        return [CustodianTransferRecord.from_api(r) for r in _rows(data, "data")]

    @endpoint("GET /sapi/v1/custodian/custodianTransferHistory")
    def custodian_transfer_history(
        self,
        *,
        rail: str,
        transfer_id: str | None = None,
        client_order_id: str | None = None,
        express_trade_transfer: bool | None = None,
        asset: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page: int | None = None,
        limit: int | None = None,
    ) -> list[CustodianTransferRecord]:
        data = self._call(
            "GET /sapi/v1/custodian/custodianTransferHistory",
            {
                "rail": rail,
                "transferId": transfer_id,
                "clientOrderId": client_order_id,
                "expressTradeTransfer": express_trade_transfer,
                "asset": asset,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "page": page,
                "limit": limit,
            },
        )
        return [CustodianTransferRecord.from_api(r) for r in _rows(data, "data")]

    @endpoint("GET /sapi/v1/custodian/settlementSetting")
    def custodian_settlement_setting(self, *, rail: str) -> CustodianSettlementSetting:
        """Settlement status, schedule and next trigger time (the spec requires ``rail``)."""
        return CustodianSettlementSetting.from_api(
            self._call("GET /sapi/v1/custodian/settlementSetting", {"rail": rail})
        )

    @endpoint("GET /sapi/v1/custodian/settlementHistory")
    def custodian_settlement_history(
        self,
        *,
        rail: str,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        page: int | None = None,
    ) -> list[CustodianSettlement]:
        data = self._call(
            "GET /sapi/v1/custodian/settlementHistory",
            {
                "rail": rail,
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "limit": limit,
                "page": page,
            },
        )
        return [CustodianSettlement.from_api(r) for r in _rows(data, "records")]

    # -- credit line (credit-line API keys only) --------------------------------------------

    @endpoint("GET /sapi/v2/cl/account")
    def credit_line_account(self) -> CreditLineAccount:
        return CreditLineAccount.from_api(self._call("GET /sapi/v2/cl/account"))

    @endpoint("GET /sapi/v2/cl/alertHistory")
    def credit_line_alert_history(
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        alert_type: str | None = None,
    ) -> list[CreditLineAlert]:
        """Margin-call / liquidation alerts (``alert_type``: ``MARGIN_CALL``,
        ``LIQUIDATION_CALL``)."""
        data = self._call(
            "GET /sapi/v2/cl/alertHistory",
            {
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "limit": limit,
                "alertType": alert_type,
            },
        )
        return [CreditLineAlert.from_api(r) for r in _rows(data, "data")]

    @endpoint("GET /sapi/v1/cl/transferHistory")
    def credit_line_transfer_history(
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
        transfer_type: str | None = None,
        asset: str | None = None,
    ) -> list[CreditLineTransferRecord]:
        data = self._call(
            "GET /sapi/v1/cl/transferHistory",
            {
                "startTime": _ms(start_time),
                "endTime": _ms(end_time),
                "limit": limit,
                "transferType": transfer_type,
                "asset": asset,
            },
        )
        return [CreditLineTransferRecord.from_api(r) for r in _rows(data, "data")]

    @endpoint("POST /sapi/v1/cl/transfer")
    def credit_line_transfer(
        self, *, transfer_type: str, transfer_asset_type: str, quantity: Decimal
    ) -> CreditLineTransfer:
        """Transfer in / out of the credit line account (``transfer_type``: ``TRANSFER_IN`` /
        ``TRANSFER_OUT``). :class:`ExecutionUnknown` carries the parameters in ``params``."""
        return CreditLineTransfer.from_api(
            self._call(
                "POST /sapi/v1/cl/transfer",
                {
                    "transferType": transfer_type,
                    "transferAssetType": transfer_asset_type,
                    "quantity": _amount(quantity),
                },
            )
        )

    # -- user data stream -------------------------------------------------------------------

    @endpoint("POST /api/v3/userDataStream")
    def create_listen_key(self) -> str:
        return str(self._call("POST /api/v3/userDataStream")["listenKey"])

    @endpoint("PUT /api/v3/userDataStream")
    def keepalive_listen_key(self, listen_key: str) -> None:
        self._call("PUT /api/v3/userDataStream", {"listenKey": listen_key})

    @endpoint("DELETE /api/v3/userDataStream")
    def close_listen_key(self, listen_key: str) -> None:
        self._call("DELETE /api/v3/userDataStream", {"listenKey": listen_key})


def coverage() -> Coverage:
    """Which endpoints of the table have a typed :class:`Client` method."""
    return coverage_of(Client)
