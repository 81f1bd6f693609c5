"""Credit Line (spec "Credit Line Endpoints"), for credit_line keys only.

The spec's account has its own clAccountId next to the masterAccountId: here the credit-line
account is a separate, unlisted sandbox account holding the credit-line balances, attached to
the master account whose credit_line key calls these endpoints (admin
`POST /sandbox/v1/accounts/<email>/credit-line`). TRANSFER_IN moves an asset from the
master's exchange wallet into the credit-line account, TRANSFER_OUT back.

LTVs, rates, contract times, flags and loans are what the admin API set (the sandbox does not
model lending). Alerts are snapshots the admin API records. Where the spec names no error: an
account without a credit line is -2015 (as a key without that agreement); a transfer the flags
forbid (isActive/canTransferIn/canTransferOut false) is -2010 "This action is disabled on this
account." (the spec's matching-engine message); not enough to move -2010 insufficient balance.
Histories are newest first, as the spec's examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import errors
from .accounts import Account
from .ctx import Ctx, in_window, positive_amount
from .routes import route
from .state import Exchange, parse_balances
from .subaccounts import plain, usd_value

TRANSFER_TYPES = ("TRANSFER_IN", "TRANSFER_OUT")
ALERT_TYPES = ("LIQUIDATION_CALL", "MARGIN_CALL")
# Scalar fields of GET /sapi/v2/cl/account the admin API may set, with their defaults.
STRING_FIELDS = {
    "notificationMailAddr": "",
    "currentLTV": "0",
    "initialLTV": "0.62",
    "marginCallLTV": "0.8",
    "liquidationLTV": "0.54",
    "interestRate": "0.01",
    "liquidationFeeRate": "0.02",
}
INT_FIELDS = {"contractStartTime": 0, "contractEndTime": 0}
BOOL_FIELDS = {"isActive": True, "canTrade": True, "canTransferIn": True, "canTransferOut": True}
AMOUNT_FIELDS = {"requiredDepositAmount": "0", "availableAmountToTransferOut": "0"}


@dataclass(slots=True)
class CreditLine:
    cl_account: Account
    fields: dict = field(default_factory=dict)
    loans: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    transfers: list[dict] = field(default_factory=list)

    def get(self, name: str) -> object:
        for defaults in (STRING_FIELDS, INT_FIELDS, BOOL_FIELDS, AMOUNT_FIELDS):
            if name in defaults:
                return self.fields.get(name, defaults[name])
        raise KeyError(name)


def line_of(ctx: Ctx) -> CreditLine:
    line = ctx.account.credit_line
    if not isinstance(line, CreditLine):
        raise errors.rejected_key()
    return line


def _balances(acct: Account, *, freeze: bool = False) -> list[dict]:
    rows = []
    for asset, b in sorted(acct.balances.items()):
        row = {"asset": asset, "free": plain(b.free), "locked": plain(b.locked)}
        if freeze:
            row["freeze"] = "0"
        rows.append(row)
    return rows


@route("GET", "/sapi/v2/cl/account")
def account(ctx: Ctx) -> object:
    line = line_of(ctx)
    g = line.get
    return {
        "clAccountId": line.cl_account.account_id,
        "masterAccountId": ctx.account.account_id,
        "notificationMailAddr": g("notificationMailAddr") or ctx.account.email,
        "currentLTV": g("currentLTV"),
        "initialLTV": g("initialLTV"),
        "marginCallLTV": g("marginCallLTV"),
        "liquidationLTV": g("liquidationLTV"),
        "interestRate": g("interestRate"),
        "liquidationFeeRate": g("liquidationFeeRate"),
        "contractStartTime": g("contractStartTime"),
        "contractEndTime": g("contractEndTime"),
        "isActive": g("isActive"),
        "canTrade": g("canTrade"),
        "canTransferIn": g("canTransferIn"),
        "canTransferOut": g("canTransferOut"),
        "requiredDepositAmount": g("requiredDepositAmount"),
        "availableAmountToTransferOut": g("availableAmountToTransferOut"),
        "loanAssets": [dict(loan) for loan in line.loans],
        "balances": _balances(line.cl_account),
    }


@route("GET", "/sapi/v2/cl/alertHistory")
def alert_history(ctx: Ctx) -> object:
    line, p = line_of(ctx), ctx.params
    window = p.integer("startTime"), p.integer("endTime")
    alert_type = p.enum("alertType", ALERT_TYPES)
    limit = p.limit("limit", 200, 1000)
    return _newest(line.alerts, "alertTime", window, limit, alertType=alert_type)


@route("GET", "/sapi/v1/cl/transferHistory")
def transfer_history(ctx: Ctx) -> object:
    line, p = line_of(ctx), ctx.params
    window = p.integer("startTime"), p.integer("endTime")
    transfer_type = p.enum("transferType", TRANSFER_TYPES)
    asset = p.get("asset")
    limit = p.limit("limit", 20, 100)
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms  # the history lag fault hides new ones
    seen = [t for t in line.transfers if t["transferTime"] <= cutoff]
    return _newest(seen, "transferTime", window, limit, transferType=transfer_type, asset=asset)


def _newest(
    records: list[dict],
    time_key: str,
    window: tuple[int | None, int | None],
    limit: int,
    **equal: str | None,
) -> list[dict]:
    """Newest first, at most `limit`: the records timed within `window` whose fields equal
    the `equal` values (a None value matches anything)."""
    rows = [
        r
        for r in reversed(records)
        if in_window(r[time_key], *window)
        and all(value is None or r[key] == value for key, value in equal.items())
    ]
    return rows[:limit]


@route("POST", "/sapi/v1/cl/transfer")
def transfer(ctx: Ctx) -> object:
    line = line_of(ctx)
    p = ctx.params
    transfer_type = p.enum("transferType", TRANSFER_TYPES, required=True)
    asset = p.req("transferAssetType")
    if not asset.isalnum() or not asset.isupper():
        raise errors.invalid_param("transferAssetType")
    quantity = positive_amount(p, "quantity")
    master, cl = ctx.account, line.cl_account
    inbound = transfer_type == "TRANSFER_IN"
    allowed = line.get("isActive") and line.get("canTransferIn" if inbound else "canTransferOut")
    if not allowed:
        raise errors.new_order_rejected("This action is disabled on this account.")
    src, dst = (master, cl) if inbound else (cl, master)
    if src.bal(asset).free < quantity:
        raise errors.insufficient_balance()
    now = ctx.now()
    src.bal(asset).free -= quantity
    dst.bal(asset).free += quantity
    src.update_time = dst.update_time = now
    ctx.ex.next_cl_id += 1
    transfer_id = ctx.ex.next_cl_id
    line.transfers.append(
        {
            # The POST answers a number; the history example shows a string id.
            "transferId": str(transfer_id),
            "transferType": transfer_type,
            "asset": asset,
            "amount": plain(quantity),
            "status": "SUCCESS",
            "transferTime": now,
        }
    )
    ctx.ex.hub.on_deposit(master, asset, quantity if not inbound else -quantity)
    return {"transferId": transfer_id, "status": "SUCCESS"}


# ---- admin -----------------------------------------------------------------------------------


def configure(ex: Exchange, acct: Account, doc: dict) -> CreditLine:
    """Admin: create/update an account's credit line; ValueError on bad input (the checks
    all run before anything changes)."""
    known = (
        set(STRING_FIELDS)
        | set(INT_FIELDS)
        | set(BOOL_FIELDS)
        | set(AMOUNT_FIELDS)
        | {"balances", "loanAssets", "alert"}
    )
    unknown = set(doc) - known
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} (known: {', '.join(sorted(known))})")
    updates: dict = {}
    for name, value in doc.items():
        if name in STRING_FIELDS or name in AMOUNT_FIELDS:
            if not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
            updates[name] = value
        elif name in INT_FIELDS:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer (ms)")
            updates[name] = value
        elif name in BOOL_FIELDS:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            updates[name] = value
    balances = parse_balances(doc.get("balances"))
    loans = doc.get("loanAssets")
    if loans is not None:
        loans = [_loan(loan) for loan in _list(loans, "loanAssets")]
    alert = doc.get("alert")
    if alert is not None and not (
        isinstance(alert, dict)
        and alert.get("alertType") in ALERT_TYPES
        and set(alert) <= {"alertType", "alertTime", "currentLTV", "totalBalance"}
    ):
        raise ValueError(f"alert must be {{alertType: {' | '.join(ALERT_TYPES)}, ...}}")

    line = acct.credit_line
    if not isinstance(line, CreditLine):
        cl_account = ex.registry.create_account(
            f"credit-line+{acct.account_id}@sandbox.internal", {}, internal=True
        )
        line = CreditLine(cl_account)
        acct.credit_line = line
    line.fields.update(updates)
    now = ex.clock.now_ms()
    for asset, amount in balances.items():
        line.cl_account.bal(asset).free = amount
        line.cl_account.update_time = now
    if loans is not None:
        line.loans = loans
    if alert is not None:
        line.alerts.append(_snapshot(ex, line, alert, now))
    return line


def _list(value: object, name: str) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    return value


def _loan(raw: object) -> dict:
    if not isinstance(raw, dict) or not isinstance(raw.get("loanAsset"), str):
        raise ValueError("each loanAssets entry needs a loanAsset")
    return {
        "loanAsset": raw["loanAsset"],
        "loanQuantity": str(raw.get("loanQuantity", "0")),
        "currentLoanQuantity": str(raw.get("currentLoanQuantity", "0")),
        "reclaimSequence": int(raw.get("reclaimSequence", 1)),
    }


def _snapshot(ex: Exchange, line: CreditLine, alert: dict, now: int) -> dict:
    """An alert as the spec's alertHistory rows: the credit line's state at alert time."""
    total = usd_value(ex, line.cl_account)
    return {
        "alertTime": alert.get("alertTime", now),
        "alertType": alert["alertType"],
        "currentLTV": alert.get("currentLTV", line.get("currentLTV")),
        "initialLTV": line.get("initialLTV"),
        "marginCallLTV": line.get("marginCallLTV"),
        "liquidationLTV": line.get("liquidationLTV"),
        "totalBalance": alert.get("totalBalance", plain(total) if total else "0"),
        "loanAssets": [dict(loan) for loan in line.loans],
        "balances": _balances(line.cl_account, freeze=True),
    }


def describe(acct: Account, line: CreditLine) -> dict:
    fields = {
        name: line.get(name)
        for defaults in (STRING_FIELDS, INT_FIELDS, BOOL_FIELDS, AMOUNT_FIELDS)
        for name in defaults
    }
    return {
        "email": acct.email,
        "clAccountId": line.cl_account.account_id,
        **fields,
        "loanAssets": line.loans,
        "balances": {a: plain(b.free) for a, b in sorted(line.cl_account.balances.items())},
        "alerts": len(line.alerts),
    }
