"""Sub-accounts (spec "Sub-account Data") and the sub-account wallet endpoints.

A master and its sub-accounts are linked by email (admin `POST /sandbox/v1/accounts` with
"master"). A key may manage its own account's family: the account and its sub-accounts. A
transfer moves a balance between the master and one of its sub-accounts atomically.

History endpoints honour the admin-set "Data Source: Database" lag (`Faults.history_lag_ms`):
a transfer shows up only that long after it executed (sandbox clock).

Where the spec names no error for a case the closest general code is used:
  unknown email / not the caller's sub-account / same account  -> -1130 on that parameter
  amount <= 0                                                  -> -1130 'amount'
  more than the sender's free balance                          -> -2010 insufficient balance
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import errors
from .accounts import Account
from .ctx import Ctx, in_window, page_of, positive_amount
from .decimals import ZERO, fmt8, q8
from .routes import route
from .state import Exchange
from .symbols import SYMBOLS
from .wallet import address_doc
from .wallet_catalog import address_for, tx_id


@dataclass(frozen=True, slots=True)
class SubTransfer:
    txn_id: str
    from_email: str
    to_email: str
    asset: str
    qty: Decimal
    time: int


def num(value: Decimal) -> int | float:
    """A JSON number as in the examples that show numbers (`"free": 98`, `"totalAsset": 201`)."""
    value = q8(value)
    return int(value) if value == value.to_integral_value() else float(value)


# ---- valuation -------------------------------------------------------------------------------


def usd_price(ex: Exchange, asset: str) -> Decimal:
    """An asset's USD value at the book's current mid (USD = 1, USDT = 1: no USDTUSD book)."""
    if asset in ("USD", "USDT"):
        return Decimal(1)
    for quote in ("USD", "USDT"):
        spec = SYMBOLS.get(asset + quote)
        if spec is not None:
            return mid(ex, spec.symbol, spec.start_mid)
    return ZERO


def mid(ex: Exchange, symbol: str, fallback: Decimal) -> Decimal:
    book = ex.engine.books[symbol]
    bid, ask = book.bids.best(), book.asks.best()
    if bid is not None and ask is not None:
        return (bid + ask) / 2
    last = ex.engine.last_price(symbol)
    return last if last is not None else fallback


def usd_value(ex: Exchange, acct: Account) -> Decimal:
    total = ZERO
    for asset, b in acct.balances.items():
        amount = b.free + b.locked
        if amount:
            total += amount * usd_price(ex, asset)
    return q8(total)


# ---- lookups ---------------------------------------------------------------------------------


def sub_of(ctx: Ctx, name: str, *, required: bool = True) -> Account | None:
    """The caller's sub-account named by parameter `name` (-1130 if not one of them)."""
    email = ctx.params.get(name, required=required)
    if email is None:
        return None
    acct = ctx.ex.registry.by_email.get(email)
    if acct is None or acct.master is not ctx.account:
        raise errors.invalid_param(name)
    return acct


def visible_transfers(ctx: Ctx) -> list[SubTransfer]:
    """Transfers touching the caller's family that the history lag lets through."""
    family = {a.email for a in ctx.account.family()}
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms
    return [
        t
        for t in ctx.ex.sub_transfers
        if t.time <= cutoff and (t.from_email in family or t.to_email in family)
    ]


# ---- endpoints -------------------------------------------------------------------------------


@route("GET", "/sapi/v3/sub-account/list")
def sub_list(ctx: Ctx) -> object:
    p = ctx.params
    status = p.enum("status", ("enabled", "disabled"))
    email = p.get("email")
    limit = p.limit("limit", 500, 500)
    rows = [
        s
        for s in ctx.account.subs
        if (email is None or s.email == email) and (status is None or _status(s) == status)
    ]
    return {
        "success": True,
        "subAccounts": [
            {
                "email": s.email,
                "status": _status(s),
                "activated": True,
                "mobile": "",
                "gAuth": True,
                "createTime": s.create_time,
            }
            for s in page_of(rows, p.integer("page"), limit)
        ],
    }


def _status(acct: Account) -> str:
    return "enabled" if acct.sub_enabled else "disabled"


@route("GET", "/sapi/v3/sub-account/transfer/history")
def transfer_history(ctx: Ctx) -> object:
    p = ctx.params
    email = p.get("email")
    start, end = p.integer("startTime"), p.integer("endTime")
    limit = p.limit("limit", 500, 500)
    rows = [
        t
        for t in visible_transfers(ctx)
        if (email is None or email in (t.from_email, t.to_email)) and in_window(t.time, start, end)
    ]
    return {
        "msg": "Success",
        "success": True,
        "transfers": [
            {
                "asset": t.asset,
                "from": t.from_email,
                "qty": plain(t.qty),
                # The example shows 1637789299; the spec says all times are milliseconds.
                "time": t.time,
                "to": t.to_email,
            }
            for t in page_of(rows, p.integer("page"), limit)
        ],
    }


def plain(value: Decimal) -> str:
    """ "10", "0.5": the example's unpadded quantity."""
    text = fmt8(value).rstrip("0").rstrip(".")
    return text or "0"


