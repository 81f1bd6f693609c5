"""The WebSocket API client (asyncio): the REST client's typed methods, over one socket.

Each method of :data:`~binanceus._ws_api_methods.WS_API_TABLE` is generated from its row: it
takes the arguments of the REST method it mirrors (plus ``timeout``), sends the WebSocket
API method and returns the REST method's model. What holds for REST holds here too: the
endpoint table's security type decides signing and the API key, its weight is spent from
the same :class:`~binanceus.WeightBudget` (pass the REST client's: the exchange counts both
on one counter, L10546), and answers map to the same typed errors.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Self, TypedDict, Unpack

from ._endpoints import Coverage, Endpoint, ws_api_coverage_of, ws_api_method
from ._errors import (
    BinanceUSError,
    ConnectionLost,
    ExecutionUnknown,
    InvalidTimestamp,
    IPBanned,
    NetworkError,
    RateLimited,
    RequestTimeout,
    ServiceUnavailable,
    TransportError,
    error_for,
)
from ._models import ExchangeInfo
from ._params import keywords
from ._signing import Secret, format_decimal, ws_signature_payload
from ._symbol_rules import SymbolRules
from ._time import ServerClock, now_ms, to_ms
from ._trading_models import RateLimitUsage
from ._transport import _cancel_replace_error, _mask, _resend_safe
from ._weights import InMemoryWeightBudget, WeightBudget
from ._ws_api_conn import DEFAULT_WS_API_URL, MAX_CONNECTION_AGE, WsApiConnector, WsApiStats
from ._ws_api_methods import WS_API_TABLE, Recorder, Sent, WsMethod
from ._wslink import RequestLink

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = ["DEFAULT_WS_API_URL", "AsyncWsApiClient", "WsApiOptions", "ws_api_coverage"]

logger = logging.getLogger("binanceus.ws_api")

_TIME = next(row for row in WS_API_TABLE if row.ws == "time")
_BANNED_UNTIL = re.compile(r"banned until (\d{13})")
_RATE_HEADERS = {"REQUEST_WEIGHT": "X-MBX-USED-WEIGHT-", "ORDERS": "X-MBX-ORDER-COUNT-"}


class WsApiOptions(TypedDict, total=False):
    """How the WebSocket API client connects (keyword arguments of both clients)."""

    url: str
    open_timeout: float
    ping_interval: float | None
    """Seconds between our own keepalive pings (None: none; the server's pings are answered
    either way)."""
    ping_timeout: float | None
    max_connection_age: float


class _Shared(TypedDict):
    recv_window: int
    weight_budget: WeightBudget
    server_clock: ServerClock


def shared_with(client: Transport) -> tuple[str | None, Secret | None, _Shared]:
    """What a WebSocket API client takes over from a REST client: its key and secret, and the
    budget and clock that both then share."""
    shared = _Shared(
        recv_window=client.recv_window,
        weight_budget=client.weight_budget,
        server_clock=client._clock,
    )
    return client._api_key, client._secret, shared


def _json_value(value: Any) -> Any:
    """A parameter as the JSON of the request carries it: decimals as plain strings (like the
    spec's examples), datetimes as milliseconds, lists as arrays."""
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return to_ms(value)
    if isinstance(value, float):
        raise TypeError("floats are not accepted for exchange parameters; use Decimal")
    if isinstance(value, Sequence):
        return [_json_value(v) for v in value]
    raise TypeError(f"unsupported parameter type {type(value).__name__}")


def _status(answer: Mapping[str, Any]) -> int:
    status = answer.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        return status
    return 400 if "error" in answer else 200


def _retry_after(status: int, data: Any, msg: str) -> float | None:
    """Seconds to wait after a 429 / 418. ``error.data.retryAfter`` is the epoch ms the wait
    ends at (L10583: a 13-digit timestamp next to ``serverTime``, which measures it without
    our clock's error); a number too small to be a timestamp is read as a wait in ms."""
    if status not in (418, 429):
        return None
    found = data.get("retryAfter") if isinstance(data, Mapping) else None
    if isinstance(found, int | Decimal) and not isinstance(found, bool):
        if found < 10**12:
            return float(found) / 1000
        server_ms = data.get("serverTime")
        now = int(server_ms) if isinstance(server_ms, int) else now_ms()
        return max(0.0, (int(found) - now) / 1000)
    m = _BANNED_UNTIL.search(msg)
    return max(0.0, int(m.group(1)) / 1000 - time.time()) if m else None


class WsApiCore:
    """What every WebSocket API client does around its socket: the key, the signature and the
    clock; the weight budget and the ``rateLimits`` of answers; an answer turned into the
    method's value or its typed error. :class:`AsyncWsApiClient` adds the socket,
    :class:`~binanceus.WsApiRelay` a hop through another process that holds one."""

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | Secret | None = None,
        *,
        timeout: float = 10.0,
        recv_window: int = 5000,
        weight_budget: WeightBudget | None = None,
        server_clock: ServerClock | None = None,
        time_resync_interval: float = 300.0,
        exchange_info_ttl: float = 300.0,
    ) -> None:
        if not 0 < recv_window <= 60_000:
            raise ValueError("recv_window must be in (0, 60000]")
        self._api_key = api_key or None
        self._secret = Secret(api_secret) if isinstance(api_secret, str) else api_secret
        self.timeout = timeout
        self.recv_window = recv_window
        self.weight_budget: WeightBudget = (
            weight_budget if weight_budget is not None else InMemoryWeightBudget()
        )
        self._clock = server_clock if server_clock is not None else ServerClock()
        self.time_resync_interval = time_resync_interval
        self._recorder = Recorder({}, exchange_info_ttl)
        self._used_weight: dict[str, int] = {}
        self._rate_limits: tuple[RateLimitUsage, ...] = ()
        self._blocked_until = 0.0
        self._blocked_error: type[RateLimited | IPBanned] | None = None

    @property
    def used_weight(self) -> dict[str, int]:
        """The last ``rateLimits`` as REST's header names: ``X-MBX-USED-WEIGHT-1M``,
        ``X-MBX-ORDER-COUNT-10S``, ``X-MBX-ORDER-COUNT-1D``."""
        return dict(self._used_weight)

    @property
    def order_counts(self) -> dict[str, int]:
        prefix = _RATE_HEADERS["ORDERS"]
        return {k[len(prefix) :]: v for k, v in self._used_weight.items() if k.startswith(prefix)}

    @property
    def rate_limits(self) -> tuple[RateLimitUsage, ...]:
        """The last answer's ``rateLimits`` (limit and count of each interval)."""
        return self._rate_limits

    @property
    def time_offset_ms(self) -> int:
        return self._clock.offset_ms

    def cached_symbol_rules(self, symbol: str) -> SymbolRules | None:
        """As :meth:`Client.cached_symbol_rules`: rules of a recent ``exchange_info`` answer."""
        return self._recorder.cached_symbol_rules(symbol)

    def _check_credentials(self, row: WsMethod, ep: Endpoint) -> None:
        if ep.needs_api_key and not self._api_key:
            raise ValueError(f"{row.ws} ({ep.security}) needs an api_key")
        if ep.signed and self._secret is None:
            raise ValueError(f"{row.ws} is SIGNED and needs an api_secret")

    def _clock_stale(self) -> bool:
        age = self._clock.age_ms()
        return age is None or age < 0 or age > self.time_resync_interval * 1000

    def _wire_params(self, ep: Endpoint, params: Mapping[str, Any]) -> dict[str, Any]:
        wire = {k: _json_value(v) for k, v in params.items()}
        if ep.needs_api_key:
            wire["apiKey"] = self._api_key
        if ep.signed:
            assert self._secret is not None
            wire["recvWindow"] = self.recv_window
            wire["timestamp"] = self._clock.now_ms()
            wire["signature"] = self._secret.hmac_sha256(ws_signature_payload(wire))
        return wire

    def _no_answer(self, row: WsMethod, ep: Endpoint, sent: Sent, exc: Exception) -> BinanceUSError:
        if not ep.mutating:
            return NetworkError(f"{row.ws}: no answer ({exc})", endpoint=row.ws)
        unknown = ExecutionUnknown(
            f"{row.ws}: no answer after sending ({exc}); execution status unknown",
            endpoint=row.ws,
            client_order_id=sent.client_order_id,
            params=sent.params,
        )
        logger.warning("%s (client order id %s)", unknown, sent.client_order_id)
        return unknown

    def _result(self, row: WsMethod, ep: Endpoint, sent: Sent, answer: Mapping[str, Any]) -> Any:
        self._observe(answer.get("rateLimits"))
        status = _status(answer)
        if 200 <= status < 300:
            # The spec's userDataStream.ping / .stop answers say "response" (L13897).
            return answer["result"] if "result" in answer else answer.get("response", {})
        raise self._error(row, ep, sent, status, answer)

    def _error(
        self, row: WsMethod, ep: Endpoint, sent: Sent, status: int, answer: Mapping[str, Any]
    ) -> BinanceUSError:
        error = answer.get("error")
        error = error if isinstance(error, Mapping) else {}
        raw_code = error.get("code")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        msg = str(error.get("msg", ""))
        retry_after = _retry_after(status, error.get("data"), msg)
        replaced = _cancel_replace_error(status, code, msg, answer, row.ws)
        if replaced is not None:
            return replaced
        exc = error_for(
            status,
            code,
            msg,
            endpoint=row.ws,
            mutating=ep.mutating,
            client_order_id=sent.client_order_id,
            retry_after=retry_after,
            params=sent.params,
        )
        if isinstance(exc, RateLimited | IPBanned):
            self._block(type(exc), status, retry_after)
        if isinstance(exc, ExecutionUnknown):
            logger.warning("%s (client order id %s)", exc, sent.client_order_id)
        return exc

    def _observe(self, rate_limits: Any) -> None:
        """Feed an answer's ``rateLimits`` to the budget as the REST headers they stand for."""
        headers = self._note(rate_limits)
        if headers:
            self.weight_budget.observe({k: str(v) for k, v in headers.items()})

    def _note(self, rate_limits: Any) -> dict[str, int]:
        """An answer's ``rateLimits`` kept for :meth:`stats`, as REST header names."""
        if not isinstance(rate_limits, list):
            return {}
        usages = tuple(RateLimitUsage.from_api(r) for r in rate_limits if isinstance(r, Mapping))
        headers = {
            _RATE_HEADERS[u.rate_limit_type] + u.window: u.count
            for u in usages
            if u.rate_limit_type in _RATE_HEADERS
        }
        self._rate_limits = usages
        self._used_weight.update(headers)
        return headers

    def _check_blocked(self, row: WsMethod) -> None:
        if self._blocked_error is None or time.monotonic() >= self._blocked_until:
            return
        wait = self._blocked_until - time.monotonic()
        raise self._blocked_error(
            418 if self._blocked_error is IPBanned else 429,
            None,
            f"not sent: backing off for another {wait:.1f}s after a rate-limit answer",
            endpoint=row.ws,
            retry_after=wait,
        )

    def _block(
        self, error: type[RateLimited | IPBanned], status: int, retry_after: float | None
    ) -> None:
        self._blocked_until = time.monotonic() + (retry_after or 0)
        self._blocked_error = error
        back_off = getattr(self.weight_budget, "back_off", None)
        if callable(back_off):
            back_off(retry_after, status=status)


