"""The admin API's exchange-wide controls under /sandbox/v1 (loopback peers only): faults,
filters, rate limits, request counts, the clock, price shocks, and dropping stream connections.

Faults: `GET /sandbox/v1/faults` shows them, `DELETE` clears them all, `POST` sets the keys it
names (all or nothing: any bad entry answers 400 {"error": ...} and changes nothing; a key set
to null clears that fault; count 0 clears it too):

    {"transfer": {"mode": "execute_then_500" | "execute_then_timeout" | "unavailable_503",
                  "count": 1, "holdSeconds": 30,         # POST /sapi/v3/sub-account/transfer
                  "probability": 1},
     "order": {... same as transfer ...},                # POST /api/v3/order
     "cancel": {...},                                    # DELETE /api/v3/order, /openOrders
     "cancelReplace": {...}, "oco": {...},               # POST /api/v3/order/cancelReplace, /oco
     "withdrawApply": {...},                             # POST /sapi/v1/capital/withdraw/apply
     "fiatWithdrawApply": {...},                    # POST /sapi/v1/fiatpayment/withdraw/apply
     "stake": {...}, "unstake": {...},                   # POST /sapi/v1/staking/stake, /unstake
     "custodyOrder": {...},           # POST /sapi/v1/custodian/order, /ocoOrder
     "custodyCancel": {...},          # DELETE /sapi/v1/custodian/cancelOrder, ...BySymbol, ...Oco
     "custodianTransfer": {...},      # POST /sapi/v1/custodian/walletTransfer, /custodianTransfer
     "custodianUndo": {...},          # POST /sapi/v1/custodian/undoTransfer
     "creditLineTransfer": {...},     # POST /sapi/v1/cl/transfer
     "otcOrder": {...},               # POST /sapi/v1/otc/orders
     "dust": {...},                   # POST /sapi/v1/asset/dust
     "historyLagSeconds": 0,     # transfer, withdraw, fiat and staking history visibility lag
     "orderVisibility": {"lagSeconds": 2, "count": 5},   # see below
     "clockSkewMs": -3000,                               # exchange clock vs the host's
     "depthGap": {"symbol": "BTCUSD", "count": 1},
     "streamDelayMs": {"symbol": "BTCUSD", "ms": 300, "count": 10},
     "streamDuplicate": {"symbol": "BTCUSD", "count": 1},
     "wsApi": {"mode": "execute_then_drop" | "delay_answer" | "unavailable_503",
               "count": 1, "method": "order.place", "delaySeconds": 5, "probability": 1},
     "wsApiDown": true}

  depthGap         the next `count` (default 1) diff-depth batches of `symbol` (required) are
                   never sent, on @depth and @depth@100ms alike: the following event's U is
                   not the previous u + 1. GET /api/v3/depth stays right, so a client that
                   resyncs from a snapshot is consistent again.
  streamDelayMs    market-stream events (of `symbol`'s streams, or of every market stream when
                   no symbol) are held back `ms` (0..60000) on each connection, order kept;
                   the next `count` events, or every event until cleared when no count.
  streamDuplicate  the next `count` (default 1) market-stream events (of `symbol`'s streams,
                   or any) are sent twice.
  count            calls the fault applies to (default 1); null: every call until cleared.
  probability      the share of calls it applies to (seeded rng, default 1): with
                   {"count": 1000, "probability": 0.1} about every tenth call fails, until
                   1000 have.
  orderVisibility  each order placed (by a real account) while set is answered as unknown by
                   GET /api/v3/order (-2013) and DELETE /api/v3/order (-2011 "Unknown order
                   sent.") for lagSeconds of sandbox time, though it exists and trades; the
                   next `count` placements, or all until cleared when count is null/absent.
  clockSkewMs      the exchange's serverTime runs N ms off the host clock (the same setting
                   as POST /clock offsetMs), so a client with a stale offset gets -1021.
                   DELETE /faults resets it to 0.
  wsApi            WebSocket API requests (of `method` only, when given): execute_then_drop
                   runs the request then cuts the connection unanswered, delay_answer runs it
                   and answers delaySeconds later, unavailable_503 answers 503 without running
                   it (see ws_api.py). The operation faults above ("order", "cancel", ...)
                   apply to the WebSocket API's calls of the same endpoints too.
  wsApiDown        the WebSocket API is down while true (false or null clears it): setting it
                   cuts every open /ws-api/v3 connection (no close frame) and handshakes are
                   refused with HTTP 503 "Service Unavailable." until it is cleared; market
                   streams and REST are not affected (see ws_api.py). GET shows it only while
                   set.
  Stream-fault counts go down once per event sent to at least one subscriber. GET shows
  the stream faults only while set, in the shape they were posted.

Filters: `GET /sandbox/v1/filters` -> {"symbols": {symbol: [filter, ...]}, "exchange": [...]}
(exactly what exchangeInfo advertises and orders are checked against); `POST` changes fields
or removes filters, all or nothing: {"BTCUSD": {"MAX_NUM_ORDERS": {"limit": 3},
"PERCENT_PRICE_BY_SIDE": null}, "exchange": {"EXCHANGE_MAX_NUM_ORDERS": {"maxNumOrders": 5}}};
`DELETE` restores the defaults.

Clock: `POST /sandbox/v1/clock` {"offsetMs": N} | {"serverTime": T} | {"advanceMs": N}.

Prices: `POST /sandbox/v1/prices` {"symbol": "BTCUSD", "price": "20000"} | {"symbol": "BTCUSD",
"changePercent": "-30"} jumps the symbol's market there at once (a shock, e.g. to drive a
credit line's LTV): resting orders across the new price fill, the market makers re-quote
around it and a trade prints at it, so the last price, tickers, candles and streams show it
(see market.py). changePercent is relative to the last price (GET /api/v3/ticker/price) and the
result is rounded to the tick size; a "price" must be on the tick grid. Answers {"symbol",
"price"} (the new last price, 8 decimals as the ticker); 400 for an unknown symbol, a bad or
out-of-range price, or a change of -100% or less.

Limits: `GET/POST/DELETE /sandbox/v1/limits` (see post_limits).

`POST /sandbox/v1/streams/drop` {"symbol"?: "BTCUSD"} cuts (no close handshake) every
WebSocket connection on a market stream, plus those with no subscription yet; with a symbol,
only the connections subscribed to one of that symbol's streams. User-data-only connections
stay. Answers {"dropped": n}.

`GET /sandbox/v1/streams` -> {"market": {stream: subscribers}, "user": {accountId: subscribers}}:
how many open connections follow each market stream and each account's user data (by any of
its listen keys). Several stream processes sharing the work must never follow one twice.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from aiohttp import web

from .admin_http import AdminError, guarded, is_int, read_body, reply
from .decimals import fmt8
from .state import Exchange
from .symbols import FILTERS, SYMBOLS

MAX_SKEW_MS = 86_400_000


class Controls:
    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    async def get_limits(self, request: web.Request) -> web.Response:
        return reply(self.ex.limits.limits.to_dict())

    async def post_limits(self, request: web.Request) -> web.Response:
        """{"enforce": bool, "weightPerMinute": n, "ordersPer10s": n, "ordersPerDay": n,
        "banAfter": n, "firstBanSeconds": s}: the ones sent replace the current ones."""
        doc = await read_body(request)
        limits = self.ex.limits.limits
        ints = {
            "weightPerMinute": "weight_per_minute",
            "ordersPer10s": "orders_per_10s",
            "ordersPerDay": "orders_per_day",
            "banAfter": "ban_after",
        }
        updates: dict = {}
        for name, value in doc.items():
            if name == "enforce" and isinstance(value, bool):
                updates["enforce"] = value
            elif (
                name in ints
                and isinstance(value, int)
                and not isinstance(value, bool)
                and value >= 0
            ):
                updates[ints[name]] = value
            elif (
                name == "firstBanSeconds"
                and isinstance(value, int | float)
                and not isinstance(value, bool)
                and value > 0
            ):
                updates["first_ban_ms"] = int(value * 1000)
            else:
                raise AdminError(400, f"bad limits field {name!r}")
        for attr, value in updates.items():
            setattr(limits, attr, value)
        return reply(limits.to_dict())

    async def delete_limits(self, request: web.Request) -> web.Response:
        """Forget weight/order counts, 429 windows and bans (the settings stay)."""
        self.ex.limits.reset()
        return reply(self.ex.limits.limits.to_dict())

    async def get_filters(self, request: web.Request) -> web.Response:
        return reply(FILTERS.to_dict())

    async def post_filters(self, request: web.Request) -> web.Response:
        """{"BTCUSD": {"MAX_NUM_ORDERS": {"limit": 3}, "PERCENT_PRICE_BY_SIDE": null},
        "exchange": {"EXCHANGE_MAX_NUM_ORDERS": {"maxNumOrders": 5}}}: see FilterTable.update."""
        try:
            FILTERS.update(await read_body(request))
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return reply(FILTERS.to_dict())

    async def delete_filters(self, request: web.Request) -> web.Response:
        FILTERS.reset()
        return reply(FILTERS.to_dict())

    async def get_requests(self, request: web.Request) -> web.Response:
        return reply(self.ex.requests.to_dict())

    async def delete_requests(self, request: web.Request) -> web.Response:
        self.ex.requests.reset()
        return reply(self.ex.requests.to_dict())

    async def get_faults(self, request: web.Request) -> web.Response:
        return reply(self._faults())

    def _faults(self) -> dict:
        doc = self.ex.faults.to_dict()
        if self.ex.clock.offset_ms:
            doc["clockSkewMs"] = self.ex.clock.offset_ms
        return doc

    async def post_faults(self, request: web.Request) -> web.Response:
        """The module docstring's fault keys, plus "clockSkewMs": N (the exchange clock N ms
        off the host's, as POST /clock {"offsetMs": N})."""
        doc = await read_body(request)
        skew = doc.pop("clockSkewMs", None)
        if skew is not None and (not is_int(skew) or abs(skew) > MAX_SKEW_MS):
            raise AdminError(400, f"clockSkewMs must be an integer within ±{MAX_SKEW_MS}")
        try:
            self.ex.faults.update(doc)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        if skew is not None:
            self.ex.clock.offset_ms = skew
        return reply(self._faults())

    async def post_streams_drop(self, request: web.Request) -> web.Response:
        """{"symbol"?: "BTCUSD"} -> {"dropped": n}; see the module docstring."""
        raw = await request.read()
        doc = await read_body(request) if raw.strip() else {}
        symbol = doc.get("symbol")
        if symbol is not None and symbol not in self.ex.engine.books:
            raise AdminError(400, f"unknown symbol {symbol!r}")
        if not set(doc) <= {"symbol"}:
            raise AdminError(400, "the body takes only symbol")
        return reply({"dropped": self.ex.hub.drop_market(symbol)})

    async def get_streams(self, request: web.Request) -> web.Response:
        """Subscribers per stream; see the module docstring."""
        return reply(self.ex.hub.subscribers())

    async def delete_faults(self, request: web.Request) -> web.Response:
        """Clear every fault, clock skew included."""
        self.ex.faults.clear()
        self.ex.clock.offset_ms = 0
        return reply(self._faults())

    async def get_state(self, request: web.Request) -> web.Response:
        """Clock and faults as they are now (later issues add the endpoints that set them)."""
        return reply(
            {
                "clock": self.ex.clock.to_dict(),
                "faults": self.ex.faults.to_dict(),
                "seed": self.ex.seed,
            }
        )

    async def post_clock(self, request: web.Request) -> web.Response:
        """Skew the exchange clock: {"offsetMs": N}, {"serverTime": T} (0 offset = host) or
        {"advanceMs": N} (jump N ms from where it is). Everything runs on this clock:
        recvWindow checks, listenKey expiry, rate-limit windows, bans, history lags."""
        doc = await read_body(request)
        clock = self.ex.clock
        offset, server_time, advance = (
            doc.get("offsetMs"),
            doc.get("serverTime"),
            doc.get("advanceMs"),
        )
        if is_int(server_time):
            offset = server_time - (clock.now_ms() - clock.offset_ms)
        elif is_int(advance):
            offset = clock.offset_ms + advance
        if not is_int(offset):
            raise AdminError(400, "send an integer offsetMs, serverTime or advanceMs")
        clock.offset_ms = offset
        self.ex.settle()  # withdrawals, deposits, unstakes and rewards the move made due
        return reply(clock.to_dict())

    async def post_prices(self, request: web.Request) -> web.Response:
        """{"symbol": s, "price": p} | {"symbol": s, "changePercent": c}: see the module
        docstring."""
        doc = await read_body(request)
        symbol = doc.get("symbol")
        if not isinstance(symbol, str) or symbol not in SYMBOLS:
            raise AdminError(400, f"unknown symbol {symbol!r}")
        if set(doc) not in ({"symbol", "price"}, {"symbol", "changePercent"}):
            raise AdminError(400, "send symbol and one of price or changePercent")
        price = _target_price(self.ex, symbol, doc)
        try:
            self.ex.flow.shock(symbol, price)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        last = self.ex.engine.last_price(symbol)
        return reply({"symbol": symbol, "price": fmt8(last if last is not None else price)})


