"""Reads of the database for the Credit line tab and the alert banners (no network)."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from accounts.access import CREDIT_LINE, key_types_with
from accounts.models import Balance, ExchangeConnection
from binanceus import to_ms
from creditline.models import CreditAlert, CreditLineState, CreditLoan, CreditTransfer, LtvPoint
from desk.money import plain

RECENT = 50
CHART_DAYS = 30


def state_of(*, connection: ExchangeConnection) -> CreditLineState | None:
    return CreditLineState.objects.filter(connection=connection).first()


def loans_of(*, connection: ExchangeConnection) -> list[CreditLoan]:
    return list(CreditLoan.objects.filter(connection=connection))


def collateral_of(*, connection: ExchangeConnection) -> list[Balance]:
    return list(Balance.objects.filter(connection=connection))


def ltv_series(*, connection: ExchangeConnection) -> list[list]:
    """[[ms, "ltv"], ...] oldest first over the chart's days, for the page's chart."""
    since = timezone.now() - timedelta(days=CHART_DAYS)
    points = LtvPoint.objects.filter(connection=connection, at__gte=since)
    return [[to_ms(p.at), str(p.ltv)] for p in points]


def alert_list(*, connection: ExchangeConnection) -> list[CreditAlert]:
    return list(CreditAlert.objects.filter(connection=connection)[:RECENT])


def transfer_list(*, connection: ExchangeConnection) -> list[CreditTransfer]:
    return list(CreditTransfer.objects.filter(connection=connection)[:RECENT])


def transfer_get_for_connection(*, connection: ExchangeConnection, tid: int) -> CreditTransfer:
    return get_object_or_404(CreditTransfer, pk=tid, connection=connection)


def credit_line_pks_for_user(*, user) -> list[int]:
    rows = ExchangeConnection.objects.filter(user=user, key_type__in=key_types_with(CREDIT_LINE))
    return list(rows.values_list("pk", flat=True))


def open_alerts_for_user(*, user) -> list[CreditAlert]:
    """The user's alerts whose banner is still open, newest first (every page shows them)."""
    if not user.is_authenticated:
        return []
    rows = CreditAlert.objects.filter(connection__user=user, dismissed_at=None)
    return list(rows.select_related("connection")[:5])


def alert_payload(alert: CreditAlert) -> dict:
    return {
        "id": alert.pk,
        "connection": alert.connection_id,
        "label": alert.connection.label,
        "type": alert.alert_type,
        "typeLabel": alert.get_alert_type_display(),
        "ltv": plain(alert.current_ltv),
        "ltvText": f"{plain(alert.current_ltv * 100)} %",
        "time": to_ms(alert.alert_time),
        "dismissUrl": reverse("creditline:alert-dismiss", args=[alert.connection_id, alert.pk]),
        "url": reverse("creditline:index", args=[alert.connection_id]),
    }
