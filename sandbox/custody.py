"""Custodial Solution (spec "Custodial Solution Endpoints"), for custodial keys only.

An account set up for custody (admin `POST /sandbox/v1/accounts/<email>/custody`) has a
custodial partner ("rail"), a Binance.US custodial sub-account balance, the partner's own
custody balance (source of custodianTransfer), supported-asset lists and settlement state.
The exchange wallet is the account's ordinary balance.

Where the spec names no error: a rail other than the account's partner, or an account without
custody, is -1130 'rail'; an asset not transfer-eligible -1130 'asset'; a reused clientOrderId
-1130 'clientOrderId'; an unknown or already undone originTransferId -1130 'originTransferId';
not enough to move -2010 insufficient balance. Histories are newest first (as the spec's
settlementHistory example) and honour the admin-set history lag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from . import errors
from .accounts import Account, Balance
from .ctx import Ctx, in_window, page_of, positive_amount
from .decimals import ZERO
from .routes import route
from .state import parse_balances
from .subaccounts import num, plain

NINETY_DAYS_MS = 90 * 86_400_000


@dataclass(slots=True)
class CustodyTransfer:
    transfer_id: str
    client_order_id: str
    asset: str
    amount: Decimal
    status: str
    create_time: int
    update_time: int
    express: bool = False
    undone: bool = False


@dataclass(slots=True)
class Custody:
    rail: str
    balances: dict[str, Balance] = field(default_factory=dict)
    in_settlement: dict[str, Decimal] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    partner: dict[str, Decimal] = field(default_factory=dict)
    transfer_eligible: list[str] = field(default_factory=lambda: ["BTC", "ETH", "USDT"])
    settlement_eligible: list[str] = field(default_factory=lambda: ["BTC", "ETH", "USDT"])
    settlement_setting: dict = field(
        default_factory=lambda: {
            "settlementActive": True,
            "frequencyInHours": 24,
            "nextTriggerTime": 0,
        }
    )
    settlements: list[dict] = field(default_factory=list)
    wallet_transfers: list[CustodyTransfer] = field(default_factory=list)
    custodian_transfers: list[CustodyTransfer] = field(default_factory=list)

    def bal(self, asset: str) -> Balance:
        b = self.balances.get(asset)
        if b is None:
            b = self.balances[asset] = Balance()
        return b


NETWORK = {"BTC": "BTC", "ETH": "ETH", "SOL": "SOL", "USDT": "ETH", "USD": "USD"}


def custody_of(ctx: Ctx) -> Custody:
    custody = ctx.account.custody
    rail = ctx.params.req("rail")
    if not isinstance(custody, Custody) or custody.rail != rail:
        raise errors.invalid_param("rail")
    return custody


def _next_id(ctx: Ctx) -> str:
    ctx.ex.next_custody_id += 1
    return str(ctx.ex.next_custody_id)


def _client_id(ctx: Ctx, transfers: list[CustodyTransfer]) -> str:
    client_id = ctx.params.get("clientOrderId")
    if client_id is None:
        return str(ctx.now())
    if any(t.client_order_id == client_id for t in transfers):
        raise errors.invalid_param("clientOrderId")
    return client_id


def _eligible_asset(ctx: Ctx, custody: Custody) -> str:
    asset = ctx.params.req("asset")
    if asset not in custody.transfer_eligible:
        raise errors.invalid_param("asset")
    return asset


# ---- endpoints -------------------------------------------------------------------------------


@route("GET", "/sapi/v1/custodian/balance")
def balance(ctx: Ctx) -> object:
    custody = custody_of(ctx)
    acct = ctx.account
    custodial = []
    for asset, b in sorted(custody.balances.items()):
        row = {"asset": asset, "free": plain(b.free), "locked": plain(b.locked)}
        settling = custody.in_settlement.get(asset, ZERO)
        if settling:
            row["inSettlement"] = plain(settling)
        row["lastUpdatedTime"] = custody.updated.get(asset, acct.update_time)
        custodial.append(row)
    return {
        "exchangeWalletBalance": [
            {
                "asset": asset,
                "free": plain(b.free),
                "locked": plain(b.locked),
                "lastUpdatedTime": acct.update_time,
            }
            for asset, b in sorted(acct.balances.items())
            if b.free or b.locked
        ],
        "custodialAcctBalance": custodial,
    }


@route("GET", "/sapi/v1/custodian/supportedAssetList")
def supported_assets(ctx: Ctx) -> object:
    custody = custody_of(ctx)

    def rows(assets: list[str]) -> list[dict]:
        return [{"asset": a, "precision": 8, "network": [NETWORK.get(a, a)]} for a in assets]

    return {
        "transferEligible": rows(custody.transfer_eligible),
        "settlementEligible": rows(custody.settlement_eligible),
    }


def _inbound(
    ctx: Ctx, ledger: Callable[[Custody], list[CustodyTransfer]]
) -> tuple[Custody, str, Decimal, str]:
    """The checked (custody, asset, amount, clientOrderId) of a transfer into custody; the
    client id must be new in the custody's `ledger`."""
    custody = custody_of(ctx)
    asset = _eligible_asset(ctx, custody)
    amount = positive_amount(ctx.params, "amount")
    return custody, asset, amount, _client_id(ctx, ledger(custody))


