"""The admin API's partners controls (sandbox/partners.py is the exchange side).

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

from collections.abc import Awaitable, Callable
from decimal import Decimal

from aiohttp import web

from .accounts import Account
from .admin_http import AdminError, guarded, is_int, read_body, reply
from .decimals import parse_amount
from .partners import (
    AGENT_CODE_RE,
    BIZ_TYPES,
    CSV_FIELDS,
    EXPORTS_PATH,
    HISTORICAL_PATH,
    ORIGIN,
    PARTNER_ID_RE,
    USER_OVERRIDES,
    Broker,
    Partner,
    book_of,
    state_of,
    watch_fills,
)
from .state import Exchange
from .subaccounts import plain


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