class AsyncWsApiClient(WsApiCore):
    """Binance.US WebSocket API client (``wss://ws-api.binance.us:443/ws-api/v3``).

    ``await client.new_order(symbol=..., side=..., ...)``, ``await client.depth("BTCUSD")``:
    every method of the WebSocket API, named and typed like the :class:`~binanceus.Client`
    method it mirrors (:func:`ws_api_coverage` lists them), with a keyword-only ``timeout``
    (seconds to wait for the answer; ``timeout`` of the client by default).

    - Signed methods carry ``apiKey``, ``timestamp``, ``recvWindow`` and the ``signature`` of
      their sorted params in ``params``; USER_STREAM and MARKET_DATA ones the ``apiKey`` only.
    - ``rateLimits`` of every answer feed ``weight_budget`` (as REST's headers do) and
      :attr:`used_weight` / :attr:`order_counts` / :attr:`rate_limits`.
    - 429 / 418 raise :class:`RateLimited` / :class:`IPBanned` with ``retry_after`` seconds,
      and nothing more is sent until then; other errors map as for REST.
    - A placing call that loses its answer (the socket drops, or ``timeout`` passes) raises
      :class:`ExecutionUnknown` with the client order id (always sent: generated when not
      given) for ``get_order(orig_client_order_id=...)``. Reads are retried as REST retries
      them, on a new connection when the old one dropped.
    - One socket at a time, opened by the first request (or :meth:`connect`), reopened by the
      next request after a drop, replaced before its 24 hours are up.
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | Secret | None = None,
        *,
        timeout: float = 10.0,
        recv_window: int = 5000,
        weight_budget: WeightBudget | None = None,
        server_clock: ServerClock | None = None,
        retry_backoff: Sequence[float] = (0.2, 0.4, 0.8),
        retry_jitter: float = 0.25,
        time_resync_interval: float = 300.0,
        exchange_info_ttl: float = 300.0,
        **options: Unpack[WsApiOptions],
    ) -> None:
        keywords("AsyncWsApiClient.__init__", WsApiOptions, options)
        super().__init__(
            api_key,
            api_secret,
            timeout=timeout,
            recv_window=recv_window,
            weight_budget=weight_budget,
            server_clock=server_clock,
            time_resync_interval=time_resync_interval,
            exchange_info_ttl=exchange_info_ttl,
        )
        self.retry_backoff = tuple(retry_backoff)
        self.retry_jitter = retry_jitter
        self._connector = WsApiConnector(
            options.get("url", DEFAULT_WS_API_URL),
            request_timeout=timeout,
            open_timeout=options.get("open_timeout", 10.0),
            ping_interval=options.get("ping_interval", 20.0),
            ping_timeout=options.get("ping_timeout", 20.0),
            max_age=options.get("max_connection_age", MAX_CONNECTION_AGE),
            before_connect=self._spend_connection_weight,
        )

    @classmethod
    def from_client(cls, client: Transport, **options: Any) -> Self:
        """A client with the REST ``client``'s key, secret, recv window, server clock and
        weight budget, so REST and WebSocket calls spend one budget."""
        key, secret, shared = shared_with(client)
        return cls(key, secret, **shared, **options)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(url={self.url!r}, api_key={_mask(self._api_key)!r}, "
            f"api_secret={'********' if self._secret else None!r})"
        )

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._connector.url

    async def connect(self) -> None:
        """Open the connection now rather than on the first request."""
        await self._link()

    async def aclose(self) -> None:
        await self._connector.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def drop_connection(self) -> None:
        """Close the socket now (pending requests fail as on a drop); the next request opens
        a new one."""
        await self._connector.drop()

    # -- what the answers said ---------------------------------------------------------------

    def stats(self) -> WsApiStats:
        return self._connector.stats(self.used_weight)

    async def symbol_rules(self, symbol: str) -> SymbolRules:
        """As :meth:`Client.symbol_rules`, fetched over the WebSocket API when not cached."""
        cached = self.cached_symbol_rules(symbol)
        if cached is not None:
            return cached
        info: ExchangeInfo = await self.exchange_info(symbol=symbol.upper())  # type: ignore[attr-defined]
        return SymbolRules.from_exchange_info(info.symbol(symbol), info.exchange_filters)

    async def sync_time(self) -> int:
        """Measure the server clock offset (ms) with the ``time`` method."""
        sent = self._clock.local_ms()
        data = await self._request(_TIME, Sent(_TIME.rest, {}, None), None)
        received = self._clock.local_ms()
        return self._clock.update(
            sent_ms=sent, server_ms=int(data["serverTime"]), received_ms=received
        )

    # -- one call ----------------------------------------------------------------------------

    async def _invoke(
        self, row: WsMethod, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float | None
    ) -> Any:
        sent = self._recorder.record(row.name, args, kwargs)
        value = row.parse(await self._request(row, sent, timeout), sent.params)
        if isinstance(value, ExchangeInfo):
            self._recorder.remember(value)
        return value

    async def _request(self, row: WsMethod, sent: Sent, timeout: float | None) -> Any:
        """Send ``sent`` as ``row``'s method and return the answer's ``result``, resyncing the
        clock once on -1021 and retrying what REST would retry."""
        ep = row.endpoint
        self._check_credentials(row, ep)
        if ep.signed and self._clock_stale():
            await self.sync_time()
        resynced = False
        attempt = 0
        while True:
            try:
                return await self._send(row, ep, sent, timeout)
            except InvalidTimestamp:
                if not ep.signed or resynced:
                    raise
                resynced = True
                await self.sync_time()
            except (TransportError, NetworkError, ServiceUnavailable) as exc:
                if not self._retryable(ep, exc) or attempt >= len(self.retry_backoff):
                    raise
                delay = self.retry_backoff[attempt] * (1 + self.retry_jitter * random.random())
                attempt += 1
                logger.warning("%s: %s; retry %d in %.2fs", row.ws, exc, attempt, delay)
                await asyncio.sleep(delay)

    @staticmethod
    def _retryable(ep: Endpoint, exc: BinanceUSError) -> bool:
        # Unlike a REST connect failure, a request that never left is always safe to resend.
        return isinstance(exc, TransportError) or not ep.mutating or _resend_safe(ep, exc)

    async def _send(self, row: WsMethod, ep: Endpoint, sent: Sent, timeout: float | None) -> Any:
        self._check_blocked(row)
        link = await self._link()
        self.weight_budget.acquire(ep.weight_for(sent.params))
        params = self._wire_params(ep, sent.params)  # stamped after any wait to connect
        try:
            fut = await link.send(row.ws, params or None)
        except ConnectionLost:
            raise TransportError(
                f"{row.ws}: the connection closed before sending; nothing was sent",
                endpoint=row.ws,
            ) from None
        try:
            answer = await link.wait(fut, timeout)
        except (ConnectionLost, RequestTimeout) as exc:
            raise self._no_answer(row, ep, sent, exc) from None
        return self._result(row, ep, sent, answer)

    async def _link(self) -> RequestLink:
        try:
            return await self._connector.link()
        except (RateLimited, IPBanned) as exc:  # the handshake was refused (429 / 418)
            self._block(type(exc), exc.status, exc.retry_after)
            raise

    async def forward(
        self, method: str, params: Mapping[str, Any] | None, *, timeout: float | None = None
    ) -> Mapping[str, Any]:
        """Send a request another process prepared and signed (a :class:`WsApiRelay`'s) as it
        is, and return the exchange's whole answer (``status``, ``result`` or ``error``,
        ``rateLimits``): that process reads it, spent the weight and feeds the budget the
        ``rateLimits``; here they are only kept for :meth:`stats`.

        Raises :class:`TransportError` when nothing was sent (no socket could be opened, or
        it closed first), :class:`ConnectionLost` / :class:`RequestTimeout` when it was sent
        and no answer came."""
        try:
            link = await self._link()
            fut = await link.send(method, dict(params) if params else None)
        except ConnectionLost:
            raise TransportError(
                f"{method}: the connection closed before sending; nothing was sent",
                endpoint=method,
            ) from None
        answer = await link.wait(fut, timeout)
        # The relaying process feeds the same figures to the shared budget when it reads the
        # answer; a second feed here was a Redis round trip (sync, as budgets are) on this
        # loop before the answer went back, with the order's executionReport waiting behind it.
        self._note(answer.get("rateLimits"))
        return answer

    # -- the weight budget and back-off ------------------------------------------------------

    async def _spend_connection_weight(self) -> None:
        self.weight_budget.acquire(1)  # "Connecting to WebSocket API costs 1 weight" (L10543)


def _with_timeout(signature: inspect.Signature) -> inspect.Signature:
    """The REST method's signature plus the keyword-only ``timeout``."""
    params = list(signature.parameters.values())
    extra = inspect.Parameter(
        "timeout", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="float | None"
    )
    at = next((i for i, p in enumerate(params) if p.kind is p.VAR_KEYWORD), len(params))
    return signature.replace(parameters=[*params[:at], extra, *params[at:]])


