"""What needs the signed-in user's attention across all their connections: the dashboard's
"Needs attention" card (``templates/dashboard/_attention.html``), each item a link to the page
where it is shown or fixed.

Every source is one query over the user's own rows (``connection__user=user``: another user's
rows never reach this list), capped at ``CAP`` rows, so the card costs the same number of queries
(``QUERIES``) however many connections and rows the user has. Items come in tiers (``TIER``):
money whose fate is unknown first, then a credit line at risk, failing keys, failures, waits,
and syncs that fell behind; newest first within a tier.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.access import TRADE, connection_can
from accounts.models import ExchangeConnection, SubAccount
from convert.models import DustConversion, OtcConversion
from creditline.models import CreditAlert, CreditLineState, CreditTransfer, TransferType
from custody.models import CustodialOrder, CustodySync, CustodyTransfer, TransferKind
from desk.intents.models import State
from desk.money import plain
from trading.models import HistorySync, Order, OrderList
from transfers.models import RunStatus, TransferHistoryCursor, TransferRun, TransferSchedule
from wallet.models import ActivitySync, AddressBookEntry, StakingOperation, StakingSync, Withdrawal

CAP = 20
SYNC_LATE = timedelta(hours=1)
# A failed transfer stays failed (a retry is a new run): after a week it is history, not news.
FAILED_RECENT = timedelta(days=7)
# Sync rows are grouped per connection; a connection has at most a few dozen history rows.
SYNC_ROWS = 400

MONEY, RISK, KEYS, FAILURES, WAITS, SYNCS = range(6)
TIER = {
    "order-unknown": MONEY,
    "oco-unknown": MONEY,
    "transfer-unknown": MONEY,
    "withdrawal-unknown": MONEY,
    "staking-unknown": MONEY,
    "credit-transfer-unknown": MONEY,
    "custody-transfer-unknown": MONEY,
    "custody-order-unknown": MONEY,
    "otc-unknown": MONEY,
    "dust-unknown": MONEY,
    "credit-ltv": RISK,
    "credit-alert": RISK,
    "keys-replace": KEYS,
    "connection-error": KEYS,
    "transfer-failed": FAILURES,
    "schedule-paused": FAILURES,
    "address-cooling-off": WAITS,
    "history-sync": SYNCS,
    "wallet-sync": SYNCS,
    "staking-sync": SYNCS,
    "custody-sync": SYNCS,
    "transfer-history-sync": SYNCS,
    "credit-sync": SYNCS,
}


@dataclass(frozen=True)
class Item:
    kind: str
    text: str
    url: str
    connection_id: int
    object_id: int | None
    since: datetime | None


def attention_items(*, user) -> list[Item]:
    """Everything of ``user``'s that needs them, most severe first (``QUERIES`` queries)."""
    if not user.is_authenticated:
        return []
    now = timezone.now()
    items = [item for source in SOURCES for item in source(user=user, now=now)]
    return sorted(items, key=_rank)


def _rank(item: Item) -> tuple[int, float]:
    newest_first = -item.since.timestamp() if item.since else math.inf
    return TIER[item.kind], newest_first


# --- shared wording --------------------------------------------------------------------------
def _named(connection: ExchangeConnection) -> str:
    return f"“{connection.label}”"


def _amount(value: Decimal | None, asset: str = "") -> str:
    return "" if value is None else f"{plain(value)} {asset}".strip()


def _percent(ratio: Decimal) -> str:
    return f"{plain(ratio * 100)} %"