def _record(
    ctx: Ctx, ledger: list[CustodyTransfer], client_id: str, asset: str, amount: Decimal, now: int
) -> CustodyTransfer:
    t = CustodyTransfer(_next_id(ctx), client_id, asset, amount, "SUCCESS", now, now)
    ledger.append(t)
    return t


@route("POST", "/sapi/v1/custodian/walletTransfer")
def wallet_transfer(ctx: Ctx) -> object:
    """Exchange wallet -> custodial sub-account."""
    custody, asset, amount, client_id = _inbound(ctx, lambda c: c.wallet_transfers)
    acct = ctx.account
    if acct.bal(asset).free < amount:
        raise errors.insufficient_balance()
    now = ctx.now()
    acct.bal(asset).free -= amount
    custody.bal(asset).free += amount
    acct.update_time = custody.updated[asset] = now
    t = _record(ctx, custody.wallet_transfers, client_id, asset, amount, now)
    ctx.ex.hub.on_deposit(acct, asset, -amount)
    return {
        "asset": asset,
        "amount": num(amount),
        "clientOrderId": client_id,
        "transferId": t.transfer_id,
        "status": t.status,
        "createTime": now,
    }


@route("POST", "/sapi/v1/custodian/custodianTransfer")
def custodian_transfer(ctx: Ctx) -> object:
    """Custodial partner account -> custodial sub-account."""
    custody, asset, amount, client_id = _inbound(ctx, lambda c: c.custodian_transfers)
    if custody.partner.get(asset, ZERO) < amount:
        raise errors.insufficient_balance()
    now = ctx.now()
    custody.partner[asset] -= amount
    custody.bal(asset).free += amount
    custody.updated[asset] = now
    t = _record(ctx, custody.custodian_transfers, client_id, asset, amount, now)
    return {
        "asset": asset,
        "amount": num(amount),
        "clientOrderId": client_id,
        "transferId": t.transfer_id,
        "custodyAccountId": f"{custody.rail}-{ctx.account.account_id}",
        "custodyAccountName": f"{custody.rail} custody account",
        # Verbatim from the spec's example, trailing space included.
        "status": "Transfer request received ",
        "createTime": now,
    }


@route("POST", "/sapi/v1/custodian/undoTransfer")
def undo_transfer(ctx: Ctx) -> object:
    """Reverse a walletTransfer: custodial sub-account -> exchange wallet."""
    custody = custody_of(ctx)
    origin = ctx.params.req("originTransferId")
    t = next((w for w in custody.wallet_transfers if w.transfer_id == origin), None)
    if t is None or t.undone:
        raise errors.invalid_param("originTransferId")
    if custody.bal(t.asset).free < t.amount:
        raise errors.insufficient_balance()
    now = ctx.now()
    acct = ctx.account
    custody.bal(t.asset).free -= t.amount
    acct.bal(t.asset).free += t.amount
    acct.update_time = custody.updated[t.asset] = t.update_time = now
    t.undone = True
    ctx.ex.hub.on_deposit(acct, t.asset, t.amount)
    return {"transferId": t.transfer_id, "asset": t.asset, "amount": num(t.amount)}


def _history(ctx: Ctx, transfers: list[CustodyTransfer], express: bool | None) -> dict:
    p = ctx.params
    now = ctx.now()
    start = p.integer("startTime")
    end = p.integer("endTime")
    start = now - NINETY_DAYS_MS if start is None else start
    end = now if end is None else end
    limit = p.limit("limit", 20, 100)
    transfer_id, client_id, asset = p.get("transferId"), p.get("clientOrderId"), p.get("asset")
    cutoff = now - ctx.ex.faults.history_lag_ms
    rows = [
        t
        for t in reversed(transfers)
        if t.create_time <= cutoff
        and in_window(t.create_time, start, end)
        and (transfer_id is None or t.transfer_id == transfer_id)
        and (client_id is None or t.client_order_id == client_id)
        and (asset is None or t.asset == asset)
        and (express is None or t.express == express)
    ]
    data = []
    for t in page_of(rows, p.integer("page"), limit):
        row: dict = {
            "transferId": t.transfer_id,
            "clientOrderId": t.client_order_id,
            "asset": t.asset,
            "amount": num(t.amount),
            "status": t.status,
        }
        if express is not None:
            row["expressTrade"] = t.express
        row["createTime"] = t.create_time
        row["updateTime"] = t.update_time
        data.append(row)
    return {"data": data, "total": len(rows)}


