"""OTC convert (spec "OTC Endpoints", L4990-5500): coin pairs, quotes priced off the sandbox's
books, orders placed with a quote, and the admin-seeded OCBS order list.

Pairs: by default both directions of every USD/USDT market in symbols.py (BTC/USD, ETH/USD,
SOL/USD, BTC/USDT, ETH/USDT). The USD/USDT side takes 10 to 500000 (the spec example's
toCoinMaxAmount), the other side the same value at the market's starting price, kept on its
step size. Amounts are JSON numbers, as in the spec's examples.

Pricing: `fair` is the to-coin per from-coin at the book's mid (a direct market, its inverse,
else the two coins' USD values), and the quote's ratio is fair x (1 - spread), so the desk
always earns the spread (default 0.002, admin-set). With requestCoin = fromCoin the fromAmount
is the request and toAmount = fromAmount x ratio rounded down to 8 decimals; with requestCoin =
toCoin, fromAmount = toAmount / ratio rounded up: rounding never favours the client. Amounts
use the unrounded ratio; ratio (rounded down) and inverseRatio (rounded half up) are shown with
8 decimals. Both sides must be within the pair's bounds.

An order (sandbox clock: the exchange's settle tick, every second and before every request,
moves the orders that are due, and every OTC request of the account first catches its own up,
so a status read after the due time shows it):

    POST orders: quote checked, fromAmount free -> locked; answered PROCESS
      --acceptDelayMs (default 0)--> ACCEPT_SUCCESS
      --settleDelayMs (default 1000) after the POST--> SUCCESS: the locked fromAmount leaves,
                                                       toAmount is credited (free)
                                                  \\-> FAIL (admin "failNextOrders"): the
                                                       fromAmount is unlocked, nothing moves
Each balance move sends outboundAccountPosition, as a trade does.

Choices where the spec is silent or contradicts itself:
- The quote answer has no quoteId (L5094-5101) though the order needs one (L5193) and the rows
  carry it (L5256): the answer is the spec's plus "quoteId" (32 hex digits, as L5256).
- Times are in seconds where the spec's examples show seconds (validTimestamp L5098, createTime
  L5181). A quote is usable until quoteValidityMs (default 10000) after it was given;
  validTimestamp is that instant rounded down to the second, so the quote is always usable
  before validTimestamp x 1000 (ms). startTime/endTime filters are milliseconds, as
  everywhere else in the spec.
- Errors: an unknown pair is -1130 'fromCoin' (no pair from that coin) or 'toCoin';
  a requestCoin that is neither coin -1130 'requestCoin'; an amount off the pair's bounds
  -1130 'requestAmount'; an unknown, expired or already used quote -1130 'quoteId' (a quote
  is used by the order placed with it, not by a refused attempt); too little free fromCoin
  -2010 "Account has insufficient balance for requested action."; an unknown orderId -2013
  "Order does not exist.".
- Lists are oldest first, as the spec's examples (L5343-5364, L5445-5470); "Data Source:
  Database": an order shows in GET orders and orders/{orderId} only after the admin-set
  history lag.
- "OCBS" is never defined and nothing places such orders: its list is what the admin seeded.

Admin (loopback only):
  GET  /sandbox/v1/otc -> {"pairs": [{"fromCoin", "toCoin", "fromCoinMinAmount",
       "fromCoinMaxAmount", "toCoinMinAmount", "toCoinMaxAmount"}], "spread": "0.002",
       "quoteValidityMs": 10000, "acceptDelayMs": 0, "settleDelayMs": 1000,
       "failNextOrders": 0}
  POST /sandbox/v1/otc {any of those keys} -> the same document. Exchange-wide, all or nothing
       (400 {"error"} changes nothing). "pairs" replaces the list (amounts as decimal strings;
       both coins must have a sandbox price), null restores the defaults; "failNextOrders": n
       makes the next n orders placed end in FAIL. Delays apply to orders placed afterwards.
  POST /sandbox/v1/otc/ocbs {"email", "orders": [{"fromCoin", "fromAmount", "toCoin",
       "toAmount", "quoteId"?, "orderId"?, "orderStatus"?: "SUCCESS", "feeCoin"?: "USD",
       "feeAmount"?: "0", "ratio"?: toAmount / fromAmount, "createTime"?: now (seconds)}]}
       -> {"total", "dataList"}: replaces that account's OCBS orders.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from aiohttp import web

from . import errors
from .accounts import Account
from .admin_http import AdminError, guarded, is_int, read_body, reply
from .ctx import Ctx, in_window, page_of, positive_amount
from .decimals import EIGHT, ZERO, floor_to, parse_amount, q8
from .routes import route
from .state import Exchange
from .subaccounts import mid, num
from .symbols import SYMBOLS
from .wallet_catalog import plain

PROCESS, ACCEPT_SUCCESS, SUCCESS, FAIL = "PROCESS", "ACCEPT_SUCCESS", "SUCCESS", "FAIL"
STABLE = ("USD", "USDT")
STABLE_MIN, STABLE_MAX = Decimal(10), Decimal(500_000)
FIRST_ORDER_ID = 10002349  # the spec's example orderId


@dataclass(frozen=True, slots=True)
class Pair:
    from_coin: str
    to_coin: str
    from_min: Decimal
    from_max: Decimal
    to_min: Decimal
    to_max: Decimal


@dataclass(slots=True)
class Quote:
    quote_id: str
    from_coin: str
    to_coin: str
    from_amount: Decimal
    to_amount: Decimal
    ratio: Decimal  # unrounded
    expires: int  # ms; usable while the clock is before it
    used: bool = False


@dataclass(slots=True)
class OtcOrder:
    order_id: str
    quote: Quote
    create_ms: int
    accept_at: int
    settle_at: int
    fails: bool
    status: str = PROCESS


@dataclass(slots=True)
class Otc:
    """An account's quotes, orders and admin-seeded OCBS rows."""

    quotes: dict[str, Quote] = field(default_factory=dict)
    orders: list[OtcOrder] = field(default_factory=list)
    ocbs: list[dict] = field(default_factory=list)


