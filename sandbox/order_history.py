"""Account history endpoints: GET /api/v3/allOrders, myTrades and myPreventedMatches, and the
admin call that fills an account's history in bulk (for backfill benchmarks).

Windows follow the spec's notes: allOrders filters on the time of an order's last update
(WebSocket API "allOrders"), myTrades on trade time with at most 24 hours between startTime
and endTime (a lone startTime or endTime is taken as the 24 hours after / before it).
"""

from __future__ import annotations

import random
from decimal import Decimal

import orjson
from aiohttp import web

from . import errors
from .accounts import Account
from .admin_http import AdminError, guarded
from .ctx import Ctx
from .decimals import ZERO, fmt8, q8
from .engine import Engine
from .history import window
from .matching import SymbolBook
from .order_docs import order_status, prevented_quantities
from .orders import symbol_of
from .params import Params
from .records import BUY, GTC, LIMIT, SELL, AccountTrade, Order, PreventedMatch
from .routes import route
from .state import Exchange
from .symbols import SYMBOLS, SymbolSpec

DAY_MS = 86_400_000
MAX_BULK = 1_000_000


# ---- allOrders ------------------------------------------------------------------------------


@route("GET", "/api/v3/allOrders")
def all_orders(ctx: Ctx) -> object:
    """orderId: orders with id >= it; startTime/endTime (which win over orderId): a window
    on updateTime; neither: the most recent ones. Oldest first."""
    p = ctx.params
    spec = symbol_of(p)
    order_id, start, end = p.integer("orderId"), p.integer("startTime"), p.integer("endTime")
    limit = p.limit("limit", 500, 1000)
    rows = ctx.ex.engine.history.orders_of(ctx.account, spec.symbol)
    if start is not None or end is not None:
        picked = window(rows.rows, lambda o: o.update_time, start, end, limit)
    elif order_id is not None:
        picked = rows.from_id(order_id)[:limit]
    else:
        picked = rows.rows[-limit:]
    return [order_status(o) for o in picked]


# ---- myTrades -------------------------------------------------------------------------------

# The spec's supported combinations of myTrades' optional parameters.
TRADE_COMBOS = (
    frozenset(),
    frozenset({"orderId"}),
    frozenset({"fromId"}),
    frozenset({"startTime"}),
    frozenset({"endTime"}),
    frozenset({"startTime", "endTime"}),
    frozenset({"orderId", "fromId"}),
)


def _sent(p: Params, *names: str) -> frozenset[str]:
    return frozenset(n for n in names if p.get(n) is not None)


@route("GET", "/api/v3/myTrades")
def my_trades(ctx: Ctx) -> object:
    p = ctx.params
    spec = symbol_of(p)
    if _sent(p, "orderId", "fromId", "startTime", "endTime") not in TRADE_COMBOS:
        raise errors.bad_combo()
    order_id, from_id = p.integer("orderId"), p.integer("fromId")
    start, end = _day_window(p.integer("startTime"), p.integer("endTime"))
    limit = p.limit("limit", 500, 1000)
    rows = ctx.ex.engine.history.trades_of(ctx.account, spec.symbol)
    if order_id is not None:
        picked = [t for t in rows.from_id(from_id or 0) if t.order_id == order_id][:limit]
    elif from_id is not None:
        picked = rows.from_id(from_id)[:limit]
    elif start is not None:
        picked = window(rows.rows, lambda t: t.time, start, end, limit)
    else:
        picked = rows.rows[-limit:]
    return [trade_row(t) for t in picked]


def _day_window(start: int | None, end: int | None) -> tuple[int | None, int | None]:
    if start is not None and end is not None:
        if end - start > DAY_MS:
            raise errors.ApiError(-1127, "More than 24 hours between startTime and endTime.")
        return start, end
    if start is not None:
        return start, start + DAY_MS
    if end is not None:
        return end - DAY_MS, end
    return None, None


def trade_row(t: AccountTrade) -> dict:
    return {
        "symbol": t.symbol,
        "id": t.trade_id,
        "orderId": t.order_id,
        "orderListId": t.order_list_id,
        "price": fmt8(t.price),
        "qty": fmt8(t.qty),
        "quoteQty": fmt8(t.quote_qty),
        "commission": fmt8(t.commission),
        "commissionAsset": t.commission_asset,
        "time": t.time,
        "isBuyer": t.is_buyer,
        "isMaker": t.is_maker,
        "isBestMatch": True,
    }


# ---- myPreventedMatches ---------------------------------------------------------------------

PREVENTED_COMBOS = (
    frozenset({"preventedMatchId"}),
    frozenset({"orderId"}),
    frozenset({"orderId", "fromPreventedMatchId"}),
    frozenset({"orderId", "fromPreventedMatchId", "limit"}),
)


