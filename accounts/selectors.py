"""Reads. A connection by id is fetched through ``accounts.access.connection_get_for_user``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import AuditRecord, Balance, ExchangeConnection, SubAccount
from desk.db.sql import model_row, model_rows
from desk.lists import DateRange
from desk.money import plain


def connection_list_for_user(*, user) -> QuerySet[ExchangeConnection]:
    return ExchangeConnection.objects.filter(user=user)


def connection_owned_by(*, user, pk: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return ExchangeConnection.objects.filter(pk=pk, user=user).exists()


def balance_list(*, connection: ExchangeConnection) -> QuerySet[Balance]:
    return Balance.objects.filter(connection=connection).order_by("asset")


def balances_payload(*, connection_id: int) -> dict:
    """What the browser receives for a balance refresh: strings for money, ISO-8601 UTC times.
    Made after every balance event of a connection, so read with SQL written once."""
    connection = model_row(
        ExchangeConnection, "{id} = %s", [connection_id], only=("balances_synced_at",)
    )
    if connection is None:
        raise ExchangeConnection.DoesNotExist(f"no connection {connection_id}")
    rows = model_rows(Balance, "{connection} = %s", [connection_id])  # by asset, as ordered
    return {
        "connection": connection_id,
        "synced_at": connection.balances_synced_at.isoformat()
        if connection.balances_synced_at
        else None,
        "balances": [
            {"asset": b.asset, "free": plain(b.free), "locked": plain(b.locked)} for b in rows
        ],
    }


def subaccount_list(*, connection: ExchangeConnection) -> QuerySet[SubAccount]:
    return SubAccount.objects.filter(connection=connection).order_by("email")


@dataclass(frozen=True)
class AuditFilters(DateRange):
    action: str = ""
    outcome: str = ""
    connection_id: int | None = None


def audit_records_for_user(*, user, filters: AuditFilters) -> QuerySet[AuditRecord]:
    """The user's own audit trail, newest first; strangers' records are never in the base set."""
    qs = AuditRecord.objects.filter(user=user).select_related("connection")
    exact = {
        "action": filters.action,
        "outcome": filters.outcome,
        "connection_id": filters.connection_id,
    }
    qs = qs.filter(**{name: value for name, value in exact.items() if value})  # blank: any
    return filters.dates_filter(qs, "created_at")


def audit_actions_for_user(*, user) -> list[str]:
    return sorted(set(AuditRecord.objects.filter(user=user).values_list("action", flat=True)))
