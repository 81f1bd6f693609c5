"""Credit Line (spec "Credit Line Endpoints"), for credit_line keys only.

The spec's account has its own clAccountId next to the masterAccountId: here the credit-line
account is a separate, unlisted sandbox account holding the pledged (collateral) balances,
attached to the master account whose credit_line key calls these endpoints (admin
`POST /sandbox/v1/accounts/<email>/credit-line`). TRANSFER_IN moves an asset from the
master's exchange wallet into the credit-line account, TRANSFER_OUT back. Rates, contract
times, flags and loans are what the admin API set: the sandbox does not model lending.

Valuation (the spec gives no formula; all values in USD):
  price(asset)   USD and USDT are 1; another asset is priced on its USD market (else its USDT
                 market) at the last trade price, else the book's mid, else the market's
                 starting price: what GET /api/v3/ticker/price shows once the symbol traded.
                 An asset the sandbox has no such market for (the spec's BNB) is worth 0.
  collateral     sum of (free + locked) x price over the credit-line account's balances.
  loans          sum of currentLoanQuantity x price(loanAsset) over loanAssets.
  currentLTV     loans / collateral, rounded half up to 4 decimals (the alert example's
                 "0.8124"); "0" without loans. The spec's LIQUIDATION_CALL example shows
                 "9" (L9481): read as the ceiling the exchange reports, so a larger ratio, or
                 loans against no collateral, shows "9".
  availableAmountToTransferOut  collateral - loans / initialLTV, the value that may leave while
                 the LTV stays at or below initialLTV; never negative, rounded down to 8
                 decimals. Enforced: a TRANSFER_OUT whose quantity x price is above it is
                 -2010 "Account has insufficient balance for requested action." (the pledged
                 part is not available), and nothing moves.
  requiredDepositAmount  loans / initialLTV - collateral when the LTV is above initialLTV (the
                 value to deposit to get back to it), rounded up to 8 decimals; "0" otherwise.

Thresholds: the spec's example is out of order (liquidationLTV 0.54 < initialLTV 0.62 <
marginCallLTV 0.8, L9370-9372); the 0.54 is read as a typo. The defaults are initial 0.62 <
margin call 0.8 < liquidation 0.9, settable through the admin call, which refuses (400) a set
that is not strictly increasing in that order.

Alerts: MARGIN_CALL when the currentLTV reaches marginCallLTV, LIQUIDATION_CALL when it reaches
liquidationLTV: once per crossing, re-armed when the LTV is back below the threshold (an LTV
jumping past both raises both, margin call first). A crossing is looked for after every trade
on a market that prices one of the line's assets (a listener in front of the engine's, so the
market flow, the admin price shock and clients' trades all count, whether or not anybody
calls the API), after a credit-line transfer and after an admin change. Rows have the shape of
the spec's alertHistory example, at the state of the line when raised; totalBalance is the
collateral value. The admin call can still record an alert snapshot ("alert": {...}).

Pins: the admin call may set currentLTV, requiredDepositAmount or availableAmountToTransferOut
to a fixed string (e.g. to reproduce the spec's example), which is then shown, used for alerts
and enforced instead of the computed value; null returns to the computed one.

Transfers take effect at once: the spec's answer and history rows only ever show SUCCESS.
transferId is a number in the POST answer (L9721) and a string in the history (L9618,
"t11119"): the sandbox answers the number and lists the same id as a string.

Where the spec names no error: an account without a credit line is -2015 (as a key without
that agreement); a transfer the flags forbid (isActive/canTransferIn/canTransferOut false) is
-2010 "This action is disabled on this account." (the spec's matching-engine message); not
enough to move is -2010 insufficient balance. Histories are newest first, as the spec's examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation

from . import errors
from .accounts import Account
from .ctx import Ctx, in_window, positive_amount
from .decimals import EIGHT, ZERO, parse_amount
from .routes import route
from .state import Exchange, parse_balances
from .subaccounts import mid, plain
from .symbols import SYMBOLS

TRANSFER_TYPES = ("TRANSFER_IN", "TRANSFER_OUT")
ALERT_TYPES = ("LIQUIDATION_CALL", "MARGIN_CALL")
# Lowest threshold first, so a jump past both raises the margin call first.
ALERT_THRESHOLDS = (("MARGIN_CALL", "marginCallLTV"), ("LIQUIDATION_CALL", "liquidationLTV"))
THRESHOLDS = ("initialLTV", "marginCallLTV", "liquidationLTV")
LTV_PLACES = Decimal("0.0001")
LTV_CEILING = Decimal(9)
# Scalar fields of GET /sapi/v2/cl/account the admin API may set, with their defaults.
STRING_FIELDS = {
    "notificationMailAddr": "",
    "initialLTV": "0.62",
    "marginCallLTV": "0.8",
    "liquidationLTV": "0.9",
    "interestRate": "0.01",
    "liquidationFeeRate": "0.02",
}
INT_FIELDS = {"contractStartTime": 0, "contractEndTime": 0}
BOOL_FIELDS = {"isActive": True, "canTrade": True, "canTransferIn": True, "canTransferOut": True}
# Computed unless pinned by the admin API.
PINNABLE = ("currentLTV", "requiredDepositAmount", "availableAmountToTransferOut")


@dataclass(slots=True)
class CreditLine:
    cl_account: Account
    fields: dict = field(default_factory=dict)
    pins: dict[str, str] = field(default_factory=dict)
    loans: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    transfers: list[dict] = field(default_factory=list)
    armed: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(ALERT_TYPES, True))

    def get(self, name: str) -> object:
        for defaults in (STRING_FIELDS, INT_FIELDS, BOOL_FIELDS):
            if name in defaults:
                return self.fields.get(name, defaults[name])
        raise KeyError(name)

    def threshold(self, name: str) -> Decimal:
        return Decimal(str(self.get(name)))


def line_of(ctx: Ctx) -> CreditLine:
    line = ctx.account.credit_line
    if not isinstance(line, CreditLine):
        raise errors.rejected_key()
    return line


# ---- valuation -------------------------------------------------------------------------------


def pricing_symbol(asset: str) -> str | None:
    """The market an asset is valued on (None for USD, USDT and unlisted assets)."""
    if asset in ("USD", "USDT"):
        return None
    for quote in ("USD", "USDT"):
        if asset + quote in SYMBOLS:
            return asset + quote
    return None


def price(ex: Exchange, asset: str) -> Decimal:
    if asset in ("USD", "USDT"):
        return Decimal(1)
    symbol = pricing_symbol(asset)
    if symbol is None:
        return ZERO
    last = ex.engine.last_price(symbol)
    return last if last is not None else mid(ex, symbol, SYMBOLS[symbol].start_mid)


@dataclass(frozen=True, slots=True)
class Figures:
    """A credit line's computed values, pins applied (the strings GET cl/account shows)."""

    collateral: Decimal
    current_ltv: str
    required_deposit: str
    available_out: str


