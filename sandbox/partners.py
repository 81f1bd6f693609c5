"""Referral rewards, the API Partner Program and broker referral (apiReferral).

Referral rewards (GET /sapi/v1/marketing/referral/reward/history) are what the admin API
seeded on the account, per userBizType (0 referrer, 1 referee): newest receiveDateTime first,
`page` (from 1) of `rows` (1-200; outside that, or page < 1, -1130); `total` counts every row
of that type.

API partners are registered by the admin API (`POST /sandbox/v1/partners`), each an exchange
account (its account id is the `referrerId` users see) with an 8-letter/digit partner id.
checkEligibility answers, for the caller and that partner: isEligible (the partner's default,
true unless set), ifNewUser (true for accounts created after the partner was registered),
vipLevel (default 0), each overridable per user by the admin call. Rebates are credited from
real fills: when an order whose clientOrderId is "<partnerId>-..." (L3302) of a registered
partner fills, and the account is eligible, the account's rebate history gets one row for that
fill: qty = the fill's commission x the partner's rate (default 0.2), rounded down to 8
decimals, in the commission asset, dated at the trade (a fill with no commission, or a rebate
under 1e-8, lists nothing). The sandbox records rebates only: balances never move, so balance
arithmetic elsewhere stays exact. rebateHistory rows are newest first, one per fill (the
spec's example looks like a daily payout; the sandbox has no payout cycle). The window: endTime
defaults to now, startTime to endTime - 7 days (the spec's "7 days before current time", read
from the window's end so that an endTime alone still gets a 7-day window); endTime before
startTime -1130 'endTime'. limit default 100, at most 1000; page from 1. An unknown or
malformed partnerId is -1130 'partnerId' on both endpoints.

Brokers: the admin API marks an account as a broker with its apiAgentCode
(`POST /sandbox/v1/accounts/<email>/broker`). Broker-only endpoints (customization POST/GET,
rebate/recentRecord) called by an account that is not a broker are -2015. An apiAgentCode
parameter naming no broker is -1130 'apiAgentCode'.
- ifNewUser (R7): rebateWorking is the broker's flag (admin, default true), ifNewUser true for
  accounts created after the account became a broker, referrerId the broker's account id.
- A broker keeps one customerId per client email (R36-37: a second customization of the same
  email changes its customerId in place; the GET example's two ids for one email is read as
  illustrative). customization POST (R27) needs both customerId and email (both marked YES
  and both in the answer); the email must be an exchange account's, else -1130 'email'. The
  "not at the same time" rule (R57) belongs to the GET: both sent -1128; neither lists every
  customization of the broker in the order first made; one filters (an unknown value lists
  nothing). userCustomization POST (R80) is the client setting its own customerId at a broker:
  the same map. A customerId held by another email at that broker is -1130 'customerId'
  (R36, R89: unique per broker); customerIds are 1-64 characters. userCustomization GET answers
  {"customerId": ""} when the caller has none (the "" of the R136 example).
- Rebates from fills: every fill of an account customized at a broker with rebateWorking true
  credits that broker (each such broker) income = commission x the broker's rate (default 0.2),
  and the trader a kickback = commission x the broker's kickbackRate (default 0.1), both
  rounded down to 8 decimals in the commission asset, at the trade time. The broker's row keeps
  the customerId the client had at fill time. The admin API can add rows to both histories.
- rebate/recentRecord (R117): startTime and endTime both or neither (one alone -1128); both
  omitted is the last 7 days; both sent more than 7 days apart -1127 "More than 168 hours
  between startTime and endTime.", endTime before startTime -1130 'endTime'. limit is marked
  YES yet R129 allows omitting the others: it is optional, default and max 500. Emails are
  masked as the example: the local part's first 4 characters, then "*****@domain".
- kickback/recentRecord and kickback/historicalRecord are "for trader" (R157, R191): they read
  the caller's own kickback rows, broker or not. recentRecord: only the last 7 days (an earlier
  startTime is moved up to now - 7 days), endTime default now (before startTime -1130
  'endTime'), limit default 500, max 1000. Both lists are newest first.
- historicalRecord POST (R193) starts an export of the caller's kickback rows of the last 30
  days (startTime clipped as above, endTime default now, limit default and max 1000) as they
  are now. The spec's answer is not JSON (R207-211); the sandbox answers it as JSON:
  {"code": 200, "msg": "Historical data is collecting"}. The GET (R215) answers the latest
  export (a new POST replaces it and its URL): {"status": "COLLECTING", "url": null} until
  exportDelayMs (admin, default 5000) of sandbox clock have passed, then {"status": "READY",
  "url": "<sandbox origin>/sandbox/v1/partners/exports/<token>.csv"}; {"status": "NONE",
  "url": null} before any POST. The CSV has the header income,asset,symbol,time and the rows
  newest first. Like a presigned download link it is served to any peer (not loopback only):
  the 32-hex random token is the credential; 404 before it is ready or once replaced.

The endpoints have no spec weights (endpoint_table uses 1) and read no history lag.

Admin (loopback only, all or nothing: a bad document answers 400 {"error"} and changes nothing):
  POST /sandbox/v1/partners {"partnerId": "ABCD1234", "email": the partner's account (needed
       to register), "rate"?: "0.2", "isEligible"?: true, "vipLevel"?: 0, "users"?: {email:
       {"isEligible"?, "ifNewUser"?, "vipLevel"?} | null}} -> the partner as below; the
       fields sent change, null drops a user's overrides
  GET  /sandbox/v1/partners -> [{"partnerId", "email", "referrerId", "rate", "isEligible",
       "vipLevel", "users": {email: overrides}}]
  POST /sandbox/v1/accounts/{email}/referral {"referrer"?: [row], "referee"?: [row]}, row
       {"userId": int, "rewardAmount": "8", "receiveDateTime"?: ms (now), "rewardType"?:
       "USD"}: rows added -> {"email", "referrer": count, "referee": count}
  POST /sandbox/v1/accounts/{email}/broker {"apiAgentCode" (needed the first time; unique),
       "rebateWorking"?: true, "rate"?: "0.2", "kickbackRate"?: "0.1", "rebates"?: [{"email",
       "customerId"?: "", "income", "asset", "symbol", "time"?: ms, "orderId"?: 0,
       "tradeId"?: 0}]} -> {"email", "apiAgentCode", "rebateWorking", "rate", "kickbackRate",
       "customers": {email: customerId}, "rebates": count}
  POST /sandbox/v1/accounts/{email}/kickbacks {"rows"?: [{"income", "asset", "symbol",
       "time"?: ms}], "exportDelayMs"?: 5000} -> {"email", "kickbacks": count, "exportDelayMs"}
  GET  /sandbox/v1/partners/exports/{token}.csv -> the export's CSV (any peer, see above)
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from aiohttp import web

from . import errors
from .accounts import Account
from .admin_http import AdminError, guarded, is_int, read_body, reply
from .ctx import Ctx, in_window, page_of
from .decimals import EIGHT, parse_amount
from .records import Fill, Order
from .routes import route
from .state import Exchange
from .subaccounts import plain

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
MONTH_MS = 30 * DAY_MS
PARTNER_ID_RE = re.compile(r"^[A-Za-z0-9]{8}$")
AGENT_CODE_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")
MAX_CUSTOMER_ID = 64
BIZ_TYPES = {"referrer": 0, "referee": 1}
DEFAULT_PARTNER_RATE = Decimal("0.2")
DEFAULT_BROKER_RATE = Decimal("0.2")
DEFAULT_KICKBACK_RATE = Decimal("0.1")
DEFAULT_EXPORT_DELAY_MS = 5_000
HISTORICAL_PATH = "/sapi/v1/apiReferral/kickback/historicalRecord"
EXPORTS_PATH = "/sandbox/v1/partners/exports/"
CSV_FIELDS = ("income", "asset", "symbol", "time")
USER_OVERRIDES = ("isEligible", "ifNewUser", "vipLevel")
BOOK_ATTR = "partner_book"
# The origin the current request reached the sandbox by (set for HISTORICAL_PATH only), so the
# export URL points back at the same sandbox.
ORIGIN: ContextVar[str] = ContextVar("partners_origin", default="http://127.0.0.1")


# ---- state -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Partner:
    partner_id: str
    account: Account
    newer_than: int  # accounts with a larger id were created after registration: new users
    rate: Decimal = DEFAULT_PARTNER_RATE
    is_eligible: bool = True
    vip_level: int = 0
    users: dict[int, dict] = field(default_factory=dict)  # account id -> USER_OVERRIDES

    def eligibility(self, acct: Account) -> dict:
        own = self.users.get(acct.account_id, {})
        return {
            "isEligible": own.get("isEligible", self.is_eligible),
            "ifNewUser": own.get("ifNewUser", acct.account_id > self.newer_than),
            "vipLevel": own.get("vipLevel", self.vip_level),
            "referrerId": self.account.account_id,
        }


@dataclass(slots=True)
class Broker:
    code: str
    account: Account
    newer_than: int
    rebate_working: bool = True
    rate: Decimal = DEFAULT_BROKER_RATE
    kickback_rate: Decimal = DEFAULT_KICKBACK_RATE
    customers: dict[str, str] = field(default_factory=dict)  # client email -> customerId
    rebates: list[dict] = field(default_factory=list)  # oldest first

    def customize(self, customer_id: str, email: str) -> None:
        """Map `email` to `customer_id`, in place if the email has one already."""
        if any(c == customer_id and e != email for e, c in self.customers.items()):
            raise errors.invalid_param("customerId")
        self.customers[email] = customer_id


@dataclass(slots=True)
class Export:
    token: str
    ready_at: int
    csv: str


@dataclass(slots=True)
class AccountPartners:
    """`Account.partners`: what this module keeps per account."""

    referral: dict[int, list[dict]] = field(default_factory=lambda: {0: [], 1: []})
    rebates: list[dict] = field(default_factory=list)  # API partner rebates, oldest first
    kickbacks: list[dict] = field(default_factory=list)  # broker kickbacks, oldest first
    export_delay_ms: int = DEFAULT_EXPORT_DELAY_MS
    export: Export | None = None
    broker: Broker | None = None


@dataclass(slots=True)
class PartnerBook:
    """Exchange-wide: registered partners, brokers by apiAgentCode, exports by token."""

    partners: dict[str, Partner] = field(default_factory=dict)
    brokers: dict[str, Broker] = field(default_factory=dict)
    exports: dict[str, Export] = field(default_factory=dict)


def book_of(ex: Exchange) -> PartnerBook:
    book = getattr(ex, BOOK_ATTR, None)
    if book is None:
        book = PartnerBook()
        setattr(ex, BOOK_ATTR, book)
    return book


def state_of(acct: Account) -> AccountPartners:
    if acct.partners is None:
        acct.partners = AccountPartners()
    assert isinstance(acct.partners, AccountPartners)
    return acct.partners


# ---- crediting fills -------------------------------------------------------------------------


class FillWatch:
    """An engine listener in front of another (as creditline.PriceWatch) that passes every
    event on and credits partner rebates and broker income from the fills of real accounts."""

    def __init__(self, inner: object, ex: Exchange) -> None:
        self._inner = inner
        self._ex = ex

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    @property
    def partner_watch(self) -> FillWatch:
        return self

    def on_order(self, order: Order, exec_type: str, fill: Fill | None, time: int) -> None:
        self._inner.on_order(order, exec_type, fill, time)  # type: ignore[attr-defined]
        if fill is not None and not order.account.internal and fill.commission > 0:
            book = book_of(self._ex)
            _credit_partner(book, order, fill)
            _credit_brokers(book, order, fill)


def watch_fills(ex: Exchange) -> None:
    """Put the FillWatch in front of the engine's listener, once (found again through
    listeners that forward attributes)."""
    if not isinstance(getattr(ex.engine.listener, "partner_watch", None), FillWatch):
        ex.engine.listener = FillWatch(ex.engine.listener, ex)  # type: ignore[assignment]


def _share(commission: Decimal, rate: Decimal) -> Decimal:
    return (commission * rate).quantize(EIGHT, rounding=ROUND_DOWN)


def _credit_partner(book: PartnerBook, order: Order, fill: Fill) -> None:
    prefix, dash, _ = order.client_order_id.partition("-")
    partner = book.partners.get(prefix) if dash else None
    if partner is None or not partner.eligibility(order.account)["isEligible"]:
        return
    qty = _share(fill.commission, partner.rate)
    if qty > 0:
        state_of(order.account).rebates.append(
            {
                "partnerId": partner.partner_id,
                "qty": qty,
                "asset": fill.commission_asset,
                "date": fill.trade.time,
            }
        )


def _credit_brokers(book: PartnerBook, order: Order, fill: Fill) -> None:
    acct = order.account
    for broker in book.brokers.values():
        customer_id = broker.customers.get(acct.email)
        if customer_id is None or not broker.rebate_working:
            continue
        row = {"asset": fill.commission_asset, "symbol": order.symbol, "time": fill.trade.time}
        income = _share(fill.commission, broker.rate)
        if income > 0:
            broker.rebates.append(
                {
                    "customerId": customer_id,
                    "email": acct.email,
                    "income": income,
                    **row,
                    "orderId": order.order_id,
                    "tradeId": fill.trade.trade_id,
                }
            )
        kickback = _share(fill.commission, broker.kickback_rate)
        if kickback > 0:
            state_of(acct).kickbacks.append({"income": kickback, **row})


# ---- shared reading helpers ------------------------------------------------------------------


def _newest(rows: list[dict], time_key: str, start: int | None, end: int | None) -> list[dict]:
    return sorted(
        (r for r in rows if in_window(r[time_key], start, end)),
        key=lambda r: r[time_key],
        reverse=True,
    )


def _page(ctx: Ctx, name: str, *, required: bool = False) -> int:
    page = ctx.params.integer(name, required=required)
    if page is not None and page < 1:
        raise errors.invalid_param(name)
    return page or 1


def _ordered(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and end < start:
        raise errors.invalid_param("endTime")


def _recent(ctx: Ctx, span_ms: int) -> tuple[int, int]:
    """The "only the last `span_ms`" window: an older startTime is moved up."""
    start, end = ctx.params.integer("startTime"), ctx.params.integer("endTime")
    _ordered(start, end)
    now = ctx.now()
    floor = now - span_ms
    return max(floor, start if start is not None else floor), now if end is None else end


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:4]}*****@{domain}"


# ---- referral rewards ------------------------------------------------------------------------


@route("GET", "/sapi/v1/marketing/referral/reward/history")
def referral_rewards(ctx: Ctx) -> object:
    p = ctx.params
    biz_type = p.integer("userBizType", required=True)
    if biz_type not in BIZ_TYPES.values():
        raise errors.invalid_param("userBizType")
    page = _page(ctx, "page", required=True)
    size = p.integer("rows", required=True)
    if size is None or not 1 <= size <= 200:
        raise errors.invalid_param("rows")
    assert biz_type is not None
    rows = _newest(state_of(ctx.account).referral[biz_type], "receiveDateTime", None, None)
    return {"total": len(rows), "rows": [_reward(r) for r in page_of(rows, page, size)]}


def _reward(row: dict) -> dict:
    return {**row, "rewardAmount": plain(row["rewardAmount"])}


# ---- API partner -----------------------------------------------------------------------------


def _partner(ctx: Ctx) -> Partner:
    partner = book_of(ctx.ex).partners.get(ctx.params.req("partnerId"))
    if partner is None:
        raise errors.invalid_param("partnerId")
    return partner


@route("GET", "/sapi/v1/apipartner/checkEligibility")
def check_eligibility(ctx: Ctx) -> object:
    return _partner(ctx).eligibility(ctx.account)


@route("GET", "/sapi/v1/apipartner/rebateHistory")
def rebate_history(ctx: Ctx) -> object:
    partner, p = _partner(ctx), ctx.params
    start, end = p.integer("startTime"), p.integer("endTime")
    _ordered(start, end)
    end = ctx.now() if end is None else end
    start = end - WEEK_MS if start is None else start
    limit = p.limit("limit", 100, 1000)
    page = _page(ctx, "page")
    own = [r for r in state_of(ctx.account).rebates if r["partnerId"] == partner.partner_id]
    rows = page_of(_newest(own, "date", start, end), page, limit)
    return [{"qty": plain(r["qty"]), "asset": r["asset"], "date": r["date"]} for r in rows]


# ---- broker referral -------------------------------------------------------------------------


def _own_broker(ctx: Ctx) -> Broker:
    broker = state_of(ctx.account).broker
    if broker is None:
        raise errors.rejected_key()
    return broker


def _agent(ctx: Ctx) -> Broker:
    broker = book_of(ctx.ex).brokers.get(ctx.params.req("apiAgentCode"))
    if broker is None:
        raise errors.invalid_param("apiAgentCode")
    return broker


def _customer_id(ctx: Ctx) -> str:
    customer_id = ctx.params.req("customerId")
    if len(customer_id) > MAX_CUSTOMER_ID:
        raise errors.invalid_param("customerId")
    return customer_id


@route("GET", "/sapi/v1/apiReferral/ifNewUser")
def if_new_user(ctx: Ctx) -> object:
    broker = _agent(ctx)
    return {
        "apiAgentCode": broker.code,
        "rebateWorking": broker.rebate_working,
        "ifNewUser": ctx.account.account_id > broker.newer_than,
        "referrerId": broker.account.account_id,
    }


@route("POST", "/sapi/v1/apiReferral/customization")
def customize(ctx: Ctx) -> object:
    broker = _own_broker(ctx)
    customer_id = _customer_id(ctx)
    email = ctx.params.req("email")
    client = ctx.ex.registry.by_email.get(email)
    if client is None or client.internal:
        raise errors.invalid_param("email")
    broker.customize(customer_id, email)
    return {"customerId": customer_id, "email": email}


@route("GET", "/sapi/v1/apiReferral/customization")
def customizations(ctx: Ctx) -> object:
    broker = _own_broker(ctx)
    customer_id, email = ctx.params.get("customerId"), ctx.params.get("email")
    if customer_id is not None and email is not None:
        raise errors.bad_combo()
    return [
        {"customerId": c, "email": e}
        for e, c in broker.customers.items()
        if customer_id in (None, c) and email in (None, e)
    ]


@route("POST", "/sapi/v1/apiReferral/userCustomization")
def user_customize(ctx: Ctx) -> object:
    broker = _agent(ctx)
    customer_id = _customer_id(ctx)
    broker.customize(customer_id, ctx.account.email)
    return {"customerId": customer_id}


@route("GET", "/sapi/v1/apiReferral/userCustomization")
def user_customization(ctx: Ctx) -> object:
    return {"customerId": _agent(ctx).customers.get(ctx.account.email, "")}


@route("GET", "/sapi/v1/apiReferral/rebate/recentRecord")
def broker_rebates(ctx: Ctx) -> object:
    broker, p = _own_broker(ctx), ctx.params
    start, end = _paired_window(ctx)
    customer_id = p.get("customerId")
    limit = p.limit("limit", 500, 500)
    rows = [
        r
        for r in _newest(broker.rebates, "time", start, end)
        if customer_id in (None, r["customerId"])
    ]
    return [_rebate(r) for r in rows[:limit]]


def _paired_window(ctx: Ctx) -> tuple[int, int]:
    start, end = ctx.params.integer("startTime"), ctx.params.integer("endTime")
    if (start is None) != (end is None):
        raise errors.bad_combo()
    if start is None or end is None:
        now = ctx.now()
        return now - WEEK_MS, now
    _ordered(start, end)
    if end - start > WEEK_MS:
        raise errors.ApiError(-1127, "More than 168 hours between startTime and endTime.")
    return start, end


def _rebate(row: dict) -> dict:
    return {
        "customerId": row["customerId"],
        "email": _masked(row["email"]),
        "income": plain(row["income"]),
        "asset": row["asset"],
        "symbol": row["symbol"],
        "time": row["time"],
        "orderId": row["orderId"],
        "tradeId": row["tradeId"],
    }


def _kickback(row: dict) -> dict:
    return {**row, "income": plain(row["income"])}


@route("GET", "/sapi/v1/apiReferral/kickback/recentRecord")
def kickbacks(ctx: Ctx) -> object:
    start, end = _recent(ctx, WEEK_MS)
    limit = ctx.params.limit("limit", 500, 1000)
    rows = _newest(state_of(ctx.account).kickbacks, "time", start, end)
    return [_kickback(r) for r in rows[:limit]]


@route("POST", HISTORICAL_PATH)
def start_export(ctx: Ctx) -> object:
    start, end = _recent(ctx, MONTH_MS)
    limit = ctx.params.limit("limit", 1000, 1000)
    state, book = state_of(ctx.account), book_of(ctx.ex)
    rows = _newest(state.kickbacks, "time", start, end)[:limit]
    if state.export is not None:
        book.exports.pop(state.export.token, None)
    export = Export(secrets.token_hex(16), ctx.now() + state.export_delay_ms, _csv(rows))
    state.export = book.exports[export.token] = export
    return {"code": 200, "msg": "Historical data is collecting"}


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_kickback(r) for r in rows)
    return out.getvalue()


@route("GET", HISTORICAL_PATH)
def export_status(ctx: Ctx) -> object:
    export = state_of(ctx.account).export
    if export is None:
        return {"status": "NONE", "url": None}
    if ctx.now() < export.ready_at:
        return {"status": "COLLECTING", "url": None}
    return {"status": "READY", "url": f"{ORIGIN.get()}{EXPORTS_PATH}{export.token}.csv"}


@web.middleware
async def _remember_origin(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.path == HISTORICAL_PATH:
        ORIGIN.set(f"{request.scheme}://{request.host}")
    return await handler(request)


# ---- admin -----------------------------------------------------------------------------------


def _account(ex: Exchange, email: object) -> Account:
    acct = ex.registry.by_email.get(email) if isinstance(email, str) else None
    if acct is None or acct.internal:
        raise AdminError(404, f"no account {email}")
    return acct


def _known(doc: dict, known: set[str]) -> None:
    unknown = set(doc) - known
    if unknown:
        raise AdminError(400, f"unknown fields {sorted(unknown)} (known: {sorted(known)})")


def _rate(doc: dict, name: str, default: Decimal) -> Decimal:
    if name not in doc:
        return default
    try:
        rate = parse_amount(doc[name], name)
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    if rate > 1:
        raise AdminError(400, f"{name} must be at most 1")
    return rate


def _int(doc: dict, name: str, default: int | None = None) -> int:
    value = doc.get(name, default)
    if isinstance(value, int) and is_int(value) and value >= 0:
        return value
    raise AdminError(400, f"{name} must be an integer >= 0")


def _bool(doc: dict, name: str, default: bool) -> bool:
    value = doc.get(name, default)
    if not isinstance(value, bool):
        raise AdminError(400, f"{name} must be true or false")
    return value


def _amount(row: dict, name: str) -> Decimal:
    try:
        return parse_amount(row.get(name), name)
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None


def _rows(raw: object, name: str, parse: Callable[[dict], dict]) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise AdminError(400, f"{name} must be a list of objects")
    return [parse(r) for r in raw]


def _text(row: dict, name: str, default: str | None = None) -> str:
    value = row.get(name, default)
    if not isinstance(value, str) or not value:
        raise AdminError(400, f"{name} must be a non-empty string")
    return value


class PartnersAdmin:
    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    def now(self) -> int:
        return self.ex.clock.now_ms()

    def newest_id(self) -> int:
        return max(self.ex.registry.by_id, default=0)

    # -- referral rewards

    def reward_row(self, row: dict) -> dict:
        _known(row, {"userId", "rewardAmount", "receiveDateTime", "rewardType"})
        return {
            "userId": _int(row, "userId"),
            "rewardAmount": _amount(row, "rewardAmount"),
            "receiveDateTime": _int(row, "receiveDateTime", self.now()),
            "rewardType": _text(row, "rewardType", "USD"),
        }

    async def post_referral(self, request: web.Request) -> web.Response:
        acct = _account(self.ex, request.match_info["email"])
        doc = await read_body(request)
        _known(doc, set(BIZ_TYPES))
        parsed = {n: _rows(doc.get(n), n, self.reward_row) for n in BIZ_TYPES}
        state = state_of(acct)
        for name, rows in parsed.items():
            state.referral[BIZ_TYPES[name]].extend(rows)
        return reply(
            {"email": acct.email, **{n: len(state.referral[t]) for n, t in BIZ_TYPES.items()}}
        )

    # -- API partners

    async def post_partner(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        _known(doc, {"partnerId", "email", "rate", "isEligible", "vipLevel", "users"})
        partner_id = doc.get("partnerId")
        if not isinstance(partner_id, str) or not PARTNER_ID_RE.match(partner_id):
            raise AdminError(400, "partnerId must be 8 letters or digits")
        partners = book_of(self.ex).partners
        partner = partners.get(partner_id)
        if partner is None:
            owner = _account(self.ex, doc.get("email"))
            partner = Partner(partner_id, owner, self.newest_id())
        elif "email" in doc and _account(self.ex, doc["email"]) is not partner.account:
            raise AdminError(400, "a partner's account cannot change")
        rate = _rate(doc, "rate", partner.rate)
        eligible = _bool(doc, "isEligible", partner.is_eligible)
        vip = _int(doc, "vipLevel", partner.vip_level)
        users = self.user_overrides(doc.get("users"), partner.users)
        partner.rate, partner.is_eligible, partner.vip_level = rate, eligible, vip
        partner.users = users
        partners[partner_id] = partner
        watch_fills(self.ex)
        return reply(self.describe_partner(partner))

    def user_overrides(self, raw: object, current: dict[int, dict]) -> dict[int, dict]:
        if raw is None:
            return current
        if not isinstance(raw, dict):
            raise AdminError(400, "users must be an object of email -> overrides")
        users = dict(current)
        for email, overrides in raw.items():
            acct = _account(self.ex, email)
            if overrides is None:
                users.pop(acct.account_id, None)
                continue
            if not isinstance(overrides, dict):
                raise AdminError(400, f"users.{email} must be an object or null")
            _known(overrides, set(USER_OVERRIDES))
            for name in set(overrides) - {"vipLevel"}:
                _bool(overrides, name, False)
            if "vipLevel" in overrides:
                _int(overrides, "vipLevel")
            users[acct.account_id] = {**users.get(acct.account_id, {}), **overrides}
        return users

    def describe_partner(self, partner: Partner) -> dict:
        by_id = self.ex.registry.by_id
        return {
            "partnerId": partner.partner_id,
            "email": partner.account.email,
            "referrerId": partner.account.account_id,
            "rate": plain(partner.rate),
            "isEligible": partner.is_eligible,
            "vipLevel": partner.vip_level,
            "users": {by_id[i].email: o for i, o in partner.users.items()},
        }

    async def get_partners(self, request: web.Request) -> web.Response:
        partners = book_of(self.ex).partners.values()
        return reply([self.describe_partner(p) for p in partners])

    # -- brokers

    def rebate_row(self, row: dict) -> dict:
        _known(
            row, {"email", "customerId", "income", "asset", "symbol", "time", "orderId", "tradeId"}
        )
        return {
            "customerId": _text(row, "customerId", "") if row.get("customerId") else "",
            "email": _text(row, "email"),
            "income": _amount(row, "income"),
            "asset": _text(row, "asset"),
            "symbol": _text(row, "symbol"),
            "time": _int(row, "time", self.now()),
            "orderId": _int(row, "orderId", 0),
            "tradeId": _int(row, "tradeId", 0),
        }

    async def post_broker(self, request: web.Request) -> web.Response:
        acct = _account(self.ex, request.match_info["email"])
        doc = await read_body(request)
        _known(doc, {"apiAgentCode", "rebateWorking", "rate", "kickbackRate", "rebates"})
        state = state_of(acct)
        broker = state.broker or Broker("", acct, self.newest_id())
        code = doc.get("apiAgentCode", broker.code)
        if not isinstance(code, str) or not AGENT_CODE_RE.match(code):
            raise AdminError(400, "apiAgentCode must be 1-32 letters or digits")
        brokers = book_of(self.ex).brokers
        if brokers.get(code, broker) is not broker:
            raise AdminError(409, f"apiAgentCode {code} belongs to another broker")
        working = _bool(doc, "rebateWorking", broker.rebate_working)
        rate = _rate(doc, "rate", broker.rate)
        kickback_rate = _rate(doc, "kickbackRate", broker.kickback_rate)
        rows = _rows(doc.get("rebates"), "rebates", self.rebate_row)
        brokers.pop(broker.code, None)
        broker.code, broker.rebate_working = code, working
        broker.rate, broker.kickback_rate = rate, kickback_rate
        broker.rebates.extend(rows)
        state.broker = brokers[code] = broker
        watch_fills(self.ex)
        return reply(self.describe_broker(acct, broker))

    @staticmethod
    def describe_broker(acct: Account, broker: Broker) -> dict:
        return {
            "email": acct.email,
            "apiAgentCode": broker.code,
            "rebateWorking": broker.rebate_working,
            "rate": plain(broker.rate),
            "kickbackRate": plain(broker.kickback_rate),
            "customers": dict(broker.customers),
            "rebates": len(broker.rebates),
        }

    # -- kickbacks and their export

    def kickback_row(self, row: dict) -> dict:
        _known(row, set(CSV_FIELDS))
        return {
            "income": _amount(row, "income"),
            "asset": _text(row, "asset"),
            "symbol": _text(row, "symbol"),
            "time": _int(row, "time", self.now()),
        }

    async def post_kickbacks(self, request: web.Request) -> web.Response:
        acct = _account(self.ex, request.match_info["email"])
        doc = await read_body(request)
        _known(doc, {"rows", "exportDelayMs"})
        state = state_of(acct)
        rows = _rows(doc.get("rows"), "rows", self.kickback_row)
        delay = _int(doc, "exportDelayMs", state.export_delay_ms)
        state.kickbacks.extend(rows)
        state.export_delay_ms = delay
        return reply(
            {"email": acct.email, "kickbacks": len(state.kickbacks), "exportDelayMs": delay}
        )

    async def get_export(self, request: web.Request) -> web.Response:
        export = book_of(self.ex).exports.get(request.match_info["token"])
        if export is None or self.now() < export.ready_at:
            raise web.HTTPNotFound()
        return web.Response(text=export.csv, content_type="text/csv")


def add_admin_routes(app: web.Application, ex: Exchange) -> None:
    """The admin API's partners controls under /sandbox/v1, and the export downloads."""
    a = PartnersAdmin(ex)
    app.middlewares.append(_remember_origin)
    app.router.add_post("/sandbox/v1/partners", guarded(a.post_partner))
    app.router.add_get("/sandbox/v1/partners", guarded(a.get_partners))
    app.router.add_post("/sandbox/v1/accounts/{email}/referral", guarded(a.post_referral))
    app.router.add_post("/sandbox/v1/accounts/{email}/broker", guarded(a.post_broker))
    app.router.add_post("/sandbox/v1/accounts/{email}/kickbacks", guarded(a.post_kickbacks))
    app.router.add_get(EXPORTS_PATH + "{token}.csv", a.get_export)
