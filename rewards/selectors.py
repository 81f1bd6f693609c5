"""Reads of the database for the Rewards tab, the Broker page and the order ticket (no
network)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.access import REWARDS, key_types_with
from accounts.models import ExchangeConnection
from binanceus import to_ms
from desk.db.sql import model_row
from desk.money import plain
from rewards.models import (
    BizType,
    BrokerExport,
    ExportStatus,
    PartnerRebate,
    ReferralReward,
    RewardsProfile,
)

RECENT = 100  # rows per table on the tab; the CSV exports have them all
CHART_DAYS = 90
RECENT_EXPORTS = 10


def profile_of(*, connection: ExchangeConnection) -> RewardsProfile | None:
    """Read with SQL written once: every order placed asks it (``partner_prefix``)."""
    return model_row(RewardsProfile, "{connection} = %s", [connection.pk])


def partner_prefix(*, connection: ExchangeConnection) -> str:
    """What the order ticket puts before its client order ids so that the orders earn the
    connection's API-partner rebates (L3302: "ABCD1234-…"); "" when no partner id is set."""
    profile = profile_of(connection=connection)
    return f"{profile.partner_id}-" if profile and profile.partner_id else ""


def referral_list(*, connection: ExchangeConnection) -> QuerySet[ReferralReward]:
    return ReferralReward.objects.filter(connection=connection)


def rebate_list(*, connection: ExchangeConnection) -> QuerySet[PartnerRebate]:
    return PartnerRebate.objects.filter(connection=connection)


def recent_referrals(*, connection: ExchangeConnection, biz_type: int) -> list[ReferralReward]:
    return list(referral_list(connection=connection).filter(biz_type=biz_type)[:RECENT])


def recent_rebates(*, connection: ExchangeConnection) -> list[PartnerRebate]:
    return list(rebate_list(connection=connection)[:RECENT])


def totals(*, connection: ExchangeConnection) -> list[dict]:
    """Every stored reward and rebate summed per kind and asset (in Python: the money columns
    are text on SQLite)."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for biz, asset, amount in referral_list(connection=connection).values_list(
        "biz_type", "reward_type", "reward_amount"
    ):
        sums[(BizType(biz).label, asset)] += amount
    for asset, qty in rebate_list(connection=connection).values_list("asset", "qty"):
        sums[("Partner rebates", asset)] += qty
    return [{"kind": k, "asset": a, "total": v} for (k, a), v in sorted(sums.items())]


def _day_ms(at: datetime) -> int:
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return to_ms(day)


def chart_series(*, connection: ExchangeConnection) -> list[dict]:
    """Per kind and asset, the amount received each day of the last ``CHART_DAYS`` (oldest
    first, amounts as exact text): [{"key", "label", "points": [[day_ms, "sum"], ...]}]."""
    since = timezone.now() - timedelta(days=CHART_DAYS)
    days: dict[tuple[str, str], dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    referrals = referral_list(connection=connection).filter(received__gte=since)
    for biz, asset, amount, at in referrals.values_list(
        "biz_type", "reward_type", "reward_amount", "received"
    ):
        days[(f"referral-{biz}", f"Referral rewards {BizType(biz).label.lower()} ({asset})")][
            _day_ms(at)
        ] += amount
    rebates = rebate_list(connection=connection).filter(date__gte=since)
    for asset, qty, at in rebates.values_list("asset", "qty", "date"):
        days[(f"rebate-{asset}", f"Partner rebates ({asset})")][_day_ms(at)] += qty
    return [
        {
            "key": key,
            "label": label,
            "points": [[ms, plain(total)] for ms, total in sorted(by_day.items())],
        }
        for (key, label), by_day in sorted(days.items())
    ]


def export_list(*, connection: ExchangeConnection) -> list[BrokerExport]:
    return list(
        BrokerExport.objects.filter(connection=connection).defer("content")[:RECENT_EXPORTS]
    )


def export_get_for_connection(*, connection: ExchangeConnection, eid: int) -> BrokerExport:
    return get_object_or_404(BrokerExport, pk=eid, connection=connection)


def rewards_connections() -> list[int]:
    """The connections the periodic sync follows: usable exchange keys whose Rewards tab was
    opened at least once (it made their profile)."""
    rows = RewardsProfile.objects.filter(
        connection__key_type__in=key_types_with(REWARDS),
        connection__is_active=True,
        connection__needs_new_keys=False,
    )
    return list(rows.values_list("connection_id", flat=True))


def exports_to_follow(*, checked_before: datetime) -> list[int]:
    """Exports still being prepared whose last check is older than ``checked_before``: their
    follow-up task was lost (a worker restart) or is late."""
    rows = BrokerExport.objects.filter(status=ExportStatus.COLLECTING).exclude(
        checked_at__gte=checked_before
    )
    return list(rows.filter(requested_at__lt=checked_before).values_list("pk", flat=True))
