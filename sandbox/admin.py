"""The sandbox's own admin API under /sandbox/v1 (not Binance's), loopback peers only.

Creates accounts and keys, credits deposits, shows accounts, and exposes the `clock` and
`faults` objects that later fault-injection and clock-control endpoints will drive. A small
HTML page at /sandbox/ lets a person create a funded account and copy its key pair.

Faults: `GET /sandbox/v1/faults` shows them, `DELETE` clears them all, `POST` sets the keys it
names (all or nothing: any bad entry answers 400 {"error": ...} and changes nothing; a key set
to null clears that fault; count 0 clears it too):

    {"transfer": {"mode": "execute_then_500" | "execute_then_timeout" | "unavailable_503",
                  "count": 1, "holdSeconds": 30,         # POST /sapi/v3/sub-account/transfer
                  "probability": 1},
     "order": {... same as transfer ...},                # POST /api/v3/order
     "cancel": {...},                                    # DELETE /api/v3/order, /openOrders
     "cancelReplace": {...}, "oco": {...},               # POST /api/v3/order/cancelReplace, /oco
     "historyLagSeconds": 0,                             # transfer-history visibility lag
     "orderVisibility": {"lagSeconds": 2, "count": 5},   # see below
     "clockSkewMs": -3000,                               # exchange clock vs the host's
     "depthGap": {"symbol": "BTCUSD", "count": 1},
     "streamDelayMs": {"symbol": "BTCUSD", "ms": 300, "count": 10},
     "streamDuplicate": {"symbol": "BTCUSD", "count": 1}}

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
  Stream-fault counts go down once per event sent to at least one subscriber. GET shows
  the stream faults only while set, in the shape they were posted.

Filters: `GET /sandbox/v1/filters` -> {"symbols": {symbol: [filter, ...]}, "exchange": [...]}
(exactly what exchangeInfo advertises and orders are checked against); `POST` changes fields
or removes filters, all or nothing: {"BTCUSD": {"MAX_NUM_ORDERS": {"limit": 3},
"PERCENT_PRICE_BY_SIDE": null}, "exchange": {"EXCHANGE_MAX_NUM_ORDERS": {"maxNumOrders": 5}}};
`DELETE` restores the defaults.

Fees: `POST /sandbox/v1/accounts/{email}/fees` {"maker": "0.001", "taker": "0.002",
"symbols": {"BTCUSD": {"maker": "0", "taker": "0.004"} | null}}.

Clock: `POST /sandbox/v1/clock` {"offsetMs": N} | {"serverTime": T} | {"advanceMs": N}.

Limits: `GET/POST/DELETE /sandbox/v1/limits` (see post_limits).

`POST /sandbox/v1/streams/drop` {"symbol"?: "BTCUSD"} cuts (no close handshake) every
WebSocket connection on a market stream, plus those with no subscription yet; with a symbol,
only the connections subscribed to one of that symbol's streams. User-data-only connections
stay. Answers {"dropped": n}.
"""

from __future__ import annotations

import html
import ipaddress
from collections.abc import Awaitable, Callable
from decimal import Decimal

import orjson
from aiohttp import web