@dataclass(slots=True)
class Desk:
    """The exchange-wide OTC settings (admin-set)."""

    pairs: list[Pair]
    spread: Decimal = Decimal("0.002")
    quote_validity_ms: int = 10_000
    accept_delay_ms: int = 0
    settle_delay_ms: int = 1_000
    fail_next: int = 0
    next_order_id: int = FIRST_ORDER_ID
    quotes_given: int = 0


_DESKS: weakref.WeakKeyDictionary[Exchange, Desk] = weakref.WeakKeyDictionary()


def desk_of(ex: Exchange) -> Desk:
    desk = _DESKS.get(ex)
    if desk is None:
        desk = _DESKS[ex] = Desk(default_pairs())
    return desk


def default_pairs() -> list[Pair]:
    pairs = []
    for spec in SYMBOLS.values():
        if spec.quote not in STABLE:
            continue
        low = (STABLE_MIN / spec.start_mid).quantize(spec.step, rounding=ROUND_UP)
        high = floor_to(STABLE_MAX / spec.start_mid, spec.step)
        pairs.append(Pair(spec.base, spec.quote, low, high, STABLE_MIN, STABLE_MAX))
        pairs.append(Pair(spec.quote, spec.base, STABLE_MIN, STABLE_MAX, low, high))
    return pairs


def fair(ex: Exchange, from_coin: str, to_coin: str) -> Decimal:
    """to_coin per from_coin at the books' mid (0 when a coin has no price)."""
    direct = SYMBOLS.get(from_coin + to_coin)
    if direct is not None:
        return mid(ex, direct.symbol, direct.start_mid)
    inverse = SYMBOLS.get(to_coin + from_coin)
    if inverse is not None:
        return 1 / mid(ex, inverse.symbol, inverse.start_mid)
    to_price = ex.usd_price(to_coin)
    return ex.usd_price(from_coin) / to_price if to_price else ZERO