@route("GET", "/sapi/v1/custodian/walletTransferHistory")
def wallet_transfer_history(ctx: Ctx) -> object:
    return _history(ctx, custody_of(ctx).wallet_transfers, None)


@route("GET", "/sapi/v1/custodian/custodianTransferHistory")
def custodian_transfer_history(ctx: Ctx) -> object:
    custody = custody_of(ctx)
    raw = ctx.params.enum("expressTradeTransfer", ("true", "false", "TRUE", "FALSE"))
    express = raw is not None and raw.lower() == "true"
    return _history(ctx, custody.custodian_transfers, express)


@route("GET", "/sapi/v1/custodian/settlementSetting")
def settlement_setting(ctx: Ctx) -> object:
    s = custody_of(ctx).settlement_setting
    return {
        "settlementActive": s["settlementActive"],
        "frequencyInHours": s["frequencyInHours"],
        "nextTriggerTime": s["nextTriggerTime"],
    }


@route("GET", "/sapi/v1/custodian/settlementHistory")
def settlement_history(ctx: Ctx) -> object:
    custody = custody_of(ctx)
    p = ctx.params
    start, end = p.integer("startTime"), p.integer("endTime")
    limit = p.limit("limit", 5, 100)
    rows = sorted(
        (r for r in custody.settlements if in_window(r["triggerTime"], start, end)),
        key=lambda r: r["triggerTime"],
        reverse=True,
    )
    return {"records": page_of(rows, p.integer("page"), limit), "total": len(rows)}


def configure(acct: Account, doc: dict, now: int) -> Custody:
    """Admin: create/update an account's custody from a validated JSON document (see
    admin.post_custody); raises ValueError on bad input (nothing changed)."""
    known = {
        "rail",
        "balances",
        "inSettlement",
        "partnerBalances",
        "transferEligible",
        "settlementEligible",
        "settlementSetting",
        "settlementRecords",
    }
    unknown = set(doc) - known
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} (known: {', '.join(sorted(known))})")
    current = acct.custody if isinstance(acct.custody, Custody) else None
    rail = doc.get("rail", current.rail if current else None)
    if not isinstance(rail, str) or not rail.isalnum() or not rail.isupper():
        raise ValueError("rail must be the custodial partner's name in upper case")
    balances = parse_balances(doc.get("balances"))
    settling = parse_balances(doc.get("inSettlement"))
    partner = parse_balances(doc.get("partnerBalances"))
    lists = {}
    for name in ("transferEligible", "settlementEligible"):
        value = doc.get(name)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(a, str) for a in value)
        ):
            raise ValueError(f"{name} must be a list of asset names")
        lists[name] = value
    setting = doc.get("settlementSetting")
    if setting is not None and not (
        isinstance(setting, dict)
        and set(setting) <= {"settlementActive", "frequencyInHours", "nextTriggerTime"}
    ):
        raise ValueError(
            "settlementSetting takes settlementActive/frequencyInHours/nextTriggerTime"
        )
    records = doc.get("settlementRecords")
    if records is not None and not (
        isinstance(records, list)
        and all(isinstance(r, dict) and isinstance(r.get("triggerTime"), int) for r in records)
    ):
        raise ValueError("settlementRecords must be a list of records with an int triggerTime")

    custody = current if current is not None and current.rail == rail else Custody(rail)
    for asset, amount in balances.items():
        custody.bal(asset).free = amount
        custody.updated[asset] = now
    for asset, amount in settling.items():
        custody.in_settlement[asset] = amount
        custody.bal(asset)
        custody.updated.setdefault(asset, now)
    custody.partner.update(partner)
    if lists["transferEligible"] is not None:
        custody.transfer_eligible = list(lists["transferEligible"])
    if lists["settlementEligible"] is not None:
        custody.settlement_eligible = list(lists["settlementEligible"])
    if setting is not None:
        custody.settlement_setting.update(setting)
    if records is not None:
        custody.settlements = [
            {
                "status": r.get("status", "SUCCESS"),
                "triggerTime": r["triggerTime"],
                "settlementId": r.get("settlementId", f"{rail.lower()}{r['triggerTime']}"),
                "settlementAssets": r.get("settlementAssets", []),
            }
            for r in records
        ]
    acct.custody = custody
    return custody


def describe(custody: Custody) -> dict:
    return {
        "rail": custody.rail,
        "balances": {
            a: {"free": plain(b.free), "locked": plain(b.locked)}
            for a, b in sorted(custody.balances.items())
        },
        "inSettlement": {a: plain(v) for a, v in sorted(custody.in_settlement.items())},
        "partnerBalances": {a: plain(v) for a, v in sorted(custody.partner.items())},
        "transferEligible": custody.transfer_eligible,
        "settlementEligible": custody.settlement_eligible,
        "settlementSetting": custody.settlement_setting,
        "settlementRecords": custody.settlements,
    }