def _decimal(doc: dict, name: str) -> Decimal:
    raw = doc.get(name)
    try:
        value = Decimal(raw) if isinstance(raw, str) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise AdminError(400, f"{name} must be a decimal string")
    return value


def _target_price(ex: Exchange, symbol: str, doc: dict) -> Decimal:
    spec = SYMBOLS[symbol]
    if "price" in doc:
        price = _decimal(doc, "price")
        if price <= 0:
            raise AdminError(400, "price must be > 0")
        return price
    change = _decimal(doc, "changePercent")
    if change <= -100:
        raise AdminError(400, "changePercent must be above -100")
    last = ex.engine.last_price(symbol)
    base = last if last is not None else spec.start_mid  # the ticker's price
    moved = base * (1 + change / 100)
    return (moved / spec.tick).to_integral_value(rounding=ROUND_HALF_UP) * spec.tick


def add_routes(app: web.Application, ex: Exchange) -> None:
    c = Controls(ex)
    app.router.add_get("/sandbox/v1/state", guarded(c.get_state))
    app.router.add_post("/sandbox/v1/clock", guarded(c.post_clock))
    app.router.add_get("/sandbox/v1/limits", guarded(c.get_limits))
    app.router.add_post("/sandbox/v1/limits", guarded(c.post_limits))
    app.router.add_delete("/sandbox/v1/limits", guarded(c.delete_limits))
    app.router.add_get("/sandbox/v1/filters", guarded(c.get_filters))
    app.router.add_post("/sandbox/v1/filters", guarded(c.post_filters))
    app.router.add_delete("/sandbox/v1/filters", guarded(c.delete_filters))
    app.router.add_get("/sandbox/v1/requests", guarded(c.get_requests))
    app.router.add_delete("/sandbox/v1/requests", guarded(c.delete_requests))
    app.router.add_get("/sandbox/v1/faults", guarded(c.get_faults))
    app.router.add_post("/sandbox/v1/faults", guarded(c.post_faults))
    app.router.add_delete("/sandbox/v1/faults", guarded(c.delete_faults))
    app.router.add_get("/sandbox/v1/streams", guarded(c.get_streams))
    app.router.add_post("/sandbox/v1/streams/drop", guarded(c.post_streams_drop))
    app.router.add_post("/sandbox/v1/prices", guarded(c.post_prices))
