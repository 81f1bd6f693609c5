"""The sandbox's own admin API under /sandbox/v1 (not Binance's), loopback peers only.

Creates accounts and keys, credits deposits, shows accounts, and exposes the `clock` and
`faults` objects that later fault-injection and clock-control endpoints will drive. A small
HTML page at /sandbox/ lets a person create a funded account and copy its key pair.
"""

from __future__ import annotations

import html
import ipaddress
from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web

from .accounts import Account
from .decimals import fmt8
from .state import Exchange, parse_amount, parse_balances

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(doc: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(doc), status=status, content_type="application/json")


def is_loopback(remote: str | None) -> bool:
    try:
        addr = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)
    return addr.is_loopback or (mapped is not None and mapped.is_loopback)


def guarded(fn: Handler) -> Handler:
    """Loopback only; AdminError -> {"error": ...} with its status."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        if not is_loopback(request.remote):
            return _json({"error": "the admin API is only served to loopback clients"}, 403)
        try:
            return await fn(request)
        except AdminError as exc:
            return _json({"error": exc.message}, exc.status)

    return wrapper


async def _body(request: web.Request) -> dict:
    try:
        doc = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise AdminError(400, "body must be a JSON object") from None
    if not isinstance(doc, dict):
        raise AdminError(400, "body must be a JSON object")
    return doc


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


class Admin:
    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    def account(self, email: str) -> Account:
        acct = self.ex.registry.by_email.get(email)
        if acct is None or acct.internal:
            raise AdminError(404, f"no account {email}")
        return acct

    def create(self, email: str, balances: object) -> dict:
        try:
            amounts = parse_balances(balances)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        if email in self.ex.registry.by_email:
            raise AdminError(409, f"account {email} already exists")
        acct = self.ex.registry.create_account(email, amounts)
        acct.update_time = self.ex.clock.now_ms()
        key = self.ex.registry.add_key(acct, "exchange")
        return {
            "email": email,
            "accountId": acct.account_id,
            "apiKey": key.api_key,
            "secretKey": key.secret,
        }

    async def post_account(self, request: web.Request) -> web.Response:
        doc = await _body(request)
        return _json(self.create(_email(doc), doc.get("balances")))

    async def post_key(self, request: web.Request) -> web.Response:
        doc = await _body(request)
        acct = self.account(_email(doc))
        try:
            key = self.ex.registry.add_key(
                acct, doc.get("type", "exchange"), doc.get("apiKey"), doc.get("secretKey")
            )
        except (ValueError, TypeError) as exc:
            raise AdminError(400, str(exc)) from None
        except KeyError:
            raise AdminError(409, "apiKey already exists") from None
        return _json(
            {
                "email": acct.email,
                "type": key.key_type,
                "apiKey": key.api_key,
                "secretKey": key.secret,
            }
        )

    async def post_deposit(self, request: web.Request) -> web.Response:
        doc = await _body(request)
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
        return _json(
            {
                "email": acct.email,
                "asset": asset,
                "amount": fmt8(amount),
                "free": fmt8(acct.bal(asset).free),
            }
        )

    async def get_account(self, request: web.Request) -> web.Response:
        acct = self.account(request.match_info["email"])
        return _json(
            {
                "email": acct.email,
                "accountId": acct.account_id,
                "balances": {
                    a: {"free": fmt8(b.free), "locked": fmt8(b.locked)}
                    for a, b in sorted(acct.balances.items())
                },
                "keys": [{"type": k.key_type, "apiKey": k.api_key} for k in acct.keys],
            }
        )

    async def get_state(self, request: web.Request) -> web.Response:
        """Clock and faults as they are now (later issues add the endpoints that set them)."""
        return _json(
            {
                "clock": self.ex.clock.to_dict(),
                "faults": self.ex.faults.to_dict(),
                "seed": self.ex.seed,
            }
        )

    async def post_clock(self, request: web.Request) -> web.Response:
        """Skew the exchange clock: {"offsetMs": N} or {"serverTime": T} (0 offset = host)."""
        doc = await _body(request)
        offset, server_time = doc.get("offsetMs"), doc.get("serverTime")
        if isinstance(server_time, int) and not isinstance(server_time, bool):
            offset = server_time - (self.ex.clock.now_ms() - self.ex.clock.offset_ms)
        if not isinstance(offset, int) or isinstance(offset, bool):
            raise AdminError(400, "send an integer offsetMs or serverTime")
        self.ex.clock.offset_ms = offset
        return _json(self.ex.clock.to_dict())

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
    app.router.add_post("/sandbox/v1/accounts", guarded(a.post_account))
    app.router.add_get("/sandbox/v1/accounts/{email}", guarded(a.get_account))
    app.router.add_post("/sandbox/v1/keys", guarded(a.post_key))
    app.router.add_post("/sandbox/v1/deposit", guarded(a.post_deposit))
    app.router.add_get("/sandbox/v1/state", guarded(a.get_state))
    app.router.add_post("/sandbox/v1/clock", guarded(a.post_clock))
    app.router.add_get("/sandbox/", guarded(a.page))
    app.router.add_post("/sandbox/", guarded(a.page_post))
