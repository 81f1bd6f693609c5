"""REST handlers for /api/v3 and /sapi. Each takes a `Ctx` (authenticated by `app.py`) and
returns the JSON document, shaped and ordered like the spec's example responses."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from . import errors, order_history
from .ctx import Ctx
from .decimals import ZERO, fmt8
from .events import agg_fields, open_high_low, percent, window_totals
from .klines import INTERVALS, MINUTE
from .matching import SymbolBook
from .params import Params
from .records import Trade
from .routes import route
from .symbols import ASSETS, SYMBOLS, SymbolSpec, exchange_info
from .tape import Stats

DAY_MS = 86_400_000
WINDOW_RE = re.compile(r"^(?:([1-9]|[1-5][0-9])m|([1-9]|1[0-9]|2[0-3])h|([1-7])d)$")
MAX_TICKER_SYMBOLS = 100


def spec_of(symbol: str | None) -> SymbolSpec:
    spec = SYMBOLS.get(symbol or "")
    if spec is None:
        raise errors.bad_symbol()
    return spec


def symbol_param(p: Params) -> SymbolSpec:
    return spec_of(p.req("symbol"))


def symbol_list(p: Params) -> list[SymbolSpec] | None:
    """symbol= or symbols=[...] (not both); None when neither was sent."""
    symbol, symbols = p.get("symbol"), p.json_list("symbols")
    if symbol is not None and symbols is not None:
        raise errors.bad_combo()
    if symbol is not None:
        return [spec_of(symbol)]
    if symbols is not None:
        return [spec_of(s) for s in symbols]
    return None


# ---- general ---------------------------------------------------------------------------------


@route("GET", "/api/v3/ping")
def ping(ctx: Ctx) -> object:
    return {}


@route("GET", "/api/v3/time")
def server_time(ctx: Ctx) -> object:
    return {"serverTime": ctx.ex.clock.now_ms()}


@route("GET", "/api/v3/exchangeInfo")
def get_exchange_info(ctx: Ctx) -> object:
    specs = symbol_list(ctx.params) or list(SYMBOLS.values())
    permissions = ctx.params.get("permissions")
    if permissions is not None and "SPOT" not in permissions:
        specs = []
    doc = exchange_info(specs, ctx.ex.clock.now_ms())
    # As configured: the spec's numbers unless an admin changed them.
    doc["rateLimits"] = ctx.ex.limits.rate_limits()
    return doc


# ---- market data -----------------------------------------------------------------------------


@route("GET", "/api/v3/depth")
def depth(ctx: Ctx) -> object:
    spec = symbol_param(ctx.params)
    limit = ctx.params.limit("limit", 100, 5000)
    book = ctx.ex.engine.books[spec.symbol]
    return {
        "lastUpdateId": book.update_id,
        "bids": [[fmt8(p), fmt8(q)] for p, q in book.bids.top(limit)],
        "asks": [[fmt8(p), fmt8(q)] for p, q in book.asks.top(limit)],
    }


def _trade_row(t: Trade) -> dict:
    return {
        "id": t.trade_id,
        "price": fmt8(t.price),
        "qty": fmt8(t.qty),
        "quoteQty": fmt8(t.quote_qty),
        "time": t.time,
        "isBuyerMaker": t.buyer_is_maker,
        "isBestMatch": True,
    }


@route("GET", "/api/v3/trades")
def trades(ctx: Ctx) -> object:
    spec = symbol_param(ctx.params)
    limit = ctx.params.limit("limit", 500, 1000)
    return [_trade_row(t) for t in ctx.ex.engine.books[spec.symbol].tape.recent(limit)]


@route("GET", "/api/v3/historicalTrades")
def historical_trades(ctx: Ctx) -> object:
    """fromId: trades from that id on (from the oldest kept one if it is older); without it,
    the most recent ones, like GET /trades."""
    p = ctx.params
    spec = symbol_param(p)
    limit = p.limit("limit", 500, 1000)
    from_id = p.integer("fromId")
    tape = ctx.ex.engine.books[spec.symbol].tape
    rows = tape.recent(limit) if from_id is None else tape.from_id(from_id, limit)
    return [_trade_row(t) for t in rows]


@route("GET", "/api/v3/aggTrades")
def agg_trades(ctx: Ctx) -> object:
    """fromId (inclusive) or startTime/endTime (inclusive, on T), not both; none: the most
    recent ones. With only endTime, the last `limit` up to it."""
    p = ctx.params
    spec = symbol_param(p)
    limit = p.limit("limit", 500, 1000)
    from_id, start, end = p.integer("fromId"), p.integer("startTime"), p.integer("endTime")
    if from_id is not None and (start is not None or end is not None):
        raise errors.bad_combo()
    tape = ctx.ex.engine.books[spec.symbol].tape
    return [agg_fields(a) for a in tape.agg_query(from_id, start, end, limit)]


@route("GET", "/api/v3/klines")
def klines(ctx: Ctx) -> object:
    p = ctx.params
    spec = symbol_param(p)
    interval = p.enum("interval", INTERVALS, errors.bad_interval(), required=True)
    assert interval is not None
    limit = p.limit("limit", 500, 1000)
    store = ctx.ex.engine.books[spec.symbol].klines
    return store.query(interval, p.integer("startTime"), p.integer("endTime"), limit)


@route("GET", "/api/v3/ticker/price")
def ticker_price(ctx: Ctx) -> object:
    specs = symbol_list(ctx.params)
    rows = [
        {"symbol": s.symbol, "price": fmt8(_price(ctx, s))} for s in (specs or SYMBOLS.values())
    ]
    return rows[0] if ctx.params.has("symbol") else rows


def _price(ctx: Ctx, spec: SymbolSpec) -> Decimal:
    last = ctx.ex.engine.last_price(spec.symbol)
    return last if last is not None else spec.start_mid


@route("GET", "/api/v3/ticker/bookTicker")
def book_ticker(ctx: Ctx) -> object:
    specs = symbol_list(ctx.params)
    books = ctx.ex.engine.books
    rows = [
        {"symbol": spec.symbol, **_best(books[spec.symbol])} for spec in specs or SYMBOLS.values()
    ]
    return rows[0] if ctx.params.has("symbol") else rows


def _ticker_type(p: Params) -> str:
    kind = p.enum("type", ("FULL", "MINI"))
    return kind or "FULL"


# The ticker endpoints' documents share runs of fields, in the spec's order; these build them.


def _change(st: Stats) -> dict:
    return {
        "priceChange": fmt8(st.change),
        "priceChangePercent": percent(st.change_percent, 3),
        "weightedAvgPrice": fmt8(st.weighted_avg),
    }


_OPEN_HIGH_LOW = ("openPrice", "highPrice", "lowPrice")
_TOTALS = ("volume", "quoteVolume", "openTime", "closeTime", "firstId", "lastId", "count")


def _open_high_low(st: Stats) -> dict:
    return open_high_low(st, _OPEN_HIGH_LOW)


def _totals(st: Stats) -> dict:
    return window_totals(st, _TOTALS)


def _mini_fields(st: Stats) -> dict:
    return {**_open_high_low(st), "lastPrice": fmt8(st.last), **_totals(st)}


def _mini(symbol: str, st: Stats) -> dict:
    return {"symbol": symbol, **_mini_fields(st)}


def _best(book: SymbolBook) -> dict:
    """Best bid and ask with their quantities (zeros for an empty side)."""
    bid, ask = book.bids.best(), book.asks.best()
    return {
        "bidPrice": fmt8(bid if bid is not None else ZERO),
        "bidQty": fmt8(book.bids.totals[bid] if bid is not None else ZERO),
        "askPrice": fmt8(ask if ask is not None else ZERO),
        "askQty": fmt8(book.asks.totals[ask] if ask is not None else ZERO),
    }


@route("GET", "/api/v3/ticker/24hr")
def ticker_24hr(ctx: Ctx) -> object:
    """24-hour rolling window statistics: openTime is exactly 24 h before closeTime (now)."""
    kind = _ticker_type(ctx.params)
    specs = symbol_list(ctx.params)
    now = ctx.ex.clock.now_ms()
    rows = []
    for spec in specs or SYMBOLS.values():
        book = ctx.ex.engine.books[spec.symbol]
        st = book.tape.stats(now - DAY_MS, now)
        if kind == "MINI":
            rows.append(_mini(spec.symbol, st))
            continue
        rows.append(
            {
                "symbol": spec.symbol,
                **_change(st),
                "prevClosePrice": fmt8(st.prev),
                "lastPrice": fmt8(st.last),
                "lastQty": fmt8(st.last_qty),
                **_best(book),
                **_open_high_low(st),
                **_totals(st),
            }
        )
    return rows[0] if ctx.params.has("symbol") else rows


def window_ms(raw: str | None) -> int:
    """windowSize: 1m..59m, 1h..23h, 1d..7d (default 1d)."""
    if raw is None:
        return DAY_MS
    m = WINDOW_RE.match(raw)
    if m is None:
        raise errors.invalid_param("windowSize")
    minutes, hours, days = m.groups()
    if minutes:
        return int(minutes) * MINUTE
    if hours:
        return int(hours) * 60 * MINUTE
    return int(days) * DAY_MS


@route("GET", "/api/v3/ticker")
def rolling_ticker(ctx: Ctx) -> object:
    """Rolling window statistics: openTime is the start of the minute `windowSize` before
    closeTime (now), as the spec describes."""
    p = ctx.params
    kind = _ticker_type(p)
    size = window_ms(p.get("windowSize"))
    specs = symbol_list(p)
    if specs is None:
        raise errors.either("symbol", "symbols")
    if len(specs) > MAX_TICKER_SYMBOLS:
        raise errors.ApiError(
            -1101, f"Too many values sent for parameter 'symbols', max is {MAX_TICKER_SYMBOLS}."
        )
    now = ctx.ex.clock.now_ms()
    start = now - size
    start -= start % MINUTE
    rows = []
    for spec in specs:
        st = ctx.ex.engine.books[spec.symbol].tape.stats(start, now)
        if kind == "MINI":
            rows.append(_mini(spec.symbol, st))
            continue
        rows.append({"symbol": spec.symbol, **_change(st), **_mini_fields(st)})
    return rows[0] if p.has("symbol") else rows


@route("GET", "/api/v3/avgPrice")
def avg_price(ctx: Ctx) -> object:
    spec = symbol_param(ctx.params)
    avg = ctx.ex.engine.avg_price(spec.symbol)
    return {"mins": 5, "price": fmt8(avg if avg is not None else spec.start_mid)}


# ---- account ---------------------------------------------------------------------------------


@route("GET", "/api/v3/account")
def account(ctx: Ctx) -> object:
    acct = ctx.account
    maker, taker = acct.maker_rate, acct.taker_rate
    assets = sorted(set(ASSETS) | set(acct.balances))
    return {
        "makerCommission": int(maker * 10000),
        "takerCommission": int(taker * 10000),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": fmt8(maker),
            "taker": fmt8(taker),
            "buyer": fmt8(ZERO),
            "seller": fmt8(ZERO),
        },
        "canTrade": ctx.key.can_trade if ctx.key else True,
        "canWithdraw": ctx.key.can_withdraw if ctx.key else True,
        "canDeposit": ctx.key.can_deposit if ctx.key else True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "updateTime": acct.update_time,
        "accountType": "SPOT",
        "balances": [
            {"asset": a, "free": fmt8(acct.bal(a).free), "locked": fmt8(acct.bal(a).locked)}
            for a in assets
        ],
        "permissions": ["SPOT"],
    }


@route("GET", "/sapi/v3/accountStatus")
def account_status(ctx: Ctx) -> object:
    return {"msg": ctx.account.status_msg, "success": True}


DEFAULT_TRADING_STATUS = {
    "isLocked": False,
    "plannedRecoverTime": 0,
    "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
    "indicators": {},
}


@route("GET", "/sapi/v3/apiTradingStatus")
def api_trading_status(ctx: Ctx) -> object:
    status = {**DEFAULT_TRADING_STATUS, **ctx.account.trading_status}
    return {
        "success": True,
        "status": {
            "isLocked": status["isLocked"],
            "plannedRecoverTime": status["plannedRecoverTime"],
            "triggerCondition": status["triggerCondition"],
            "indicators": status["indicators"],
            "updateTime": ctx.ex.clock.now_ms(),
        },
    }


@route("GET", "/sapi/v1/system/status")
def system_status(ctx: Ctx) -> object:
    return {"status": 0}


# ---- user data stream ------------------------------------------------------------------------


@route("POST", "/api/v3/userDataStream")
def start_stream(ctx: Ctx) -> object:
    return {"listenKey": ctx.ex.listen_keys.start(ctx.account)}


@route("PUT", "/api/v3/userDataStream")
def keepalive_stream(ctx: Ctx) -> object:
    ctx.ex.listen_keys.keepalive(ctx.params.req("listenKey"), ctx.account)
    return {}


@route("DELETE", "/api/v3/userDataStream")
def close_stream(ctx: Ctx) -> object:
    key = ctx.params.req("listenKey")
    ctx.ex.listen_keys.close(key, ctx.account)
    ctx.ex.hub.close_stream(key)
    return {}


def _depth_weight(p: Params) -> int:
    limit = p.limit("limit", 100, 5000)
    return 1 if limit <= 100 else 5 if limit <= 500 else 10 if limit <= 1000 else 50


def _symbol_weight(p: Params) -> int:
    return 1 if p.has("symbol") else 2


def _ticker_24hr_weight(p: Params) -> int:
    """symbol: 1; symbols: 1-20 -> 1, 21-100 -> 20, more -> 40; neither (all symbols): 40."""
    if p.has("symbol"):
        return 1
    symbols = p.json_list("symbols")
    if symbols is None:
        return 40
    n = len(symbols)
    return 1 if n <= 20 else 20 if n <= 100 else 40


def _rolling_ticker_weight(p: Params) -> int:
    """2 per symbol, capped at 100 once more than 50 symbols are asked for."""
    if p.has("symbol"):
        return 2
    symbols = p.json_list("symbols") or []
    return min(100, 2 * max(1, len(symbols)))


# Spec weights that depend on the parameters ("variable" in the endpoint table).
VARIABLE_WEIGHTS: dict[str, Callable[[Params], int]] = {
    "/api/v3/depth": _depth_weight,
    "/api/v3/ticker/price": _symbol_weight,
    "/api/v3/ticker/bookTicker": _symbol_weight,
    "/api/v3/ticker/24hr": _ticker_24hr_weight,
    "/api/v3/ticker": _rolling_ticker_weight,
    "/api/v3/openOrders": lambda p: 3 if p.has("symbol") else 40,
    "/api/v3/myPreventedMatches": order_history.prevented_weight,
}
