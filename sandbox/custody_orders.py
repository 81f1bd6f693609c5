"""Custodial trading (spec "Trade Order (Custodial)", L8159-9110): the nine order endpoints, run
on the exchange's own matching engine and symbol filters for the custodial sub-account
(`Custody.trader`, whose balances are the custody's): fills move the custodial balances, never
the account's spot balance, and custodial orders trade with everyone else's.

Parameters go through the spot order parsers (orders.parse_order, oco.parse_oco), so the rules,
codes and messages are the spot ones: -1013 filter failures, -2010 insufficient balance and the
engine's other rejections, -2011 on cancelling an unknown order, -2013 on reading one. Orders
count against the owner account's order rate limits (an OCO as 2, L8361).

allowExpressTrade=true (L8179): when the custodial free balance of the asset the order sells
(the quote asset for BUY, the base for SELL; `asset`, when sent, must name it, else -1130
'asset') is below what the order must lock, that full amount (not just the shortfall) first
moves from the partner, logged as an express custodian transfer: SUCCESS at once, expressTrade
true, clientOrderId the order's (the limit leg's for an OCO). The partner short as well: -2010.
Should the engine then refuse the order, the transfer is taken back and leaves no row.
`expressTradeFlag` says whether an express transfer was made for the order.

Choices where the spec is silent:
- Answers have the spec's example fields exactly: a placement no transactTime, fills,
  workingTime or selfTradePreventionMode; status rows those of the openOrders example; cancels
  those of the cancel examples (stopPrice / icebergQty only when set).
- orderHistory: orders with orderId >= fromId (default 1), startTime/endTime on the order's
  time, oldest first, `limit` (default 200, at most 1000) of them, every symbol when none is
  sent.
- tradeHistory rows carry no trade id, so fromId is read as its note says ("orders >= than
  fromId"): the fills of orders with orderId >= fromId, oldest first; without fromId the most
  recent `limit` (default 200, at most 1000).
- orderHistory and tradeHistory leave out what is newer than the admin's history lag; GET order
  honours the orderVisibility fault as GET /api/v3/order does.
- Custodial orders reach no user data stream (the spec names none).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from . import errors, triggers
from .accounts import Account
from .ctx import Ctx, in_window
from .custody import Custody, CustodyTransfer, custody_of, flag, record_transfer
from .decimals import ZERO, fmt8
from .engine import Engine
from .matching import Plan, funds_needed, plan_match
from .oco import check_prices, parse_oco
from .order_docs import canceled, list_doc, order_fields, order_response, order_status
from .orders import cancel_one, check_filters, client_id, count_orders, parse_order, symbol_of
from .params import Params
from .records import BUY, AccountTrade, Order, OrderList, OrderRequest
from .routes import route
from .symbols import SYMBOLS

T = TypeVar("T")
# Fields of the spot shapes the custodial examples do not have.
NOT_IN_STATUS = ("workingTime", "selfTradePreventionMode", "preventedMatchId", "preventedQuantity")
NOT_IN_REPORTS = ("workingTime", "selfTradePreventionMode", "preventedQuantity")


# ---- placing ----------------------------------------------------------------------------------


@route("POST", "/sapi/v1/custodian/order")
def post_order(ctx: Ctx) -> object:
    custody = custody_of(ctx)
    ctx.ex.limits.check_orders(ctx.account.account_id)
    req, _ = parse_order(ctx.params)
    express = _express_asked(ctx.params, req.side, req.symbol)
    engine, trader = ctx.ex.engine, _trader(ctx, custody)
    check_filters(ctx.ex, trader, req)
    req.client_order_id = req.client_order_id or engine.new_client_id()
    pulled = None
    if express:
        asset, need = _order_need(engine, trader, req)
        pulled = _pull(ctx, custody, asset, need, req.client_order_id)
    result = _place(custody, pulled, lambda: engine.place(trader, req))
    count_orders(ctx)
    o = result.order
    _note(ctx, custody, [o], pulled)
    return {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": o.client_order_id,
        **order_fields(o),
        "expressTradeFlag": pulled is not None,
    }


@route("POST", "/sapi/v1/custodian/ocoOrder")
def post_oco(ctx: Ctx) -> object:
    custody = custody_of(ctx)
    ctx.ex.limits.check_orders(ctx.account.account_id)
    stop, limit, list_cid, _ = parse_oco(ctx.params)
    express = _express_asked(ctx.params, stop.side, stop.symbol)
    engine, trader = ctx.ex.engine, _trader(ctx, custody)
    check_filters(ctx.ex, trader, stop)
    check_filters(ctx.ex, trader, limit)
    check_prices(stop, limit, engine.last_price(stop.symbol))
    limit.client_order_id = limit.client_order_id or engine.new_client_id()
    pulled = None
    if express:
        asset, need = _oco_need(stop, limit)
        pulled = _pull(ctx, custody, asset, need, limit.client_order_id)
    lst, results = _place(custody, pulled, lambda: engine.place_oco(trader, stop, limit, list_cid))
    count_orders(ctx, 2)  # "OCO counts as 2 orders against the order rate limit"
    _note(ctx, custody, lst.orders, pulled)
    doc = list_doc(lst)
    orders = doc.pop("orders")
    reports = [order_response(r, "RESULT", lst.transaction_time) for r in results]
    return {
        **doc,
        "expressTradeFlag": pulled is not None,
        "orders": orders,
        "orderReports": [_without(r, NOT_IN_REPORTS) for r in reports],
    }


def _trader(ctx: Ctx, custody: Custody) -> Account:
    """The custodial sub-account, paying its owner's commission rates."""
    trader, owner = custody.trader, ctx.account
    trader.maker_rate, trader.taker_rate = owner.maker_rate, owner.taker_rate
    trader.symbol_rates = owner.symbol_rates
    return trader


