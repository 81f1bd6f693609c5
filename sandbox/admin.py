"""The sandbox's own admin API under /sandbox/v1 (not Binance's), loopback peers only.

Creates accounts and keys, credits deposits, shows accounts and sets their status, fees,
custody and credit line. A small HTML page at /sandbox/ lets a person create a funded account
and copy its key pair. The exchange-wide controls (faults, filters, limits, clock, ...) are
admin_controls.py's; the HTTP plumbing is admin_http.py's.

Fees: `POST /sandbox/v1/accounts/{email}/fees` {"maker": "0.001", "taker": "0.002",
"symbols": {"BTCUSD": {"maker": "0", "taker": "0.004"} | null}}.
"""

from __future__ import annotations

import html
from decimal import Decimal

from aiohttp import web

from . import admin_controls, admin_wallet, creditline, custody, dust, otc, partners_admin
from .accounts import Account, ApiKey
from .admin_http import AdminError, guarded, read_body, reply
from .decimals import fmt8, parse_amount
from .state import Exchange, parse_balances
from .subaccounts import record_deposit
from .symbols import SYMBOLS


def _email(doc: dict) -> str:
    email = doc.get("email")
    if (
        not isinstance(email, str)
        or "@" not in email
        or len(email) > 254
        or email != (email.strip())
    ):
        raise AdminError(400, "email must be an e-mail address")
    return email


def _permissions(raw: object) -> tuple[bool, bool, bool]:
    """{"trade": bool, "withdraw": bool, "deposit": bool}; missing ones default to true."""
    if raw is None:
        return True, True, True
    if not isinstance(raw, dict) or not set(raw) <= {"trade", "withdraw", "deposit"}:
        raise AdminError(400, "permissions must be an object with trade/withdraw/deposit")
    values = tuple(raw.get(name, True) for name in ("trade", "withdraw", "deposit"))
    if not all(isinstance(v, bool) for v in values):
        raise AdminError(400, "permissions values must be true or false")
    return values  # type: ignore[return-value]


def _key_permissions(key: ApiKey) -> dict:
    return {"trade": key.can_trade, "withdraw": key.can_withdraw, "deposit": key.can_deposit}


def _rate(doc: dict, name: str, default: Decimal | None = None) -> Decimal:
    """A commission rate: a decimal string in [0, 1)."""
    if name not in doc and default is not None:
        return default
    try:
        rate = parse_amount(doc.get(name), name)
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    if rate >= 1:
        raise AdminError(400, f"{name} must be below 1")
    return rate


def _fees(acct: Account) -> dict:
    return {
        "email": acct.email,
        "maker": fmt8(acct.maker_rate),
        "taker": fmt8(acct.taker_rate),
        "symbols": {
            s: {"maker": fmt8(m), "taker": fmt8(t)}
            for s, (m, t) in sorted(acct.symbol_rates.items())
        },
    }


