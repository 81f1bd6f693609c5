"""Reads for the transfer pages. Every object is reached through its connection, which the
views fetch with ``accounts.access.connection_get_for_user`` (404 for strangers)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.access import TRANSFER, connection_list_with
from accounts.models import Balance, ExchangeConnection, SubAccount
from desk import exchange_reads
from desk.money import plain
from transfers.models import (
    TERMINAL,
    RecurrenceKind,
    RunStatus,
    TransferHistoryCursor,
    TransferHistoryRecord,
    TransferRun,
    TransferSchedule,
)
from transfers.recurrence import RecurrenceError, next_after
from transfers.scheduling import schedule_rule

log = logging.getLogger(__name__)

MASTER = "master"  # the form value standing for the master account (no email has no "@")
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --- connections and balances --------------------------------------------------------------------
def transfer_connections_for_user(*, user) -> QuerySet[ExchangeConnection]:
    """The user's keys that can transfer, those with sub-accounts first (only a master can)."""
    return (
        connection_list_with(user=user, capability=TRANSFER)
        .annotate(subaccount_count=Count("subaccounts"))
        .order_by("-subaccount_count", "label", "pk")
    )


def subaccount_rows(*, connection: ExchangeConnection) -> QuerySet[SubAccount]:
    return SubAccount.objects.filter(connection=connection).order_by("email")


def _dec(text) -> Decimal:
    try:
        return Decimal(str(text))
    except (InvalidOperation, TypeError, ValueError):
        return Decimal(0)


def known_balances(*, connection: ExchangeConnection) -> dict[str, dict[str, Decimal]]:
    """Free balances by party (``MASTER`` or a sub-account email) and asset, as last synced.

    Used to refuse an over-balance transfer before anything reaches the exchange; the worker
    still checks the live balance when it sends.
    """
    out: dict[str, dict[str, Decimal]] = {
        MASTER: {
            b.asset: b.free
            for b in Balance.objects.filter(connection=connection).only("asset", "free")
        }
    }
    for sub in subaccount_rows(connection=connection).only("email", "assets"):
        out[sub.email] = {a["asset"]: _dec(a.get("free")) for a in sub.assets or []}
    return out


def balances_text(balances: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, str]]:
    """The same as exact text, for the page's script (never a float on the way)."""
    return {party: {a: plain(v) for a, v in assets.items()} for party, assets in balances.items()}


def party_choices(*, connection: ExchangeConnection) -> list[tuple[str, str]]:
    master = connection.account_email or "email not set"
    choices = [(MASTER, f"Master ({master})")]
    choices += [
        (email, email)
        for email in subaccount_rows(connection=connection).values_list("email", flat=True)
    ]
    return choices


def asset_choices(
    *, balances: dict[str, dict[str, Decimal]], extra: str = ""
) -> list[tuple[str, str]]:
    assets = {asset for per_party in balances.values() for asset in per_party}
    if extra:
        assets.add(extra)
    return [(a, a) for a in sorted(assets)]


def party_email(value: str) -> str:
    """Form value → model value: the master is stored as a blank email."""
    return "" if value == MASTER else value


def party_value(email: str) -> str:
    return email or MASTER


def spot_summary_for_connection(*, connection: ExchangeConnection) -> exchange_reads.SpotSummary:
    return exchange_reads.spot_summary(connection=connection)


# --- runs ---------------------------------------------------------------------------------------
def get_run_for_connection(*, connection: ExchangeConnection, run_id: int) -> TransferRun:
    """A run of this (already ownership-checked) connection, or 404."""
    try:
        return TransferRun.objects.select_related("schedule", "connection").get(
            pk=run_id, connection=connection
        )
    except TransferRun.DoesNotExist:
        raise Http404("No such transfer.") from None


def run_is_final(run: TransferRun) -> bool:
    return run.status in TERMINAL


def run_can_retry(run: TransferRun) -> bool:
    return run.status == RunStatus.FAILED


def run_payload(run: TransferRun) -> dict:
    """What the run page polls: money as exact text, times as ISO-8601 UTC."""
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "final": run_is_final(run),
        "amount": plain(run.amount) if run.amount is not None else None,
        "error_code": run.error_code,
        "error_message": run.error_message,
        "txn_id": run.txn_id,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def failed_runs_recent(*, connection: ExchangeConnection, hours: int = 24) -> QuerySet[TransferRun]:
    since = timezone.now() - timedelta(hours=hours)
    return (
        TransferRun.objects.filter(connection=connection, status=RunStatus.FAILED)
        .filter(Q(finished_at__gte=since) | Q(finished_at__isnull=True, planned_at__gte=since))
        .select_related("schedule")
        .order_by("-planned_at")
    )


def recent_runs(*, connection: ExchangeConnection, limit: int = 20) -> QuerySet[TransferRun]:
    return TransferRun.objects.filter(connection=connection).select_related("schedule")[:limit]


# --- schedules ----------------------------------------------------------------------------------
def get_schedule_for_connection(*, connection: ExchangeConnection, sid: int) -> TransferSchedule:
    try:
        return TransferSchedule.objects.select_related("connection").get(
            pk=sid, connection=connection
        )
    except TransferSchedule.DoesNotExist:
        raise Http404("No such schedule.") from None