def _express_asked(p: Params, side: str, symbol: str) -> bool:
    spec = SYMBOLS[symbol]
    selling = spec.quote if side == BUY else spec.base
    asset = p.get("asset")
    if asset is not None and asset != selling:
        raise errors.invalid_param("asset")
    return flag(p, "allowExpressTrade")


def _order_need(engine: Engine, trader: Account, req: OrderRequest) -> tuple[str, Decimal]:
    """What the engine will lock for the order: the asset and the amount."""
    book = engine.books[req.symbol]
    probe = Order(
        req.symbol,
        0,
        "",
        trader,
        req.side,
        req.type,
        req.time_in_force,
        req.price or ZERO,
        req.quantity or ZERO,
        req.quote_qty or ZERO,
        req.stp_mode,
        0,
        0,
        0,
    )
    # A waiting stop order locks what its working order needs at its own price, if any.
    plan = Plan() if req.type in triggers.STOP_TYPES else plan_match(book, probe)
    return funds_needed(book.spec, probe, plan)


def _oco_need(stop: OrderRequest, limit: OrderRequest) -> tuple[str, Decimal]:
    """The one lock of an OCO (engine.place_oco): the larger leg's for a BUY."""
    spec = SYMBOLS[stop.symbol]
    qty = limit.quantity or ZERO
    if stop.side != BUY:
        return spec.base, qty
    stop_price = stop.price or stop.stop_price or ZERO
    return spec.quote, max((limit.price or ZERO) * qty, stop_price * qty)


def _pull(
    ctx: Ctx, custody: Custody, asset: str, need: Decimal, client_id: str
) -> CustodyTransfer | None:
    """The express transfer of `need` from the partner, when the custodial balance is short."""
    if need <= 0 or custody.bal(asset).free >= need:
        return None
    if custody.partner.get(asset, ZERO) < need:
        raise errors.insufficient_balance()
    custody.partner[asset] -= need
    custody.bal(asset).free += need
    ledger = custody.custodian_transfers
    return record_transfer(ctx, ledger, client_id, asset, need, express=True)


def _place(custody: Custody, pulled: CustodyTransfer | None, place: Callable[[], T]) -> T:
    """Run `place`; if the engine refuses, take the express transfer back."""
    try:
        return place()
    except errors.ApiError:
        if pulled is not None:
            custody.bal(pulled.asset).free -= pulled.amount
            custody.partner[pulled.asset] += pulled.amount
            custody.custodian_transfers.remove(pulled)
        raise


def _note(ctx: Ctx, custody: Custody, orders: list[Order], pulled: CustodyTransfer | None) -> None:
    for o in orders:
        if pulled is not None:
            custody.express_orders.add((o.symbol, o.order_id))
        _touch(ctx, custody, o.symbol)


def _touch(ctx: Ctx, custody: Custody, symbol: str) -> None:
    """Locks changed: the symbol's assets were updated now."""
    spec = SYMBOLS[symbol]
    custody.updated[spec.base] = custody.updated[spec.quote] = ctx.now()


# ---- reading ----------------------------------------------------------------------------------


def _without(doc: dict, names: tuple[str, ...]) -> dict:
    return {k: v for k, v in doc.items() if k not in names}


def _status(custody: Custody, o: Order) -> dict:
    doc = _without(order_status(o), (*NOT_IN_STATUS, "trailingDelta", "trailingTime"))
    doc["expressTradeFlag"] = (o.symbol, o.order_id) in custody.express_orders
    return doc


def _symbols(p: Params) -> list[str]:
    """The one symbol sent, else every symbol."""
    return [symbol_of(p).symbol] if p.get("symbol") is not None else list(SYMBOLS)


@route("GET", "/sapi/v1/custodian/openOrders")
def open_orders(ctx: Ctx) -> object:
    custody = custody_of(ctx)
    symbol = ctx.params.get("symbol")
    if symbol is not None and symbol not in SYMBOLS:
        raise errors.bad_symbol()
    return [_status(custody, o) for o in ctx.ex.engine.open_orders(custody.trader, symbol)]


@route("GET", "/sapi/v1/custodian/order")
def get_order(ctx: Ctx) -> object:
    custody = custody_of(ctx)
    spec = symbol_of(ctx.params)
    order_id = ctx.params.integer("orderId", required=True)
    order = ctx.ex.engine.find(custody.trader, spec.symbol, order_id, None)
    if order is None or ctx.ex.faults.is_hidden(
        custody.trader.account_id, order.symbol, order.order_id, ctx.now()
    ):
        raise errors.no_such_order()
    return _status(custody, order)