def hex_id(seed: str) -> str:
    """32 hex digits like the spec's quoteId ("4e5446f2cc6f44ab86ab02abf19a2fd2"), repeatable."""
    return hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()


def otc_of(ctx: Ctx) -> Otc:
    """The caller's OTC state, its orders brought up to the sandbox clock."""
    acct = ctx.account
    if not isinstance(acct.otc, Otc):
        acct.otc = Otc()
    catch_up(ctx.ex, acct, acct.otc, ctx.now())
    return acct.otc


def catch_up(ex: Exchange, acct: Account, otc: Otc, now: int) -> None:
    for order in otc.orders:
        if order.status == PROCESS and order.accept_at <= now:
            order.status = ACCEPT_SUCCESS
        if order.status == ACCEPT_SUCCESS and order.settle_at <= now:
            _settle(ex, acct, order, now)


def settle_due(ex: Exchange, now: int) -> None:
    """Orders finish on the sandbox clock whether their account asks or not (``Exchange.settle``
    runs every second): its balances and user data stream move as they would on the exchange."""
    for key, acct in list(ex.otc_due.items()):
        catch_up(ex, acct, acct.otc, now)
        if all(o.status in (SUCCESS, FAIL) for o in acct.otc.orders):
            del ex.otc_due[key]


def _settle(ex: Exchange, acct: Account, order: OtcOrder, now: int) -> None:
    q = order.quote
    if order.fails:
        acct.unlock(q.from_coin, q.from_amount)
        order.status = FAIL
    else:
        acct.bal(q.from_coin).locked -= q.from_amount
        acct.bal(q.to_coin).free += q.to_amount
        order.status = SUCCESS
    acct.update_time = order.settle_at
    ex.hub.on_balances(acct, {q.from_coin, q.to_coin}, now)


# ---- endpoints -------------------------------------------------------------------------------


@route("GET", "/sapi/v1/otc/coinPairs")
def coin_pairs(ctx: Ctx) -> object:
    from_coin, to_coin = ctx.params.get("fromCoin"), ctx.params.get("toCoin")
    return [
        pair_doc(pair)
        for pair in desk_of(ctx.ex).pairs
        if from_coin in (None, pair.from_coin) and to_coin in (None, pair.to_coin)
    ]


def pair_doc(pair: Pair) -> dict:
    return {
        "fromCoin": pair.from_coin,
        "toCoin": pair.to_coin,
        "fromCoinMinAmount": num(pair.from_min),
        "fromCoinMaxAmount": num(pair.from_max),
        "toCoinMinAmount": num(pair.to_min),
        "toCoinMaxAmount": num(pair.to_max),
    }


@route("POST", "/sapi/v1/otc/quotes")
def request_quote(ctx: Ctx) -> object:
    p = ctx.params
    from_coin, to_coin, request_coin = p.req("fromCoin"), p.req("toCoin"), p.req("requestCoin")
    amount = positive_amount(p, "requestAmount")
    desk = desk_of(ctx.ex)
    pair = _pair(desk, from_coin, to_coin)
    if request_coin not in (from_coin, to_coin):
        raise errors.invalid_param("requestCoin")
    ratio = fair(ctx.ex, from_coin, to_coin) * (1 - desk.spread)
    if ratio <= 0:
        raise errors.invalid_param("fromCoin")
    if request_coin == from_coin:
        from_amount, to_amount = amount, amount * ratio
    else:
        from_amount, to_amount = amount / ratio, amount
    from_amount = from_amount.quantize(EIGHT, rounding=ROUND_UP)
    to_amount = to_amount.quantize(EIGHT, rounding=ROUND_DOWN)
    if not _within(pair, from_amount, to_amount):
        raise errors.invalid_param("requestAmount")
    quote = _new_quote(ctx, desk, pair, from_amount, to_amount, ratio)
    return {
        "symbol": from_coin + to_coin,
        "ratio": num(ratio.quantize(EIGHT, rounding=ROUND_DOWN)),
        "inverseRatio": num(q8(1 / ratio)),
        "validTimestamp": quote.expires // 1000,
        "toAmount": num(to_amount),
        "fromAmount": num(from_amount),
        "quoteId": quote.quote_id,
    }


