"""Custodial Solution (spec "Custodial Solution Endpoints"), for custodial keys only.

An account set up for custody (admin `POST /sandbox/v1/accounts/<email>/custody`, see
`configure`) has a custodial partner ("rail"), a Binance.US custodial sub-account, the
partner's own custody balance (source of custodianTransfer and express trades), supported-asset
lists and settlement state. The exchange wallet is the account's ordinary balance. The
custodial sub-account is an `Account` of its own (`Custody.trader`, never listed, id the
owner's negated) so the matching engine trades it like any other: its balances are
`Custody.balances`. Trading: custody_orders.py; what the clock makes due (transfer processing,
settlement): custody_settlement.py.

Where the spec names no error: a rail other than the account's partner, or an account without
custody, is -1130 'rail'; an asset not transfer-eligible -1130 'asset'; a reused clientOrderId
-1130 'clientOrderId'; an unknown, unprocessed or already undone originTransferId -1130
'originTransferId'; not enough to move -2010 insufficient balance. Histories are newest first
(as the spec's settlementHistory example) and honour the admin-set history lag.

Choices where the spec is silent:
- walletTransfer answers SUCCESS (L7640) and moves the funds at once. custodianTransfer answers
  "Transfer request received " (L7751, trailing space included) and is listed as "PROCESS"
  until processed `processingDelayMs` later (sandbox clock): only then do both balances move
  (the partner's is checked at the request too, -2010 when short).
- undoTransfer reverses a processed custodianTransfer (not an express one): the custodial
  sub-account pays the amount back to the partner at once. It is listed in the custodian
  history as its own SUCCESS row (L8039 "Undo Transfer"; the row has no type field, so the
  undo's `clientOrderId` is "undo-<originTransferId>"), and answers that row's transferId.
- Changing the rail starts a new partner side (balances, transfers, settlements); the
  custodial sub-account (balances, orders) stays the account's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from . import errors
from .accounts import Account, Balance
from .ctx import Ctx, in_window, page_of, positive_amount
from .custody_settlement import (
    NETWORK,
    PROCESS,
    SUCCESS,
    catch_up,
    parse_records,
    parse_setting,
)
from .decimals import ZERO
from .params import Params
from .routes import route
from .state import parse_balances
from .subaccounts import num, plain
from .symbols import SYMBOLS

NINETY_DAYS_MS = 90 * 86_400_000
PROCESSING_MS = 5_000  # custodianTransfer and settlement processing, unless configured


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
    is_undo: bool = False


@dataclass(slots=True)
class Custody:
    rail: str
    trader: Account  # the custodial sub-account as the matching engine sees it
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
    processing_ms: int = PROCESSING_MS
    failing_assets: list[str] = field(default_factory=list)
    # Settlements in PROCESS: (their settlementHistory record, amount by asset).
    settling: list[tuple[dict, dict[str, Decimal]]] = field(default_factory=list)
    # (symbol, orderId) of the orders placed with an express trade (expressTradeFlag).
    express_orders: set[tuple[str, int]] = field(default_factory=set)

    @property
    def balances(self) -> dict[str, Balance]:
        return self.trader.balances

    @property
    def account_id(self) -> str:
        """The custodyAccountId of the answers (also settlement's settleTo)."""
        return f"{self.rail}-{-self.trader.account_id}"

    def bal(self, asset: str) -> Balance:
        return self.trader.bal(asset)


def custody_of(ctx: Ctx) -> Custody:
    """The caller's custody for the `rail` sent, brought up to the sandbox clock."""
    custody = ctx.account.custody
    rail = ctx.params.req("rail")
    if not isinstance(custody, Custody) or custody.rail != rail:
        raise errors.invalid_param("rail")
    catch_up(custody, ctx.now())
    return custody


def next_transfer_id(ctx: Ctx) -> str:
    ctx.ex.next_custody_id += 1
    return str(ctx.ex.next_custody_id)


def _client_id(ctx: Ctx, transfers: list[CustodyTransfer]) -> str:
    client_id = ctx.params.get("clientOrderId")
    if client_id is None:
        return str(ctx.now())
    if any(t.client_order_id == client_id for t in transfers):
        raise errors.invalid_param("clientOrderId")
    return client_id


def flag(p: Params, name: str) -> bool:
    """A BOOLEAN parameter, false when not sent."""
    raw = p.enum(name, ("true", "false", "TRUE", "FALSE"))
    return raw is not None and raw.lower() == "true"


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
        row["lastUpdatedTime"] = _last_updated(ctx, custody, asset)
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


def _last_updated(ctx: Ctx, custody: Custody, asset: str) -> int:
    """The last transfer, settlement, order or fill that touched the asset."""
    times = [custody.updated.get(asset, ctx.account.update_time)]
    history = ctx.ex.engine.history
    for spec in SYMBOLS.values():
        if asset in (spec.base, spec.quote):
            trades = history.trades_of(custody.trader, spec.symbol).rows
            times.extend(t.time for t in trades[-1:])
    return max(times)


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


def record_transfer(
    ctx: Ctx,
    ledger: list[CustodyTransfer],
    client_id: str,
    asset: str,
    amount: Decimal,
    *,
    status: str = SUCCESS,
    express: bool = False,
    is_undo: bool = False,
) -> CustodyTransfer:
    """Log a transfer in `ledger` as of now."""
    now = ctx.now()
    t = CustodyTransfer(
        next_transfer_id(ctx), client_id, asset, amount, status, now, now, express, False, is_undo
    )
    ledger.append(t)
    return t


@route("POST", "/sapi/v1/custodian/walletTransfer")
def wallet_transfer(ctx: Ctx) -> object:
    """Exchange wallet -> custodial sub-account, at once."""
    custody, asset, amount, client_id = _inbound(ctx, lambda c: c.wallet_transfers)
    acct = ctx.account
    if acct.bal(asset).free < amount:
        raise errors.insufficient_balance()
    now = ctx.now()
    acct.bal(asset).free -= amount
    custody.bal(asset).free += amount
    acct.update_time = custody.updated[asset] = now
    t = record_transfer(ctx, custody.wallet_transfers, client_id, asset, amount)
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
    """Custodial partner account -> custodial sub-account, processed later (see the module
    docstring)."""
    custody, asset, amount, client_id = _inbound(ctx, lambda c: c.custodian_transfers)
    if custody.partner.get(asset, ZERO) < amount:
        raise errors.insufficient_balance()
    ledger = custody.custodian_transfers
    t = record_transfer(ctx, ledger, client_id, asset, amount, status=PROCESS)
    return {
        "asset": asset,
        "amount": num(amount),
        "clientOrderId": client_id,
        "transferId": t.transfer_id,
        "custodyAccountId": custody.account_id,
        "custodyAccountName": f"{custody.rail} custody account",
        # Verbatim from the spec's example, trailing space included.
        "status": "Transfer request received ",
        "createTime": t.create_time,
    }


@route("POST", "/sapi/v1/custodian/undoTransfer")
def undo_transfer(ctx: Ctx) -> object:
    """Reverse a processed custodianTransfer: custodial sub-account -> partner."""
    custody = custody_of(ctx)
    origin_id = ctx.params.req("originTransferId")
    origin = next((t for t in custody.custodian_transfers if t.transfer_id == origin_id), None)
    if origin is None or origin.status != SUCCESS or origin.undone:
        raise errors.invalid_param("originTransferId")
    if origin.express or origin.is_undo:
        raise errors.invalid_param("originTransferId")
    asset, amount = origin.asset, origin.amount
    if custody.bal(asset).free < amount:
        raise errors.insufficient_balance()
    custody.bal(asset).free -= amount
    custody.partner[asset] = custody.partner.get(asset, ZERO) + amount
    origin.undone = True
    ledger, client_id = custody.custodian_transfers, f"undo-{origin_id}"
    undo = record_transfer(ctx, ledger, client_id, asset, amount, is_undo=True)
    custody.updated[asset] = origin.update_time = undo.create_time
    return {"transferId": undo.transfer_id, "asset": asset, "amount": num(amount)}


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
    express = flag(ctx.params, "expressTradeTransfer")
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


# ---- admin ------------------------------------------------------------------------------------

CONFIG_FIELDS = {
    "rail",
    "balances",
    "inSettlement",
    "partnerBalances",
    "transferEligible",
    "settlementEligible",
    "settlementSetting",
    "settlementRecords",
    "processingDelayMs",
    "failingSettlementAssets",
}


def configure(acct: Account, doc: dict, now: int) -> Custody:
    """Admin: create/update an account's custody from a JSON document; raises ValueError on
    bad input (nothing changed). Fields (all optional but `rail` the first time):
    rail, balances / inSettlement / partnerBalances ({asset: amount}), transferEligible /
    settlementEligible / failingSettlementAssets (asset lists; a settlement run holding a
    failing asset ends in FAILURE), settlementSetting ({settlementActive, frequencyInHours,
    nextTriggerTime}), settlementRecords (history rows), processingDelayMs (how long after a
    custodianTransfer or a settlement trigger the partner side completes; default 5000)."""
    unknown = set(doc) - CONFIG_FIELDS
    if unknown:
        known = ", ".join(sorted(CONFIG_FIELDS))
        raise ValueError(f"unknown fields {sorted(unknown)} (known: {known})")
    current = acct.custody if isinstance(acct.custody, Custody) else None
    rail = doc.get("rail", current.rail if current else None)
    if not isinstance(rail, str) or not rail.isalnum() or not rail.isupper():
        raise ValueError("rail must be the custodial partner's name in upper case")
    amounts = {name: parse_balances(doc.get(name)) for name in _AMOUNT_FIELDS}
    lists = {name: _asset_list(doc, name) for name in _LIST_FIELDS}
    setting = parse_setting(doc.get("settlementSetting"))
    records = parse_records(doc.get("settlementRecords"), rail)
    delay = doc.get("processingDelayMs")
    if delay is not None and (not isinstance(delay, int) or isinstance(delay, bool) or delay < 0):
        raise ValueError("processingDelayMs must be an integer >= 0")

    if current is not None and current.rail == rail:
        custody = current
    else:
        trader = current.trader if current else Account(-acct.account_id, f"custody:{acct.email}")
        custody = Custody(rail, trader)
    _apply(custody, amounts, lists, now)
    if setting is not None:
        custody.settlement_setting.update(setting)
    if records is not None:
        custody.settlements = records
    if delay is not None:
        custody.processing_ms = delay
    acct.custody = custody
    return custody


_AMOUNT_FIELDS = ("balances", "inSettlement", "partnerBalances")
_LIST_FIELDS = ("transferEligible", "settlementEligible", "failingSettlementAssets")
_LIST_ATTRS = {
    "transferEligible": "transfer_eligible",
    "settlementEligible": "settlement_eligible",
    "failingSettlementAssets": "failing_assets",
}


def _apply(custody: Custody, amounts: dict, lists: dict, now: int) -> None:
    for asset, amount in amounts["balances"].items():
        custody.bal(asset).free = amount
        custody.updated[asset] = now
    for asset, amount in amounts["inSettlement"].items():
        custody.in_settlement[asset] = amount
        custody.bal(asset)
        custody.updated.setdefault(asset, now)
    custody.partner.update(amounts["partnerBalances"])
    for name, value in lists.items():
        if value is not None:
            setattr(custody, _LIST_ATTRS[name], value)


def _asset_list(doc: dict, name: str) -> list[str] | None:
    value = doc.get(name)
    if value is not None and (
        not isinstance(value, list) or not all(isinstance(a, str) for a in value)
    ):
        raise ValueError(f"{name} must be a list of asset names")
    return None if value is None else list(value)


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
        "failingSettlementAssets": custody.failing_assets,
        "settlementSetting": custody.settlement_setting,
        "settlementRecords": custody.settlements,
        "processingDelayMs": custody.processing_ms,
    }