def dressed_as(row: WsMethod, owner: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a generated method the name, signature and doc of the REST method it mirrors,
    and mark it as the WebSocket API method ``row.ws`` (for :func:`ws_api_coverage`)."""
    rest = getattr(Recorder, row.name)

    def dress(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__name__ = row.name
        func.__qualname__ = f"{owner}.{row.name}"
        func.__signature__ = _with_timeout(inspect.signature(rest))  # type: ignore[attr-defined]
        doc = inspect.getdoc(rest) or f"As :meth:`Client.{row.name}`."
        func.__doc__ = f"{doc}\n\nWebSocket API ``{row.ws}`` (mirrors ``{row.rest}``)."
        return ws_api_method(row.ws)(func)

    return dress


def _async_method(row: WsMethod) -> Callable[..., Any]:
    @dressed_as(row, "AsyncWsApiClient")
    async def call(
        self: AsyncWsApiClient, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        return await self._invoke(row, args, kwargs, timeout)

    return call


def install(cls: type, make: Callable[[WsMethod], Callable[..., Any]]) -> None:
    """Add one method per row of the table to ``cls``."""
    for row in WS_API_TABLE:
        setattr(cls, row.name, make(row))


install(AsyncWsApiClient, _async_method)


def ws_api_coverage(cls: type = AsyncWsApiClient) -> Coverage:
    """Which WebSocket API methods of the endpoint table have a typed client method."""
    return ws_api_coverage_of(cls)