@route("GET", "/sapi/v1/custodian/orderHistory")
def order_history(ctx: Ctx) -> object:
    custody = custody_of(ctx)
    p = ctx.params
    from_id = p.integer("fromId")
    start, end = p.integer("startTime"), p.integer("endTime")
    limit = p.limit("limit", 200, 1000)
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms
    history = ctx.ex.engine.history
    rows = [
        o
        for symbol in _symbols(p)
        for o in history.orders_of(custody.trader, symbol).from_id(
            1 if from_id is None else from_id
        )
        if o.time <= cutoff and in_window(o.time, start, end)
    ]
    rows.sort(key=lambda o: (o.time, o.symbol, o.order_id))
    return [_status(custody, o) for o in rows[:limit]]


@route("GET", "/sapi/v1/custodian/tradeHistory")
def trade_history(ctx: Ctx) -> object:
    custody = custody_of(ctx)
    p = ctx.params
    order_id, from_id = p.integer("orderId"), p.integer("fromId")
    start, end = p.integer("startTime"), p.integer("endTime")
    limit = p.limit("limit", 200, 1000)
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms
    history = ctx.ex.engine.history
    rows = [
        t
        for symbol in _symbols(p)
        for t in history.trades_of(custody.trader, symbol).rows
        if t.time <= cutoff
        and in_window(t.time, start, end)
        and (order_id is None or t.order_id == order_id)
        and (from_id is None or t.order_id >= from_id)
    ]
    rows.sort(key=lambda t: (t.time, t.symbol, t.trade_id))
    picked = rows[:limit] if from_id is not None else rows[-limit:]
    return [_trade_row(t) for t in picked]


def _trade_row(t: AccountTrade) -> dict:
    return {
        "symbol": t.symbol,
        "price": fmt8(t.price),
        "qty": fmt8(t.qty),
        "quoteQty": fmt8(t.quote_qty),
        "time": t.time,
        "isBuyer": t.is_buyer,
        "isMaker": t.is_maker,
        "isBestMatch": True,
        "orderId": t.order_id,
        "orderListId": t.order_list_id,
        "commission": fmt8(t.commission),
        "commissionAsset": t.commission_asset,
    }


# ---- cancelling -------------------------------------------------------------------------------


def _canceled(x: Order | OrderList | dict) -> dict:
    doc = x if isinstance(x, dict) else canceled(x)
    doc = _without(doc, ("selfTradePreventionMode",))
    if "orderReports" in doc:
        doc["orderReports"] = [
            _without(r, ("selfTradePreventionMode",)) for r in doc["orderReports"]
        ]
    return doc


@route("DELETE", "/sapi/v1/custodian/cancelOrder")
def cancel_order(ctx: Ctx) -> object:
    """One order by orderId or origClientOrderId (an OCO leg cancels its whole list)."""
    custody = custody_of(ctx)
    p = ctx.params
    spec = symbol_of(p)
    order_id, cid = p.integer("orderId"), p.get("origClientOrderId")
    if order_id is None and cid is None:
        raise errors.either("orderId", "origClientOrderId")
    new_cid = client_id(p, "newClientOrderId")
    trader = custody.trader
    order = ctx.ex.engine.find(trader, spec.symbol, order_id, None if order_id else cid)
    doc = cancel_one(ctx.ex, trader, order, None, new_cid)
    _touch(ctx, custody, spec.symbol)
    return _canceled(doc)


@route("DELETE", "/sapi/v1/custodian/cancelOrdersBySymbol")
def cancel_by_symbol(ctx: Ctx) -> object:
    """Every open order of the symbol, OCOs included (each as its list, L8965)."""
    custody = custody_of(ctx)
    spec = symbol_of(ctx.params)
    done = ctx.ex.engine.cancel_all(custody.trader, spec.symbol)
    _touch(ctx, custody, spec.symbol)
    return [_canceled(x) for x in done]


@route("DELETE", "/sapi/v1/custodian/cancelOcoOrder")
def cancel_oco(ctx: Ctx) -> object:
    """The whole list named by orderListId (mandatory); listClientOrderId, when sent, must be
    that list's."""
    custody = custody_of(ctx)
    p = ctx.params
    spec = symbol_of(p)
    list_id = p.integer("orderListId", required=True)
    list_cid = p.get("listClientOrderId")
    new_cid = client_id(p, "newClientOrderId")
    lst = ctx.ex.engine.find_list(custody.trader, list_id, None)
    if (
        lst is None
        or lst.symbol != spec.symbol
        or not lst.is_open
        or (list_cid is not None and lst.list_client_id != list_cid)
    ):
        raise errors.cancel_rejected("Unknown order sent.")
    done = ctx.ex.engine.cancel_list(custody.trader, lst, new_cid)
    _touch(ctx, custody, spec.symbol)
    return _canceled(done)