class Admin:
    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    def account(self, email: str) -> Account:
        acct = self.ex.registry.by_email.get(email)
        if acct is None or acct.internal:
            raise AdminError(404, f"no account {email}")
        return acct

    def create(
        self, email: str, balances: object, master_email: object = None, enabled: object = True
    ) -> dict:
        try:
            amounts = parse_balances(balances)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        if email in self.ex.registry.by_email:
            raise AdminError(409, f"account {email} already exists")
        master = None
        if master_email is not None:
            if not isinstance(master_email, str):
                raise AdminError(400, "master must be the master account's email")
            master = self.account(master_email)
            if master.master is not None:
                raise AdminError(400, f"{master_email} is itself a sub-account")
        if not isinstance(enabled, bool):
            raise AdminError(400, "enabled must be true or false")
        acct = self.ex.registry.create_account(email, amounts, master=master)
        acct.update_time = acct.create_time = self.ex.clock.now_ms()
        acct.sub_enabled = enabled
        key = self.ex.registry.add_key(acct, "exchange")
        doc = {
            "email": email,
            "accountId": acct.account_id,
            "apiKey": key.api_key,
            "secretKey": key.secret,
        }
        if master is not None:
            doc["master"] = master.email
        return doc

    async def post_account(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        return reply(
            self.create(
                _email(doc), doc.get("balances"), doc.get("master"), doc.get("enabled", True)
            )
        )

    async def post_key(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        acct = self.account(_email(doc))
        permissions = _permissions(doc.get("permissions"))
        try:
            key = self.ex.registry.add_key(
                acct, doc.get("type", "exchange"), doc.get("apiKey"), doc.get("secretKey")
            )
        except (ValueError, TypeError) as exc:
            raise AdminError(400, str(exc)) from None
        except KeyError:
            raise AdminError(409, "apiKey already exists") from None
        key.can_trade, key.can_withdraw, key.can_deposit = permissions
        return reply(
            {
                "email": acct.email,
                "type": key.key_type,
                "apiKey": key.api_key,
                "secretKey": key.secret,
                "permissions": _key_permissions(key),
            }
        )

    async def post_deposit(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        acct = self.account(_email(doc))
        asset = doc.get("asset")
        if not isinstance(asset, str) or not asset.isalnum() or not asset.isupper():
            raise AdminError(400, "asset must be an upper-case asset name")
        try:
            amount = parse_amount(doc.get("amount"), "amount")
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        if amount <= 0:
            raise AdminError(400, "amount must be > 0")
        self.ex.deposit(acct, asset, amount)
        record_deposit(self.ex, acct, asset, amount)
        return reply(
            {
                "email": acct.email,
                "asset": asset,
                "amount": fmt8(amount),
                "free": fmt8(acct.bal(asset).free),
            }
        )

    async def get_account(self, request: web.Request) -> web.Response:
        acct = self.account(request.match_info["email"])
        return reply(
            {
                "email": acct.email,
                "accountId": acct.account_id,
                "balances": {
                    a: {"free": fmt8(b.free), "locked": fmt8(b.locked)}
                    for a, b in sorted(acct.balances.items())
                },
                "keys": [
                    {"type": k.key_type, "apiKey": k.api_key, "permissions": _key_permissions(k)}
                    for k in acct.keys
                ],
                "master": acct.master.email if acct.master else None,
                "subAccounts": [sub.email for sub in acct.subs],
                "accountStatus": acct.status_msg,
            }
        )

    async def post_status(self, request: web.Request) -> web.Response:
        """{"msg": "Disabled"} -> GET /sapi/v3/accountStatus; optional "enabled": bool is the
        sub-account status shown by the sub-account list/status endpoints."""
        acct = self.account(request.match_info["email"])
        doc = await read_body(request)
        msg, enabled = doc.get("msg", acct.status_msg), doc.get("enabled", acct.sub_enabled)
        if not isinstance(msg, str) or not msg or len(msg) > 100:
            raise AdminError(400, "msg must be a short string such as Normal or Disabled")
        if not isinstance(enabled, bool):
            raise AdminError(400, "enabled must be true or false")
        acct.status_msg, acct.sub_enabled = msg, enabled
        return reply({"email": acct.email, "msg": acct.status_msg, "enabled": acct.sub_enabled})

    async def post_trading_status(self, request: web.Request) -> web.Response:
        """Fields of GET /sapi/v3/apiTradingStatus "status": isLocked, plannedRecoverTime,
        triggerCondition, indicators (the ones sent replace the current ones)."""
        acct = self.account(request.match_info["email"])
        doc = await read_body(request)
        checks = {
            "isLocked": lambda v: isinstance(v, bool),
            "plannedRecoverTime": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "triggerCondition": lambda v: isinstance(v, dict),
            "indicators": lambda v: isinstance(v, dict),
        }
        for name, value in doc.items():
            check = checks.get(name)
            if check is None or not check(value):
                raise AdminError(400, f"bad field {name!r} (known: {', '.join(checks)})")
        acct.trading_status.update(doc)
        return reply({"email": acct.email, "status": acct.trading_status})

    async def post_fees(self, request: web.Request) -> web.Response:
        """{"maker": "0.001", "taker": "0.002", "symbols": {"BTCUSD": {"maker": .., "taker":
        ..} | null}}: account-wide rates and per-symbol overrides (null drops one); the ones
        sent replace the current ones. Charged on trades and shown by GET /api/v3/account
        (account-wide) and GET /sapi/v1/asset/query/trading-fee (per symbol)."""
        acct = self.account(request.match_info["email"])
        doc = await read_body(request)
        if not set(doc) <= {"maker", "taker", "symbols"}:
            raise AdminError(400, "the body takes maker, taker and symbols")
        maker = _rate(doc, "maker", acct.maker_rate)
        taker = _rate(doc, "taker", acct.taker_rate)
        overrides = dict(acct.symbol_rates)
        symbols = doc.get("symbols", {})
        if not isinstance(symbols, dict):
            raise AdminError(400, "symbols must be an object of symbol -> {maker, taker}")
        for symbol, rates in symbols.items():
            if symbol not in SYMBOLS:
                raise AdminError(400, f"unknown symbol {symbol!r}")
            if rates is None:
                overrides.pop(symbol, None)
            elif isinstance(rates, dict) and set(rates) == {"maker", "taker"}:
                overrides[symbol] = (_rate(rates, "maker"), _rate(rates, "taker"))
            else:
                raise AdminError(400, f"symbols.{symbol} must be {{maker, taker}} or null")
        acct.maker_rate, acct.taker_rate, acct.symbol_rates = maker, taker, overrides
        return reply(_fees(acct))

    async def post_custody(self, request: web.Request) -> web.Response:
        """Set up / update the account's Custodial Solution state (see custody.configure)."""
        acct = self.account(request.match_info["email"])
        doc = await read_body(request)
        try:
            state = custody.configure(acct, doc, self.ex.clock.now_ms())
        except (ValueError, TypeError) as exc:
            raise AdminError(400, str(exc)) from None
        return reply({"email": acct.email, **custody.describe(state)})

    async def post_credit_line(self, request: web.Request) -> web.Response:
        """Set up / update the account's credit line: the fields of GET /sapi/v2/cl/account
        it names (thresholds refused unless initialLTV < marginCallLTV < liquidationLTV;
        currentLTV, requiredDepositAmount and availableAmountToTransferOut pinned, or computed
        again when null), "balances" (the pledged ones), "loanAssets", and "alert" (record one
        snapshot). See creditline's docstring for the computed values and automatic alerts."""
        acct = self.account(request.match_info["email"])
        doc = await read_body(request)
        try:
            line = creditline.configure(self.ex, acct, doc)
        except (ValueError, TypeError) as exc:
            raise AdminError(400, str(exc)) from None
        return reply(creditline.describe(self.ex, acct, line))

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text=_page(), content_type="text/html")

    async def page_post(self, request: web.Request) -> web.Response:
        form = await request.post()
        balances = {}
        for asset in ("USD", "USDT", "BTC", "ETH", "SOL"):
            value = str(form.get(asset, "")).strip()
            if value:
                balances[asset] = value
        try:
            created = self.create(_email({"email": str(form.get("email", "")).strip()}), balances)
        except AdminError as exc:
            return web.Response(
                text=_page(error=exc.message), content_type="text/html", status=exc.status
            )
        return web.Response(text=_page(created=created), content_type="text/html")


_STYLE = (
    "body{font-family:sans-serif;max-width:40em;margin:2em auto}"
    "label{display:block;margin:.4em 0}code{background:#eee;padding:.2em;word-break:"
    "break-all}.err{color:#b00}"
)


def _page(created: dict | None = None, error: str | None = None) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Sandbox exchange</title>",
        f"<style>{_STYLE}</style></head><body><h1>Sandbox exchange</h1>",
    ]
    if error:
        parts.append(f"<p class='err'>{html.escape(error)}</p>")
    if created:
        parts.append(
            "<h2>Account created</h2><p>Copy the secret now: it is not shown again.</p>"
            f"<p>Email: <code>{html.escape(created['email'])}</code></p>"
            f"<p>API key: <code>{html.escape(created['apiKey'])}</code></p>"
            f"<p>Secret key: <code>{html.escape(created['secretKey'])}</code></p>"
        )
    parts.append(
        "<h2>Create an account</h2><form method='post' action='/sandbox/'>"
        "<label>Email <input name='email' type='email' required></label>"
    )
    for asset, default in (
        ("USD", "10000"),
        ("USDT", "10000"),
        ("BTC", "1"),
        ("ETH", "10"),
        ("SOL", ""),
    ):
        parts.append(f"<label>{asset} <input name='{asset}' value='{default}'></label>")
    parts.append("<button type='submit'>Create</button></form></body></html>")
    return "".join(parts)


def add_routes(app: web.Application, ex: Exchange) -> None:
    a = Admin(ex)
    admin_controls.add_routes(app, ex)
    admin_wallet.add_routes(app, ex)
    for area in (otc, dust, partners_admin):
        area.add_admin_routes(app, ex)
    app.router.add_post("/sandbox/v1/accounts", guarded(a.post_account))
    app.router.add_get("/sandbox/v1/accounts/{email}", guarded(a.get_account))
    app.router.add_post("/sandbox/v1/keys", guarded(a.post_key))
    app.router.add_post("/sandbox/v1/deposit", guarded(a.post_deposit))
    app.router.add_post("/sandbox/v1/accounts/{email}/status", guarded(a.post_status))
    app.router.add_post(
        "/sandbox/v1/accounts/{email}/trading-status", guarded(a.post_trading_status)
    )
    app.router.add_post("/sandbox/v1/accounts/{email}/fees", guarded(a.post_fees))
    app.router.add_post("/sandbox/v1/accounts/{email}/custody", guarded(a.post_custody))
    app.router.add_post("/sandbox/v1/accounts/{email}/credit-line", guarded(a.post_credit_line))
    app.router.add_get("/sandbox/", guarded(a.page))
    app.router.add_post("/sandbox/", guarded(a.page_post))