@route("GET", "/api/v3/myPreventedMatches")
def my_prevented_matches(ctx: Ctx) -> object:
    """The spec's combinations only: preventedMatchId, orderId, orderId +
    fromPreventedMatchId (+ limit)."""
    p = ctx.params
    spec = symbol_of(p)
    sent = _sent(p, "preventedMatchId", "orderId", "fromPreventedMatchId", "limit")
    if not sent & {"preventedMatchId", "orderId"}:
        raise errors.either("preventedMatchId", "orderId")
    if sent not in PREVENTED_COMBOS:
        raise errors.bad_combo()
    rows = ctx.ex.engine.history.prevented_of(ctx.account, spec.symbol)
    pm_id, order_id = p.integer("preventedMatchId"), p.integer("orderId")
    if pm_id is not None:
        picked = [m for m in rows.from_id(pm_id)[:1] if m.prevented_match_id == pm_id]
    else:
        start = p.integer("fromPreventedMatchId") or 0
        mine = (m for m in rows.from_id(start) if order_id in (m.taker_order_id, m.maker_order_id))
        picked = list(mine)[: p.limit("limit", 500, 1000)]
    return [prevented_row(m) for m in picked]


def prevented_row(m: PreventedMatch) -> dict:
    return {
        "symbol": m.symbol,
        "preventedMatchId": m.prevented_match_id,
        "takerOrderId": m.taker_order_id,
        "makerOrderId": m.maker_order_id,
        "tradeGroupId": -1,  # the sandbox's accounts belong to no trade group
        "selfTradePreventionMode": m.stp_mode,
        "price": fmt8(m.price),
        **prevented_quantities(m),
        "transactTime": m.transact_time,
    }


def prevented_weight(p: Params) -> int:
    """Spec: 1 for an invalid symbol or by preventedMatchId, 10 by orderId."""
    if p.get("symbol") not in SYMBOLS or p.get("preventedMatchId") is not None:
        return 1
    return 10


# ---- bulk history (admin) -------------------------------------------------------------------


def generate(ex: Exchange, acct: Account, spec: SymbolSpec, n: int, start: int, end: int) -> dict:
    """`n` FILLED LIMIT orders of the account, one trade each, evenly spread over
    [start, end], alternating BUY and SELL around the symbol's starting price. History only:
    balances and the public tape are left alone."""
    book, engine = ex.engine.books[spec.symbol], ex.engine
    rng = random.Random(f"history:{acct.account_id}:{spec.symbol}:{n}:{start}")
    ticks = int(spec.start_mid / spec.tick)
    first_order, first_trade = book.next_order_id, book.next_trade_id
    rate = acct.rate(spec.symbol, True)
    for i in range(n):
        t = start + (end - start) * i // max(1, n - 1)
        ticks += rng.randint(-3, 3)
        price = spec.tick * ticks
        qty = spec.step * rng.randint(100, 5000)
        _one(engine, book, acct, spec, BUY if i % 2 == 0 else SELL, price, qty, t, rate)
    return {
        "orders": n,
        "firstOrderId": first_order,
        "lastOrderId": book.next_order_id - 1,
        "firstTradeId": first_trade,
        "lastTradeId": book.next_trade_id - 1,
    }


def _one(
    engine: Engine,
    book: SymbolBook,
    acct: Account,
    spec: SymbolSpec,
    side: str,
    price: Decimal,
    qty: Decimal,
    t: int,
    rate: Decimal,
) -> None:
    order_id, trade_id = book.next_order_id, book.next_trade_id
    book.next_order_id += 1
    book.next_trade_id += 1
    quote = price * qty
    o = Order(
        spec.symbol,
        order_id,
        f"hist{order_id}",
        acct,
        side,
        LIMIT,
        GTC,
        price,
        qty,
        ZERO,
        "EXPIRE_MAKER",
        t,
        t,
        t,
        executed_qty=qty,
        cum_quote=quote,
        status="FILLED",
    )
    engine.track_archived(book, o)
    buy = side == BUY
    commission = (qty if buy else quote) * rate
    row = AccountTrade(
        spec.symbol,
        trade_id,
        order_id,
        -1,
        price,
        qty,
        quote,
        q8(commission),
        spec.base if buy else spec.quote,
        t,
        buy,
        True,
    )
    engine.history.add_trade(acct, spec.symbol, trade_id, row)


def _int(doc: dict, name: str) -> int:
    value = doc.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise AdminError(400, f"{name} must be an integer >= 0")
    return value


def add_routes(app: web.Application, ex: Exchange) -> None:
    async def post_history(request: web.Request) -> web.Response:
        """POST /sandbox/v1/accounts/{email}/history
        {"symbol": "BTCUSD", "orders": 100000, "start": ms, "end": ms}"""
        acct = ex.registry.by_email.get(request.match_info["email"])
        if acct is None:
            raise AdminError(404, "no such account")
        try:
            doc = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict):
            raise AdminError(400, "body must be a JSON object")
        spec = SYMBOLS.get(doc.get("symbol"))  # type: ignore[arg-type]
        if spec is None:
            raise AdminError(400, f"symbol must be one of {', '.join(SYMBOLS)}")
        n, start, end = _int(doc, "orders"), _int(doc, "start"), _int(doc, "end")
        if not 1 <= n <= MAX_BULK or end < start:
            raise AdminError(400, f"need 1 <= orders <= {MAX_BULK} and start <= end")
        out = generate(ex, acct, spec, n, start, end)
        return web.Response(body=orjson.dumps(out), content_type="application/json")

    app.router.add_post("/sandbox/v1/accounts/{email}/history", guarded(post_history))