def _pair(desk: Desk, from_coin: str, to_coin: str) -> Pair:
    pair = next((x for x in desk.pairs if x.from_coin == from_coin and x.to_coin == to_coin), None)
    if pair is not None:
        return pair
    if any(x.from_coin == from_coin for x in desk.pairs):
        raise errors.invalid_param("toCoin")
    raise errors.invalid_param("fromCoin")


def _within(pair: Pair, from_amount: Decimal, to_amount: Decimal) -> bool:
    return pair.from_min <= from_amount <= pair.from_max and pair.to_min <= to_amount <= pair.to_max


def _new_quote(
    ctx: Ctx, desk: Desk, pair: Pair, from_amount: Decimal, to_amount: Decimal, ratio: Decimal
) -> Quote:
    otc, now = otc_of(ctx), ctx.now()
    desk.quotes_given += 1
    quote_id = hex_id(f"{ctx.ex.seed}:otc-quote:{desk.quotes_given}")
    expires = now + desk.quote_validity_ms
    quote = Quote(quote_id, pair.from_coin, pair.to_coin, from_amount, to_amount, ratio, expires)
    # Expired quotes are answered like unknown ones: no need to keep them.
    otc.quotes = {k: q for k, q in otc.quotes.items() if q.expires > now}
    otc.quotes[quote_id] = quote
    return quote