@route("POST", "/sapi/v3/sub-account/transfer")
def transfer(ctx: Ctx) -> object:
    p = ctx.params
    master = ctx.account
    family = {a.email: a for a in master.family()}
    src = family.get(p.req("fromEmail"))
    if src is None:
        raise errors.invalid_param("fromEmail")
    dst = family.get(p.req("toEmail"))
    # "between the master account and a sub-account": exactly one side is the caller.
    if dst is None or dst is src or master not in (src, dst):
        raise errors.invalid_param("toEmail")
    asset = p.req("asset")
    if not asset.isalnum() or not asset.isupper():
        raise errors.invalid_param("asset")
    amount = positive_amount(p, "amount")
    if src.bal(asset).free < amount:
        raise errors.insufficient_balance()
    return {"msg": "Success", "success": True, "txnId": execute(ctx.ex, src, dst, asset, amount)}


def execute(ex: Exchange, src: Account, dst: Account, asset: str, amount: Decimal) -> str:
    """Move `amount` of `asset` (checked by the caller) and tell both user data streams."""
    now = ex.clock.now_ms()
    src.bal(asset).free -= amount
    dst.bal(asset).free += amount
    src.update_time = dst.update_time = now
    ex.next_txn += 1
    txn = str(ex.next_txn)
    ex.sub_transfers.append(SubTransfer(txn, src.email, dst.email, asset, amount, now))
    ex.hub.on_deposit(src, asset, -amount)
    ex.hub.on_deposit(dst, asset, amount)
    return txn


@route("GET", "/sapi/v3/sub-account/assets")
def sub_assets(ctx: Ctx) -> object:
    sub = sub_of(ctx, "email")
    assert sub is not None
    return {
        "balances": [
            {"asset": a, "free": num(b.free), "locked": num(b.locked)}
            for a, b in sorted(sub.balances.items())
        ],
        "success": True,
    }


@route("GET", "/sapi/v1/sub-account/spotSummary")
def spot_summary(ctx: Ctx) -> object:
    """The master's total USD value: its own assets plus every sub-account's (matches the
    example, where masterAccountTotalAsset 401 = 201 + 200 with an empty master), and one
    row per (filtered, paged) sub-account."""
    p = ctx.params
    master = ctx.account
    email = p.get("email")
    size = p.limit("size", 10, 20)
    subs = [s for s in master.subs if email is None or s.email == email]
    total = usd_value(ctx.ex, master) + sum((usd_value(ctx.ex, s) for s in master.subs), start=ZERO)
    return {
        "totalCount": len(subs),
        "masterAccountTotalAsset": num(total),
        "spotSubUserAssetBtcVoList": [
            {"email": s.email, "totalAsset": num(usd_value(ctx.ex, s))}
            for s in page_of(subs, p.integer("page"), size)
        ],
    }


@route("GET", "/sapi/v1/sub-account/status")
def sub_status(ctx: Ctx) -> object:
    sub = sub_of(ctx, "email")
    assert sub is not None
    return [
        {
            "email": sub.email,
            "insertTime": sub.create_time,
            "mobile": "",
            "isUserActive": sub.sub_enabled,
            "isMarginEnabled": False,
            "isSubUserEnabled": sub.sub_enabled,
            "isFutureEnabled": False,
        }
    ]


# ---- sub-account wallet ----------------------------------------------------------------------
# On the wallet catalogue (wallet_catalog.py): the same addresses the sub-account itself gets
# from GET /sapi/v1/capital/deposit/address, and the same deposit rows (wallet_book.py).


@route("GET", "/sapi/v1/capital/sub-account/deposit/address")
def sub_deposit_address(ctx: Ctx) -> object:
    sub = sub_of(ctx, "email")
    assert sub is not None
    return address_doc(ctx, sub.email)


@route("GET", "/sapi/v1/capital/sub-account/deposit/history")
def sub_deposit_history(ctx: Ctx) -> object:
    p = ctx.params
    sub = sub_of(ctx, "email")
    assert sub is not None
    coin, status = p.get("coin"), p.integer("status")
    start, end = p.integer("startTime"), p.integer("endTime")
    offset = p.integer("offset") or 0
    if offset < 0:
        raise errors.invalid_param("offset")
    limit = p.limit("limit", 1000, 1000)
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms
    rows = [
        dict(d)
        for d in reversed(sub.deposits)  # newest first, as the account's own history
        if d["insertTime"] <= cutoff
        and (coin is None or d["coin"] == coin)
        and (status is None or d["status"] == status)
        and in_window(d["insertTime"], start, end)
    ]
    return rows[offset : offset + limit]


def record_deposit(ex: Exchange, acct: Account, coin: str, amount: Decimal) -> None:
    """Remember an admin-credited crypto deposit (POST /sandbox/v1/deposit, credited at once)
    for the deposit-history endpoints, on the coin's default network."""
    entry = ex.wallet.coins.get(coin)
    net = entry.default_network() if entry is not None else None
    if entry is None or net is None:  # fiat (USD) or unknown: not a crypto deposit
        return
    now = ex.clock.now_ms()
    address, tag = address_for(acct.email, coin, net)
    seed = f"{acct.email}:{coin}:{now}:{len(acct.deposits)}"
    acct.deposits.append(
        {
            "amount": plain(amount),
            "coin": coin,
            "network": net.network,
            "status": 1,
            "address": address,
            "addressTag": tag,
            "txId": tx_id(seed, net),
            "insertTime": now,
            "transferType": 0,
            "confirmTimes": f"{net.unlock_confirm}/{net.unlock_confirm}",
        }
    )