def collateral_value(ex: Exchange, line: CreditLine) -> Decimal:
    return sum(
        ((b.free + b.locked) * price(ex, a) for a, b in line.cl_account.balances.items()), ZERO
    )


def loan_value(ex: Exchange, line: CreditLine) -> Decimal:
    return sum(
        (
            Decimal(loan["currentLoanQuantity"]) * price(ex, loan["loanAsset"])
            for loan in line.loans
        ),
        ZERO,
    )


def figures(ex: Exchange, line: CreditLine) -> Figures:
    collateral, loans = collateral_value(ex, line), loan_value(ex, line)
    if loans <= 0:
        ltv = ZERO
    elif collateral <= 0:
        ltv = LTV_CEILING
    else:
        ltv = min(LTV_CEILING, (loans / collateral).quantize(LTV_PLACES, rounding=ROUND_HALF_UP))
    # The collateral value that keeps the loans at initialLTV exactly.
    backing = loans / line.threshold("initialLTV")
    required = max(ZERO, backing - collateral).quantize(EIGHT, rounding=ROUND_UP)
    available = max(ZERO, collateral - backing).quantize(EIGHT, rounding=ROUND_DOWN)
    pins = line.pins
    return Figures(
        collateral,
        pins.get("currentLTV", _text(ltv)),
        pins.get("requiredDepositAmount", plain(required)),
        pins.get("availableAmountToTransferOut", plain(available)),
    )


def _text(value: Decimal) -> str:
    """ "0.415", "9", "0": the examples' unpadded decimals."""
    return f"{value.normalize():f}" if value else "0"


# ---- alerts ----------------------------------------------------------------------------------