@route("POST", "/sapi/v1/otc/orders")
def place_order(ctx: Ctx) -> object:
    otc, now, acct = otc_of(ctx), ctx.now(), ctx.account
    quote = otc.quotes.get(ctx.params.req("quoteId"))
    if quote is None or quote.used or now >= quote.expires:
        raise errors.invalid_param("quoteId")
    if acct.bal(quote.from_coin).free < quote.from_amount:
        raise errors.insufficient_balance()
    acct.lock(quote.from_coin, quote.from_amount)
    acct.update_time = now
    quote.used = True
    order = _new_order(desk_of(ctx.ex), quote, now)
    otc.orders.append(order)
    ctx.ex.otc_due[id(acct)] = acct
    ctx.ex.hub.on_balances(acct, [quote.from_coin], now)
    return {"orderId": order.order_id, "createTime": now // 1000, "orderStatus": order.status}


def _new_order(desk: Desk, quote: Quote, now: int) -> OtcOrder:
    order_id = str(desk.next_order_id)
    desk.next_order_id += 1
    fails = desk.fail_next > 0
    if fails:
        desk.fail_next -= 1
    accept_at = now + desk.accept_delay_ms
    settle_at = max(accept_at, now + desk.settle_delay_ms)
    return OtcOrder(order_id, quote, now, accept_at, settle_at, fails)


def order_doc(order: OtcOrder) -> dict:
    q = order.quote
    return {
        "quoteId": q.quote_id,
        "orderId": order.order_id,
        "orderStatus": order.status,
        "fromCoin": q.from_coin,
        "fromAmount": num(q.from_amount),
        "toCoin": q.to_coin,
        "toAmount": num(q.to_amount),
        "ratio": num(q.ratio.quantize(EIGHT, rounding=ROUND_DOWN)),
        "inverseRatio": num(q8(1 / q.ratio)),
        "createTime": order.create_ms // 1000,
    }


def _visible(ctx: Ctx, otc: Otc) -> list[OtcOrder]:
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms
    return [o for o in otc.orders if o.create_ms <= cutoff]


@route("GET", "/sapi/v1/otc/orders/{orderId}")
def get_order(ctx: Ctx) -> object:
    order_id = ctx.params.req("orderId")
    order = next((o for o in _visible(ctx, otc_of(ctx)) if o.order_id == order_id), None)
    if order is None:
        raise errors.no_such_order()
    return order_doc(order)


@route("GET", "/sapi/v1/otc/orders")
def list_orders(ctx: Ctx) -> object:
    p = ctx.params
    order_id, from_coin, to_coin = p.get("orderId"), p.get("fromCoin"), p.get("toCoin")
    start, end = p.integer("startTime"), p.integer("endTime")
    limit = p.limit("limit", 10, 100)
    rows = [
        o
        for o in _visible(ctx, otc_of(ctx))
        if order_id in (None, o.order_id)
        and from_coin in (None, o.quote.from_coin)
        and to_coin in (None, o.quote.to_coin)
        and in_window(o.create_ms, start, end)
    ]
    page = page_of(rows, p.integer("page"), limit)
    return {"total": len(rows), "rows": [order_doc(o) for o in page]}


@route("GET", "/sapi/v1/ocbs/orders")
def ocbs_orders(ctx: Ctx) -> object:
    p = ctx.params
    order_id = p.get("orderId")
    start, end = p.integer("startTime"), p.integer("endTime")
    limit = p.limit("limit", 10, 100)
    rows = [
        r
        for r in otc_of(ctx).ocbs
        if order_id in (None, r["orderId"]) and in_window(r["createTime"] * 1000, start, end)
    ]
    return {"total": len(rows), "dataList": page_of(rows, p.integer("page"), limit)}


# ---- admin -----------------------------------------------------------------------------------

SETTING_FIELDS = (
    "pairs",
    "spread",
    "quoteValidityMs",
    "acceptDelayMs",
    "settleDelayMs",
    "failNextOrders",
)
_INT_ATTRS = {
    "quoteValidityMs": "quote_validity_ms",
    "acceptDelayMs": "accept_delay_ms",
    "settleDelayMs": "settle_delay_ms",
    "failNextOrders": "fail_next",
}


def describe(desk: Desk) -> dict:
    return {
        "pairs": [_pair_setting(p) for p in desk.pairs],
        "spread": plain(desk.spread),
        **{name: getattr(desk, attr) for name, attr in _INT_ATTRS.items()},
    }


def _pair_setting(pair: Pair) -> dict:
    amounts = (pair.from_min, pair.from_max, pair.to_min, pair.to_max)
    return {
        "fromCoin": pair.from_coin,
        "toCoin": pair.to_coin,
        **{name: plain(value) for name, value in zip(PAIR_FIELDS, amounts, strict=True)},
    }


def configure(ex: Exchange, doc: dict) -> Desk:
    """Apply an admin settings document (see the module docstring); ValueError changes
    nothing."""
    unknown = set(doc) - set(SETTING_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} (known: {', '.join(SETTING_FIELDS)})")
    desk = desk_of(ex)
    pairs = parse_pairs(ex, doc["pairs"]) if "pairs" in doc else None
    spread = _spread(doc.get("spread"))
    ints = {name: _non_negative(doc, name) for name in _INT_ATTRS if name in doc}
    if pairs is not None:
        desk.pairs = pairs
    if spread is not None:
        desk.spread = spread
    for name, value in ints.items():
        setattr(desk, _INT_ATTRS[name], value)
    return desk


def _spread(raw: object) -> Decimal | None:
    if raw is None:
        return None
    spread = parse_amount(raw, "spread")
    if spread >= 1:
        raise ValueError("spread must be below 1")
    return spread


def _non_negative(doc: dict, name: str) -> int:
    value = doc[name]
    if not is_int(value) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0")
    return value


PAIR_FIELDS = ("fromCoinMinAmount", "fromCoinMaxAmount", "toCoinMinAmount", "toCoinMaxAmount")


def parse_pairs(ex: Exchange, raw: object) -> list[Pair]:
    if raw is None:
        return default_pairs()
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise ValueError("pairs must be a list of objects")
    return [_parse_pair(ex, r) for r in raw]


def _parse_pair(ex: Exchange, row: dict) -> Pair:
    from_coin, to_coin = row.get("fromCoin"), row.get("toCoin")
    for coin in (from_coin, to_coin):
        if not isinstance(coin, str) or not coin.isalnum() or not coin.isupper():
            raise ValueError(f"bad coin {coin!r}")
    assert isinstance(from_coin, str) and isinstance(to_coin, str)
    if from_coin == to_coin or fair(ex, from_coin, to_coin) <= 0:
        raise ValueError(f"{from_coin}/{to_coin}: the sandbox has no price for it")
    low_from, high_from, low_to, high_to = (parse_amount(row.get(n), n) for n in PAIR_FIELDS)
    if low_from > high_from or low_to > high_to:
        raise ValueError(f"{from_coin}/{to_coin}: a minimum is above its maximum")
    return Pair(from_coin, to_coin, low_from, high_from, low_to, high_to)


def seed_ocbs(ex: Exchange, acct: Account, raw: object) -> list[dict]:
    """The admin's OCBS rows in the shape of GET /sapi/v1/ocbs/orders (L5445-5470)."""
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise ValueError("orders must be a list of objects")
    now_s = ex.clock.now_ms() // 1000
    rows = [_ocbs_row(ex, r, now_s, n) for n, r in enumerate(raw)]
    rows.sort(key=lambda r: r["createTime"])
    if not isinstance(acct.otc, Otc):
        acct.otc = Otc()
    acct.otc.ocbs = rows
    return rows


def _ocbs_row(ex: Exchange, row: dict, now_s: int, n: int) -> dict:
    from_amount = parse_amount(row.get("fromAmount"), "fromAmount")
    to_amount = parse_amount(row.get("toAmount"), "toAmount")
    if not from_amount or not to_amount:
        raise ValueError("fromAmount and toAmount must be above 0")
    status = row.get("orderStatus", SUCCESS)
    if status not in (PROCESS, ACCEPT_SUCCESS, SUCCESS, FAIL):
        raise ValueError(f"orderStatus must be one of {PROCESS}/{ACCEPT_SUCCESS}/{SUCCESS}/{FAIL}")
    create = row.get("createTime", now_s)
    if not is_int(create) or create < 0:
        raise ValueError("createTime must be an integer number of seconds")
    ratio = row.get("ratio")
    return {
        "quoteId": str(row.get("quoteId", hex_id(f"{ex.seed}:ocbs:{now_s}:{n}"))),
        "orderId": str(row.get("orderId", 1000238000 + n)),
        "orderStatus": status,
        "fromCoin": _coin(row, "fromCoin"),
        "fromAmount": num(from_amount),
        "toCoin": _coin(row, "toCoin"),
        "toAmount": num(to_amount),
        "feeCoin": _coin(row, "feeCoin", "USD"),
        "feeAmount": num(parse_amount(row.get("feeAmount", "0"), "feeAmount")),
        "ratio": num(to_amount / from_amount if ratio is None else parse_amount(ratio, "ratio")),
        "createTime": create,
    }


def _coin(row: dict, name: str, default: str | None = None) -> str:
    coin = row.get(name, default)
    if not isinstance(coin, str) or not coin.isalnum() or not coin.isupper():
        raise ValueError(f"{name} must be an upper-case coin name")
    return coin


def add_admin_routes(app: web.Application, ex: Exchange) -> None:
    """The admin API's otc controls under /sandbox/v1 (see the module docstring)."""

    async def get_settings(request: web.Request) -> web.Response:
        return reply(describe(desk_of(ex)))

    async def post_settings(request: web.Request) -> web.Response:
        try:
            desk = configure(ex, await read_body(request))
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return reply(describe(desk))

    async def post_ocbs(request: web.Request) -> web.Response:
        doc = await read_body(request)
        email = doc.get("email")
        acct = ex.registry.by_email.get(email) if isinstance(email, str) else None
        if acct is None or acct.internal:
            raise AdminError(404, f"no account {email}")
        try:
            rows = seed_ocbs(ex, acct, doc.get("orders"))
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return reply({"total": len(rows), "dataList": rows})

    app.router.add_get("/sandbox/v1/otc", guarded(get_settings))
    app.router.add_post("/sandbox/v1/otc", guarded(post_settings))
    app.router.add_post("/sandbox/v1/otc/ocbs", guarded(post_ocbs))
