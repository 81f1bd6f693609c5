"""Reads. Every owned object is fetched through a helper that checks ownership."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Balance, ExchangeConnection
from desk.money import plain


def connection_list_for_user(*, user) -> QuerySet[ExchangeConnection]:
    return ExchangeConnection.objects.filter(user=user)


def get_connection_for_user(user, pk: int) -> ExchangeConnection:
    """The user's connection ``pk``, or 404 — for strangers exactly as for missing rows."""
    try:
        return ExchangeConnection.objects.get(pk=pk, user=user)
    except (ExchangeConnection.DoesNotExist, ValueError, TypeError):
        raise Http404("No such connection.") from None


def connection_owned_by(*, user, pk: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return ExchangeConnection.objects.filter(pk=pk, user=user).exists()


def balance_list(*, connection: ExchangeConnection) -> QuerySet[Balance]:
    return Balance.objects.filter(connection=connection).order_by("asset")


def balances_payload(*, connection_id: int) -> dict:
    """What the browser receives for a balance refresh: strings for money, ISO-8601 UTC times."""
    connection = ExchangeConnection.objects.only("pk", "balances_synced_at").get(pk=connection_id)
    rows = Balance.objects.filter(connection_id=connection_id).order_by("asset")
    return {
        "connection": connection_id,
        "synced_at": connection.balances_synced_at.isoformat()
        if connection.balances_synced_at
        else None,
        "balances": [
            {"asset": b.asset, "free": plain(b.free), "locked": plain(b.locked)} for b in rows
        ],
    }