def _words(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _newest(rows: QuerySet, field: str) -> list:
    ordered = rows.select_related("connection").order_by(F(field).desc(nulls_last=True), "-pk")
    return list(ordered[:CAP])


# --- intents whose outcome is unknown (desk.intents) ------------------------------------------
PENDING_TEXT = {
    State.UNKNOWN: "outcome unknown — being checked",
    State.SENDING: "sent, no answer yet — being checked",
}


@dataclass(frozen=True)
class Intents:
    """One kind of intent: its model, the setting after which a SENDING row is stuck (the
    reconcile sweep's own ``stale`` period) and the column its request left at."""

    kind: str
    model: type
    stale_setting: str
    describe: Callable[[Any], str]
    url: Callable[[Any], str]
    sent_field: str = "sent_at"


def _unsettled(spec: Intents, *, user, now: datetime) -> list[Item]:
    return [
        Item(
            kind=spec.kind,
            text=f"{spec.describe(row)} on {_named(row.connection)}: "
            f"{PENDING_TEXT[row.intent_state]}",
            url=spec.url(row),
            connection_id=row.connection_id,
            object_id=row.pk,
            since=row.attention_since,
        )
        for row in _unsettled_rows(spec, user=user, now=now)
    ]


def _unsettled_rows(spec: Intents, *, user, now: datetime) -> list:
    """UNKNOWN rows, and SENDING ones older than the kind's stale period (a dead worker's): a
    younger SENDING row is a request still in flight, not news."""
    state, stored = spec.model.STATE_FIELD, spec.model.STATES
    stale = now - timedelta(seconds=getattr(settings, spec.stale_setting))
    sent = Coalesce(spec.sent_field, "created_at")
    rows = spec.model.objects.filter(connection__user=user).annotate(
        attention_sent=sent, attention_since=Coalesce("unknown_since", "attention_sent")
    )
    unknown = Q(**{state: stored[State.UNKNOWN]})
    stuck = Q(**{state: stored[State.SENDING], "attention_sent__lt": stale})
    # The IN alone lets the database reach the few such rows through its state index; the OR
    # alone made it read every order the user has.
    either = {f"{state}__in": [stored[State.UNKNOWN], stored[State.SENDING]]}
    return _newest(rows.filter(**either).filter(unknown | stuck), "attention_since")


def _orders_url(row) -> str:
    # The Orders tab refuses a connection that cannot trade (keys to replace, disabled): its
    # overview says why and is where that is fixed.
    if connection_can(row.connection, TRADE):
        return reverse("accounts:orders", args=[row.connection_id])
    return reverse("accounts:detail", args=[row.connection_id])


def _page(name: str) -> Callable[[Any], str]:
    return lambda row: reverse(name, args=[row.connection_id])


def _row_page(name: str) -> Callable[[Any], str]:
    return lambda row: reverse(name, args=[row.connection_id, row.pk])


def _order_text(o: Order) -> str:
    quote = _amount(o.orig_quote_order_qty)
    qty = _amount(o.orig_qty) or (f"for {quote} (quote)" if quote else "")
    return _words(o.side, o.type, o.symbol, qty)


def _oco_text(x: OrderList) -> str:
    request = x.request or {}
    return _words("OCO", str(request.get("side", "")), x.symbol, str(request.get("quantity", "")))


def _party(email: str) -> str:
    return email or "the master account"


def _run_text(r: TransferRun) -> str:
    what = _amount(r.amount, r.asset) or f"{r.asset} ({r.get_amount_kind_display().lower()})"
    return f"Transfer of {what} from {_party(r.from_email)} to {_party(r.to_email)}"


def _withdrawal_text(w: Withdrawal) -> str:
    return f"Withdrawal of {_amount(w.amount, w.coin)} to {w.label or w.address}"


def _staking_text(o: StakingOperation) -> str:
    return f"{o.get_kind_display()} of {_amount(o.amount, o.asset)}"


def _credit_transfer_text(t: CreditTransfer) -> str:
    way = "into" if t.transfer_type == TransferType.TRANSFER_IN else "out of"
    return f"Transfer of {_amount(t.quantity, t.asset)} {way} the credit line"


def _custody_transfer_text(t: CustodyTransfer) -> str:
    if t.kind == TransferKind.UNDO:
        return f"Undo of partner transfer {t.origin_transfer_id}"
    return f"Custody transfer of {_amount(t.amount, t.asset)} ({t.get_kind_display()})"


def _custodial_order_text(o: CustodialOrder) -> str:
    quote = _amount(o.quote_order_qty)
    qty = _amount(o.quantity) or (f"for {quote} (quote)" if quote else "")
    return _words("Custodial", o.side, o.type, o.symbol, qty)


def _otc_text(c: OtcConversion) -> str:
    return (
        f"Conversion of {_amount(c.from_amount, c.from_coin)} to {_amount(c.to_amount, c.to_coin)}"
    )


def _dust_text(d: DustConversion) -> str:
    return f"Dust conversion of {', '.join(d.from_assets)} to {d.to_asset}"


INTENTS = (
    Intents(
        "order-unknown",
        Order,
        "ORDER_STALE_SECONDS",
        _order_text,
        _orders_url,
        sent_field="created_at",
    ),
    Intents(
        "oco-unknown",
        OrderList,
        "ORDER_STALE_SECONDS",
        _oco_text,
        _orders_url,
        sent_field="created_at",
    ),
    Intents(
        "transfer-unknown",
        TransferRun,
        "TRANSFER_STALE_SECONDS",
        _run_text,
        _row_page("transfers:run"),
    ),
    Intents(
        "withdrawal-unknown",
        Withdrawal,
        "WITHDRAW_STALE_SECONDS",
        _withdrawal_text,
        _row_page("wallet:withdrawal"),
    ),
    Intents(
        "staking-unknown",
        StakingOperation,
        "STAKING_STALE_SECONDS",
        _staking_text,
        _page("wallet:staking"),
    ),
    Intents(
        "credit-transfer-unknown",
        CreditTransfer,
        "CREDIT_TRANSFER_STALE_SECONDS",
        _credit_transfer_text,
        _page("creditline:index"),
    ),
    Intents(
        "custody-transfer-unknown",
        CustodyTransfer,
        "CUSTODY_STALE_SECONDS",
        _custody_transfer_text,
        _page("custody:index"),
    ),
    Intents(
        "custody-order-unknown",
        CustodialOrder,
        "CUSTODY_STALE_SECONDS",
        _custodial_order_text,
        _page("custody:index"),
    ),
    Intents(
        "otc-unknown",
        OtcConversion,
        "CONVERT_STALE_SECONDS",
        _otc_text,
        _page("convert:index"),
    ),
    Intents(
        "dust-unknown",
        DustConversion,
        "CONVERT_STALE_SECONDS",
        _dust_text,
        _page("convert:dust"),
    ),
)


# --- the credit line ---------------------------------------------------------------------------
def _credit_alerts(*, user, now: datetime) -> list[Item]:
    rows = CreditAlert.objects.filter(connection__user=user, dismissed_at=None)
    return [
        Item(
            kind="credit-alert",
            text=f"{a.get_alert_type_display()} on {_named(a.connection)}: loan-to-value "
            f"{_percent(a.current_ltv)} (margin call at {_percent(a.margin_call_ltv)}, "
            f"liquidation at {_percent(a.liquidation_ltv)})",
            url=reverse("creditline:index", args=[a.connection_id]),
            connection_id=a.connection_id,
            object_id=a.pk,
            since=a.alert_time,
        )
        for a in _newest(rows, "alert_time")
    ]


def _credit_lines(*, user, now: datetime) -> list[Item]:
    """Its loan-to-value level and its poll, from one row per credit-line connection. The level
    is compared in Python: money columns are text on SQLite (``desk.fields.MoneyField``)."""
    items = []
    for state in _newest(CreditLineState.objects.filter(connection__user=user), "synced_at"):
        items += _credit_risk(state) + _credit_poll(state, now=now)
    return items


def _credit_risk(state: CreditLineState) -> list[Item]:
    # An inactive line reports zero thresholds, which every LTV would "reach".
    if not state.is_active or not state.margin_call_ltv or state.level == "ok":
        return []
    level = "liquidation" if state.level == "liquidation" else "margin-call"
    text = (
        f"Credit line {_named(state.connection)} is at {level} level: loan-to-value "
        f"{_percent(state.current_ltv)} (margin call at {_percent(state.margin_call_ltv)}, "
        f"liquidation at {_percent(state.liquidation_ltv)})"
    )
    return [_credit_item("credit-ltv", state, text)]


def _credit_poll(state: CreditLineState, *, now: datetime) -> list[Item]:
    connection = state.connection
    if not connection.is_active or connection.needs_new_keys:
        return []
    if state.last_error:
        text = f"Credit line {_named(connection)} could not be read: {state.last_error}"
    elif state.synced_at < now - SYNC_LATE:
        text = f"Credit line {_named(connection)} has not been read for over an hour"
    else:
        return []
    return [_credit_item("credit-sync", state, text)]


def _credit_item(kind: str, state: CreditLineState, text: str) -> Item:
    return Item(
        kind=kind,
        text=text,
        url=reverse("creditline:index", args=[state.connection_id]),
        connection_id=state.connection_id,
        object_id=state.pk,
        since=state.synced_at,
    )


# --- keys ---------------------------------------------------------------------------------------
def _connections(*, user, now: datetime) -> list[Item]:
    """Keys that fail. A disabled connection is left alone: its owner switched it off."""
    problems = Q(needs_new_keys=True) | ~Q(last_sync_error="")
    rows = ExchangeConnection.objects.filter(problems, user=user, is_active=True)
    return [_connection_item(c) for c in rows.order_by("label", "pk")[:CAP]]


def _connection_item(c: ExchangeConnection) -> Item:
    if c.needs_new_keys:
        return Item(
            kind="keys-replace",
            text=f"The keys of {_named(c)} cannot be used any more: replace them",
            url=reverse("accounts:replace-keys", args=[c.pk]),
            connection_id=c.pk,
            object_id=None,
            since=None,
        )
    return Item(
        kind="connection-error",
        text=f"Balances of {_named(c)} could not be synced: {c.last_sync_error}",
        url=reverse("accounts:detail", args=[c.pk]),
        connection_id=c.pk,
        object_id=None,
        since=c.balances_synced_at,
    )


# --- failures and waits -------------------------------------------------------------------------
def _failed_runs(*, user, now: datetime) -> list[Item]:
    rows = (
        TransferRun.objects.filter(connection__user=user, status=RunStatus.FAILED)
        .annotate(attention_since=Coalesce("finished_at", "updated_at"))
        .filter(attention_since__gte=now - FAILED_RECENT)
    )
    return [
        Item(
            kind="transfer-failed",
            text=f"{_run_text(r)} on {_named(r.connection)} failed"
            + (f": {r.error_message}" if r.error_message else ""),
            url=reverse("transfers:run", args=[r.connection_id, r.pk]),
            connection_id=r.connection_id,
            object_id=r.pk,
            since=r.attention_since,
        )
        for r in _newest(rows, "attention_since")
    ]


def _paused_schedules(*, user, now: datetime) -> list[Item]:
    # A blank reason is the owner's own pause: nothing to tell them.
    rows = TransferSchedule.objects.filter(connection__user=user, is_paused=True).exclude(
        paused_reason=""
    )
    return [
        Item(
            kind="schedule-paused",
            text=f"Scheduled transfer “{s.name}” on {_named(s.connection)} was paused: "
            f"{s.paused_reason}",
            url=reverse("transfers:schedule", args=[s.connection_id, s.pk]),
            connection_id=s.connection_id,
            object_id=s.pk,
            since=s.updated_at,
        )
        for s in _newest(rows, "updated_at")
    ]


def _cooling_addresses(*, user, now: datetime) -> list[Item]:
    """Addresses still in their cool-off: the owner's wait, and the one chance to delete an
    address a stolen session added before it can be used."""
    rows = AddressBookEntry.objects.filter(connection__user=user, usable_from__gt=now)
    return [
        Item(
            kind="address-cooling-off",
            text=f"New withdrawal address “{e.label}” ({e.coin} on {e.network}) on "
            f"{_named(e.connection)} is usable from {e.usable_from:%Y-%m-%d %H:%M} UTC; "
            "delete it if you did not add it",
            url=reverse("wallet:addresses", args=[e.connection_id]),
            connection_id=e.connection_id,
            object_id=e.pk,
            since=e.created_at,
        )
        for e in _newest(rows, "created_at")
    ]


# --- syncs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Syncs:
    """One kind of sync row (``synced_at``, ``last_error``), reported once per connection. The
    syncs run only for active connections with working keys: the others are the keys' item."""

    kind: str
    model: type
    what: str
    url: Callable[[Any], str]
    part: Callable[[Any], str] | None = None
    # When a row that never synced was made (its age says whether it is late).
    born: str = "connection__created_at"
    scope: tuple = ()


def _syncs(spec: Syncs, *, user, now: datetime) -> list[Item]:
    late = now - SYNC_LATE
    behind = (
        ~Q(last_error="")
        | Q(synced_at__lt=late)
        | Q(synced_at__isnull=True, **{f"{spec.born}__lt": late})
    )
    rows = (
        spec.model.objects.filter(
            connection__user=user, connection__is_active=True, connection__needs_new_keys=False
        )
        .filter(behind, *spec.scope)
        .select_related("connection")
        .order_by("connection_id", "pk")[:SYNC_ROWS]
    )
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(row.connection_id, []).append(row)
    return [_sync_item(spec, group) for group in list(groups.values())[:CAP]]


def _sync_item(spec: Syncs, rows: list) -> Item:
    failing = [r for r in rows if r.last_error]
    first = (failing or rows)[0]
    where = spec.part(first) if spec.part else ""
    if len(rows) > 1:
        where = f"{where} and {len(rows) - 1} more"
    where = f" ({where})" if where else ""
    named = _named(first.connection)
    if failing:
        text = f"{spec.what} of {named} is failing{where}: {first.last_error}"
    else:
        text = f"{spec.what} of {named} has not synced for over an hour{where}"
    synced = [r.synced_at for r in rows]
    return Item(
        kind=spec.kind,
        text=text,
        url=spec.url(first),
        connection_id=first.connection_id,
        object_id=first.pk,
        since=None if None in synced else min(synced),
    )


HISTORY_TABS = {
    "orders": "history:orders",
    "trades": "history:trades",
    "order_lists": "history:order-lists",
    "prevented": "history:prevented",
}


def _history_url(row: HistorySync) -> str:
    return reverse(HISTORY_TABS[row.kind], args=[row.connection_id])


SYNCS = (
    Syncs(
        "history-sync",
        HistorySync,
        "Account history",
        _history_url,
        part=lambda r: _words(r.get_kind_display(), r.symbol),
        born="started_at",
    ),
    Syncs(
        "wallet-sync",
        ActivitySync,
        "Wallet activity",
        _page("wallet:index"),
        part=lambda r: r.get_kind_display(),
    ),
    Syncs("staking-sync", StakingSync, "Staking history", _page("wallet:staking")),
    Syncs("custody-sync", CustodySync, "Custody history", _page("custody:index")),
    Syncs(
        "transfer-history-sync",
        TransferHistoryCursor,
        "Sub-account transfer history",
        _page("transfers:history"),
        # Only connections with sub-accounts are synced: a cursor left by one that has none
        # any more is not late.
        scope=(Exists(SubAccount.objects.filter(connection=OuterRef("connection"))),),
    ),
)


SOURCES: tuple[Callable[..., list[Item]], ...] = (
    *(functools.partial(_unsettled, spec) for spec in INTENTS),
    _credit_alerts,
    _credit_lines,
    _connections,
    _failed_runs,
    _paused_schedules,
    _cooling_addresses,
    *(functools.partial(_syncs, spec) for spec in SYNCS),
)
QUERIES = len(SOURCES)
