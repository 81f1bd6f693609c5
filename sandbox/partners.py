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

The admin controls (partners, referral rows, brokers, kickbacks, export downloads) are in
partners_admin.py.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from . import errors
from .accounts import Account
from .ctx import Ctx, in_window, page_of
from .decimals import EIGHT
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