def schedule_list(*, connection: ExchangeConnection) -> QuerySet[TransferSchedule]:
    """Schedules with their last run's outcome, in one query."""
    last = TransferRun.objects.filter(schedule=OuterRef("pk")).order_by("-planned_at", "-pk")
    return (
        TransferSchedule.objects.filter(connection=connection)
        .select_related("connection")
        .annotate(
            last_status=Subquery(last.values("status")[:1]),
            last_planned_at=Subquery(last.values("planned_at")[:1]),
        )
        .order_by("is_paused", "next_run_at", "pk")
    )


def schedule_runs(*, schedule: TransferSchedule, limit: int = 100) -> QuerySet[TransferRun]:
    return TransferRun.objects.filter(schedule=schedule).order_by("-planned_at", "-pk")[:limit]


def schedule_upcoming(
    *, schedule: TransferSchedule, count: int = 5, now: datetime | None = None
) -> list[datetime]:
    """The next ``count`` firing times from now (paused schedules still show their rule).

    A rule that cannot be computed shows the times found so far: the page of a schedule the
    planner paused for that very reason must still open."""
    out: list[datetime] = []
    at = (now or timezone.now()) - timedelta(microseconds=1)
    try:
        rule = schedule_rule(schedule)
        while len(out) < count:
            nxt = next_after(rule, at)
            if nxt is None:
                break
            out.append(nxt)
            at = nxt
    except RecurrenceError:
        pass
    except Exception:
        log.exception("schedule %s: upcoming runs cannot be computed", schedule.pk)
    return out


def schedule_zone_name(schedule: TransferSchedule) -> str:
    """The zone to show the schedule's times in: its own, or UTC if the stored name is not a
    zone this machine knows (the planner pauses such a schedule; its pages still open)."""
    try:
        ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return "UTC"
    return schedule.timezone


def schedule_describe(schedule: TransferSchedule) -> str:
    """The rule in words, with times in the schedule's own time zone."""
    try:
        return _describe(schedule)
    except (TypeError, ValueError, IndexError, OverflowError):  # fields no form would save
        return f"{schedule.recurrence} rule that cannot be read"


def _describe(schedule: TransferSchedule) -> str:
    local = schedule.starts_at.astimezone(ZoneInfo(schedule_zone_name(schedule)))
    at = f"{local:%H:%M} {schedule.timezone}"
    n = schedule.every
    kind = schedule.recurrence
    if kind == RecurrenceKind.ONCE:
        return f"once, {local:%Y-%m-%d %H:%M} {schedule.timezone}"
    if kind == RecurrenceKind.HOURLY:
        every = "every hour" if n == 1 else f"every {n} hours"
        return f"{every} from {local:%Y-%m-%d %H:%M} {schedule.timezone}"
    if kind == RecurrenceKind.DAILY:
        every = "every day" if n == 1 else f"every {n} days"
        return f"{every} at {at}"
    if kind == RecurrenceKind.WEEKLY:
        days = ", ".join(WEEKDAY_NAMES[d] for d in sorted(schedule.weekdays or []))
        return f"every {days} at {at}"
    if kind == RecurrenceKind.MONTHLY:
        return f"monthly on day {schedule.monthday} at {at} (the last day in shorter months)"
    return f"cron “{schedule.cron}” ({schedule.timezone})"


def amount_describe(schedule_or_run) -> str:
    """ "10 USD", "everything above 10 USD", "top up to 10 USD" — for a schedule or run."""
    kind = schedule_or_run.amount_kind
    value = getattr(schedule_or_run, "amount_param", None)
    if isinstance(schedule_or_run, TransferSchedule):
        value = schedule_or_run.amount
    text = f"{plain(value) if value is not None else '?'} {schedule_or_run.asset}"
    if kind == "sweep":
        return f"everything above {text}"
    if kind == "top_up":
        return f"top up to {text}"
    return text


# --- history ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryFilters:
    email: str = ""
    asset: str = ""
    since: date | None = None
    until: date | None = None


def history_records(
    *, connection: ExchangeConnection, filters: HistoryFilters
) -> QuerySet[TransferHistoryRecord]:
    qs = TransferHistoryRecord.objects.filter(connection=connection)
    if filters.email:
        qs = qs.filter(Q(from_email=filters.email) | Q(to_email=filters.email))
    if filters.asset:
        qs = qs.filter(asset=filters.asset)
    if filters.since:
        qs = qs.filter(time__date__gte=filters.since)
    if filters.until:
        qs = qs.filter(time__date__lte=filters.until)
    return qs.order_by("-time", "-pk")


def history_assets(*, connection: ExchangeConnection) -> list[str]:
    return list(
        TransferHistoryRecord.objects.filter(connection=connection)
        .values_list("asset", flat=True)
        .distinct()
        .order_by("asset")
    )


def history_cursor(*, connection: ExchangeConnection) -> TransferHistoryCursor | None:
    return TransferHistoryCursor.objects.filter(connection=connection).first()