def evaluate(ex: Exchange, line: CreditLine) -> None:
    """Raise the alerts whose threshold the LTV reached since it was last below it."""
    now_figures = figures(ex, line)
    ltv = Decimal(now_figures.current_ltv)
    for alert_type, threshold in ALERT_THRESHOLDS:
        reached = ltv >= line.threshold(threshold)
        if reached and line.armed[alert_type]:
            line.alerts.append(_alert_row(line, alert_type, ex.clock.now_ms(), now_figures))
        line.armed[alert_type] = not reached


class PriceWatch:
    """An engine listener in front of another (as accounting.AccountTap) that passes every
    event on and, after each trade, re-evaluates the credit lines valued on that market."""

    def __init__(self, inner: object, ex: Exchange) -> None:
        self._inner = inner
        self._ex = ex
        self.lines: list[CreditLine] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    @property
    def credit_line_watch(self) -> PriceWatch:
        return self

    def on_trade(self, symbol: str, trade: object) -> None:
        self._inner.on_trade(symbol, trade)  # type: ignore[attr-defined]
        for line in self.lines:
            if symbol in _symbols_of(line):
                evaluate(self._ex, line)


def _symbols_of(line: CreditLine) -> set[str | None]:
    assets = {*line.cl_account.balances, *(loan["loanAsset"] for loan in line.loans)}
    return {pricing_symbol(a) for a in assets}


def watch(ex: Exchange, line: CreditLine) -> None:
    """Have the line evaluated on trades: the watch goes in front of the engine's listener the
    first time (found again through listeners that forward attributes, as AccountTap does)."""
    found = getattr(ex.engine.listener, "credit_line_watch", None)
    if not isinstance(found, PriceWatch):
        found = PriceWatch(ex.engine.listener, ex)
        ex.engine.listener = found  # type: ignore[assignment]
    if line not in found.lines:
        found.lines.append(line)


# ---- endpoints -------------------------------------------------------------------------------


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
    g, now = line.get, figures(ctx.ex, line)
    return {
        "clAccountId": line.cl_account.account_id,
        "masterAccountId": ctx.account.account_id,
        "notificationMailAddr": g("notificationMailAddr") or ctx.account.email,
        "currentLTV": now.current_ltv,
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
        "requiredDepositAmount": now.required_deposit,
        "availableAmountToTransferOut": now.available_out,
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
    inbound = transfer_type == "TRANSFER_IN"
    allowed = line.get("isActive") and line.get("canTransferIn" if inbound else "canTransferOut")
    if not allowed:
        raise errors.new_order_rejected("This action is disabled on this account.")
    src = ctx.account if inbound else line.cl_account
    if src.bal(asset).free < quantity:
        raise errors.insufficient_balance()
    if not inbound and quantity * price(ctx.ex, asset) > _available_out(ctx.ex, line):
        raise errors.insufficient_balance()
    transfer_id = _move(ctx, line, transfer_type, asset, quantity)
    evaluate(ctx.ex, line)  # a deposit can re-arm the alerts
    return {"transferId": transfer_id, "status": "SUCCESS"}


def _available_out(ex: Exchange, line: CreditLine) -> Decimal:
    return Decimal(figures(ex, line).available_out)


def _move(ctx: Ctx, line: CreditLine, transfer_type: str, asset: str, quantity: Decimal) -> int:
    master, cl = ctx.account, line.cl_account
    inbound = transfer_type == "TRANSFER_IN"
    src, dst = (master, cl) if inbound else (cl, master)
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
    ctx.ex.hub.on_deposit(master, asset, -quantity if inbound else quantity)
    return transfer_id


# ---- admin -----------------------------------------------------------------------------------

KNOWN = {
    *STRING_FIELDS,
    *INT_FIELDS,
    *BOOL_FIELDS,
    *PINNABLE,
    "balances",
    "loanAssets",
    "alert",
}


def configure(ex: Exchange, acct: Account, doc: dict) -> CreditLine:
    """Admin: create/update an account's credit line; ValueError on bad input (the checks
    all run before anything changes)."""
    unknown = set(doc) - KNOWN
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} (known: {', '.join(sorted(KNOWN))})")
    updates = _scalar_updates(doc)
    pins = _pin_updates(doc)
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
    current = line.fields if isinstance(line, CreditLine) else {}
    _check_order({**STRING_FIELDS, **current, **updates})

    if not isinstance(line, CreditLine):
        cl_account = ex.registry.create_account(
            f"credit-line+{acct.account_id}@sandbox.internal", {}, internal=True
        )
        line = CreditLine(cl_account)
        acct.credit_line = line
    line.fields.update(updates)
    for name, value in pins.items():
        if value is None:
            line.pins.pop(name, None)
        else:
            line.pins[name] = value
    now = ex.clock.now_ms()
    for asset, amount in balances.items():
        line.cl_account.bal(asset).free = amount
        line.cl_account.update_time = now
    if loans is not None:
        line.loans = loans
    if alert is not None:
        line.alerts.append(_snapshot(ex, line, alert, now))
    watch(ex, line)
    evaluate(ex, line)
    return line


