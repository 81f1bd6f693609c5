"""Value over time: one portfolio snapshot per user every five minutes, thinned as it ages.

Celery beat takes them (``dashboard.tasks.snapshot_portfolios``); a slot is the five minutes it
falls in, so a second beat (or a retry) finds the slot taken and writes nothing. The last day
keeps every slot, the last week one an hour, the last year one a day, and older ones go: at most
288 + 144 + 358 rows a user, so a chart over any range reads a few hundred rows at most.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from dashboard.models import PortfolioSnapshot
from dashboard.portfolio import portfolio
from desk.money import plain

SLOT = timedelta(minutes=5)
RANGES = {"24h": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
RANGES["1y"] = timedelta(days=365)
# (age beyond which rows are thinned, to one per this unit); rows older than KEEP go.
THINNING = ((timedelta(days=1), TruncHour), (timedelta(days=7), TruncDay))
KEEP = timedelta(days=366)


def slot_of(at: datetime) -> datetime:
    seconds = int(at.timestamp()) // int(SLOT.total_seconds()) * int(SLOT.total_seconds())
    return datetime.fromtimestamp(seconds, tz=UTC)


def snapshot_take(*, user, at: datetime | None = None) -> PortfolioSnapshot | None:
    """The user's snapshot for the slot of ``at`` (now); None when the slot was already taken."""
    slot = slot_of(at or timezone.now())
    seen = PortfolioSnapshot.objects.filter(user=user).aggregate(
        rows=Count("pk"), here=Count("pk", filter=Q(taken_at=slot))
    )
    if seen["here"]:
        return None
    held = portfolio(user=user)
    row = PortfolioSnapshot(
        user=user,
        taken_at=slot,
        total_usd=held.total,
        parts={part: plain(value) for part, _label, value in held.by_part()},
        unpriced=held.unpriced,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # another beat took the slot between the check and the write
        return None
    if not seen["rows"]:  # the chart would start today: estimate the days before
        transaction.on_commit(lambda: _backfill_queue(row.user_id))
    return row


def _backfill_queue(user_id: int) -> None:
    from dashboard.tasks import backfill_portfolio

    backfill_portfolio.delay(user_id)


def snapshot_users():
    """Users with at least one exchange connection: nobody else has anything to value."""
    return get_user_model().objects.filter(connections__isnull=False).distinct()


def snapshots_thin(*, now: datetime | None = None) -> int:
    """Thin every user's older snapshots (see the module's doc); how many rows went."""
    now = now or timezone.now()
    gone, _ = PortfolioSnapshot.objects.filter(taken_at__lt=now - KEEP).delete()
    for age, unit in THINNING:
        older = PortfolioSnapshot.objects.filter(taken_at__lt=now - age)
        kept = (
            older.annotate(bucket=unit("taken_at"))
            .values("user_id", "bucket")
            .annotate(first=Min("id"))
            .values("first")
        )
        removed, _ = older.exclude(id__in=kept).delete()
        gone += removed
    return gone


def series(*, user, span: str, now: datetime | None = None) -> list[tuple[datetime, str, bool]]:
    """(slot, total USD as exact text, estimated) of the user's snapshots over ``span`` (a
    RANGES key)."""
    since = (now or timezone.now()) - RANGES[span]
    rows = PortfolioSnapshot.objects.filter(user=user, taken_at__gte=since).order_by("taken_at")
    fields = ("taken_at", "total_usd", "estimated")
    return [(at, plain(total), guess) for at, total, guess in rows.values_list(*fields)]