from . import creditline, custody
from .accounts import Account, ApiKey
from .decimals import fmt8
from .state import Exchange, parse_amount, parse_balances
from .subaccounts import record_deposit
from .symbols import FILTERS, SYMBOLS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_SKEW_MS = 86_400_000


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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
        doc = await _body(request)
        return _json(
            self.create(
                _email(doc), doc.get("balances"), doc.get("master"), doc.get("enabled", True)
            )
        )

    async def post_key(self, request: web.Request) -> web.Response:
        doc = await _body(request)
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
        return _json(
            {
                "email": acct.email,
                "type": key.key_type,
                "apiKey": key.api_key,
                "secretKey": key.secret,
                "permissions": _key_permissions(key),
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
        record_deposit(self.ex, acct, asset, amount)
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
        doc = await _body(request)
        msg, enabled = doc.get("msg", acct.status_msg), doc.get("enabled", acct.sub_enabled)
        if not isinstance(msg, str) or not msg or len(msg) > 100:
            raise AdminError(400, "msg must be a short string such as Normal or Disabled")
        if not isinstance(enabled, bool):
            raise AdminError(400, "enabled must be true or false")
        acct.status_msg, acct.sub_enabled = msg, enabled
        return _json({"email": acct.email, "msg": acct.status_msg, "enabled": acct.sub_enabled})

    async def post_trading_status(self, request: web.Request) -> web.Response:
        """Fields of GET /sapi/v3/apiTradingStatus "status": isLocked, plannedRecoverTime,
        triggerCondition, indicators (the ones sent replace the current ones)."""
        acct = self.account(request.match_info["email"])
        doc = await _body(request)
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
        return _json({"email": acct.email, "status": acct.trading_status})

    async def post_fees(self, request: web.Request) -> web.Response:
        """{"maker": "0.001", "taker": "0.002", "symbols": {"BTCUSD": {"maker": .., "taker":
        ..} | null}}: account-wide rates and per-symbol overrides (null drops one); the ones
        sent replace the current ones. Charged on trades and shown by GET /api/v3/account
        (account-wide) and GET /sapi/v1/asset/query/trading-fee (per symbol)."""
        acct = self.account(request.match_info["email"])
        doc = await _body(request)
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
        return _json(_fees(acct))

    async def post_custody(self, request: web.Request) -> web.Response:
        """Set up / update the account's Custodial Solution state (see custody.configure)."""
        acct = self.account(request.match_info["email"])
        doc = await _body(request)
        try:
            state = custody.configure(acct, doc, self.ex.clock.now_ms())
        except (ValueError, TypeError) as exc:
            raise AdminError(400, str(exc)) from None
        return _json({"email": acct.email, **custody.describe(state)})

    async def post_credit_line(self, request: web.Request) -> web.Response:
        """Set up / update the account's credit line (see creditline.configure)."""
        acct = self.account(request.match_info["email"])
        doc = await _body(request)
        try:
            line = creditline.configure(self.ex, acct, doc)
        except (ValueError, TypeError) as exc:
            raise AdminError(400, str(exc)) from None
        return _json(creditline.describe(acct, line))

    async def get_limits(self, request: web.Request) -> web.Response:
        return _json(self.ex.limits.limits.to_dict())

    async def post_limits(self, request: web.Request) -> web.Response:
        """{"enforce": bool, "weightPerMinute": n, "ordersPer10s": n, "ordersPerDay": n,
        "banAfter": n, "firstBanSeconds": s}: the ones sent replace the current ones."""
        doc = await _body(request)
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
        return _json(limits.to_dict())

    async def delete_limits(self, request: web.Request) -> web.Response:
        """Forget weight/order counts, 429 windows and bans (the settings stay)."""
        self.ex.limits.reset()
        return _json(self.ex.limits.limits.to_dict())

    async def get_filters(self, request: web.Request) -> web.Response:
        return _json(FILTERS.to_dict())

    async def post_filters(self, request: web.Request) -> web.Response:
        """{"BTCUSD": {"MAX_NUM_ORDERS": {"limit": 3}, "PERCENT_PRICE_BY_SIDE": null},
        "exchange": {"EXCHANGE_MAX_NUM_ORDERS": {"maxNumOrders": 5}}}: see FilterTable.update."""
        try:
            FILTERS.update(await _body(request))
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return _json(FILTERS.to_dict())

    async def delete_filters(self, request: web.Request) -> web.Response:
        FILTERS.reset()
        return _json(FILTERS.to_dict())

    async def get_requests(self, request: web.Request) -> web.Response:
        return _json(self.ex.requests.to_dict())

    async def delete_requests(self, request: web.Request) -> web.Response:
        self.ex.requests.reset()
        return _json(self.ex.requests.to_dict())

    async def get_faults(self, request: web.Request) -> web.Response:
        return _json(self._faults())

    def _faults(self) -> dict:
        doc = self.ex.faults.to_dict()
        if self.ex.clock.offset_ms:
            doc["clockSkewMs"] = self.ex.clock.offset_ms
        return doc

    async def post_faults(self, request: web.Request) -> web.Response:
        """The module docstring's fault keys, plus "clockSkewMs": N (the exchange clock N ms
        off the host's, as POST /clock {"offsetMs": N})."""
        doc = await _body(request)
        skew = doc.pop("clockSkewMs", None)
        if skew is not None and (not _is_int(skew) or abs(skew) > MAX_SKEW_MS):
            raise AdminError(400, f"clockSkewMs must be an integer within ±{MAX_SKEW_MS}")
        try:
            self.ex.faults.update(doc)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        if skew is not None:
            self.ex.clock.offset_ms = skew
        return _json(self._faults())

    async def post_streams_drop(self, request: web.Request) -> web.Response:
        """{"symbol"?: "BTCUSD"} -> {"dropped": n}; see the module docstring."""
        raw = await request.read()
        doc = await _body(request) if raw.strip() else {}
        symbol = doc.get("symbol")
        if symbol is not None and symbol not in self.ex.engine.books:
            raise AdminError(400, f"unknown symbol {symbol!r}")
        if not set(doc) <= {"symbol"}:
            raise AdminError(400, "the body takes only symbol")
        return _json({"dropped": self.ex.hub.drop_market(symbol)})

    async def delete_faults(self, request: web.Request) -> web.Response:
        """Clear every fault, clock skew included."""
        self.ex.faults.clear()
        self.ex.clock.offset_ms = 0
        return _json(self._faults())

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
        """Skew the exchange clock: {"offsetMs": N}, {"serverTime": T} (0 offset = host) or
        {"advanceMs": N} (jump N ms from where it is). Everything runs on this clock:
        recvWindow checks, listenKey expiry, rate-limit windows, bans, history lags."""
        doc = await _body(request)
        clock = self.ex.clock
        offset, server_time, advance = (
            doc.get("offsetMs"),
            doc.get("serverTime"),
            doc.get("advanceMs"),
        )
        if _is_int(server_time):
            offset = server_time - (clock.now_ms() - clock.offset_ms)
        elif _is_int(advance):
            offset = clock.offset_ms + advance
        if not _is_int(offset):
            raise AdminError(400, "send an integer offsetMs, serverTime or advanceMs")
        clock.offset_ms = offset
        return _json(clock.to_dict())

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
    app.router.add_post("/sandbox/v1/accounts/{email}/status", guarded(a.post_status))
    app.router.add_post(
        "/sandbox/v1/accounts/{email}/trading-status", guarded(a.post_trading_status)
    )
    app.router.add_post("/sandbox/v1/accounts/{email}/fees", guarded(a.post_fees))
    app.router.add_post("/sandbox/v1/accounts/{email}/custody", guarded(a.post_custody))
    app.router.add_post("/sandbox/v1/accounts/{email}/credit-line", guarded(a.post_credit_line))
    app.router.add_get("/sandbox/v1/limits", guarded(a.get_limits))
    app.router.add_post("/sandbox/v1/limits", guarded(a.post_limits))
    app.router.add_delete("/sandbox/v1/limits", guarded(a.delete_limits))
    app.router.add_get("/sandbox/v1/filters", guarded(a.get_filters))
    app.router.add_post("/sandbox/v1/filters", guarded(a.post_filters))
    app.router.add_delete("/sandbox/v1/filters", guarded(a.delete_filters))
    app.router.add_get("/sandbox/v1/requests", guarded(a.get_requests))
    app.router.add_delete("/sandbox/v1/requests", guarded(a.delete_requests))
    app.router.add_get("/sandbox/v1/faults", guarded(a.get_faults))
    app.router.add_post("/sandbox/v1/faults", guarded(a.post_faults))
    app.router.add_delete("/sandbox/v1/faults", guarded(a.delete_faults))
    app.router.add_post("/sandbox/v1/streams/drop", guarded(a.post_streams_drop))
    app.router.add_get("/sandbox/", guarded(a.page))
    app.router.add_post("/sandbox/", guarded(a.page_post))