def _scalar_updates(doc: dict) -> dict:
    updates: dict = {}
    for name, value in doc.items():
        if name in STRING_FIELDS:
            if not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
            if name in THRESHOLDS:
                _decimal(value, name)
            updates[name] = value
        elif name in INT_FIELDS:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer (ms)")
            updates[name] = value
        elif name in BOOL_FIELDS:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            updates[name] = value
    return updates


def _pin_updates(doc: dict) -> dict[str, str | None]:
    pins: dict[str, str | None] = {}
    for name in PINNABLE:
        if name in doc:
            value = doc[name]
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a decimal string, or null to compute it")
            if value is not None:
                _decimal(value, name)
            pins[name] = value
    return pins


def _decimal(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{name} must be a decimal string") from None
    if not value.is_finite() or not (value > 0 if name in THRESHOLDS else value >= 0):
        raise ValueError(f"{name} must be a {'positive' if name in THRESHOLDS else '>= 0'} number")
    return value


def _check_order(fields: dict) -> None:
    initial, margin_call, liquidation = (Decimal(fields[name]) for name in THRESHOLDS)
    if not initial < margin_call < liquidation:
        raise ValueError(
            "thresholds must be initialLTV < marginCallLTV < liquidationLTV "
            f"(got {initial}, {margin_call}, {liquidation})"
        )


def _list(value: object, name: str) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    return value


def _loan(raw: object) -> dict:
    if not isinstance(raw, dict) or not isinstance(raw.get("loanAsset"), str):
        raise ValueError("each loanAssets entry needs a loanAsset")
    loan = {
        "loanAsset": raw["loanAsset"],
        "loanQuantity": str(raw.get("loanQuantity", "0")),
        "currentLoanQuantity": str(raw.get("currentLoanQuantity", "0")),
        "reclaimSequence": int(raw.get("reclaimSequence", 1)),
    }
    parse_amount(loan["loanQuantity"], "loanQuantity")
    parse_amount(loan["currentLoanQuantity"], "currentLoanQuantity")
    return loan


def _alert_row(line: CreditLine, alert_type: str, time: int, now: Figures) -> dict:
    """An alert as the spec's alertHistory rows: the credit line's state at alert time."""
    return {
        "alertTime": time,
        "alertType": alert_type,
        "currentLTV": now.current_ltv,
        "initialLTV": line.get("initialLTV"),
        "marginCallLTV": line.get("marginCallLTV"),
        "liquidationLTV": line.get("liquidationLTV"),
        "totalBalance": plain(now.collateral),
        "loanAssets": [dict(loan) for loan in line.loans],
        "balances": _balances(line.cl_account, freeze=True),
    }


def _snapshot(ex: Exchange, line: CreditLine, alert: dict, now: int) -> dict:
    """An admin-recorded alert: the line's state, with the fields the admin call gave."""
    row = _alert_row(line, alert["alertType"], alert.get("alertTime", now), figures(ex, line))
    for name in ("currentLTV", "totalBalance"):
        if name in alert:
            row[name] = alert[name]
    return row


def describe(ex: Exchange, acct: Account, line: CreditLine) -> dict:
    fields = {
        name: line.get(name)
        for defaults in (STRING_FIELDS, INT_FIELDS, BOOL_FIELDS)
        for name in defaults
    }
    now = figures(ex, line)
    return {
        "email": acct.email,
        "clAccountId": line.cl_account.account_id,
        **fields,
        "currentLTV": now.current_ltv,
        "requiredDepositAmount": now.required_deposit,
        "availableAmountToTransferOut": now.available_out,
        "pinned": sorted(line.pins),
        "loanAssets": line.loans,
        "balances": {a: plain(b.free) for a, b in sorted(line.cl_account.balances.items())},
        "alerts": len(line.alerts),
    }
