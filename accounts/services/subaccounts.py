"""Writes for the sub-accounts of a master connection, as the exchange lists them."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.access import TRANSFER, connection_can
from accounts.exchange import client_for_connection, describe_error
from accounts.models import ExchangeConnection, SubAccount
from desk.money import plain
from desk.rows import save_if_present

log = logging.getLogger(__name__)


def subaccounts_sync(*, connection_id: int) -> int:
    """List the connection's sub-accounts with their status and assets; returns how many.

    A key that is not a master's simply lists none; nor does a row deleted since the sync was
    queued, or one whose key cannot be decrypted.
    """
    connection = ExchangeConnection.objects.filter(pk=connection_id).first()
    if connection is None or not connection.is_active or not connection_can(connection, TRANSFER):
        return 0
    try:
        client = client_for_connection(connection)
    except crypto.CredentialsUnavailable:
        return 0
    try:
        with client:
            listed = client.sub_accounts()
            assets = {s.email: client.sub_account_assets(email=s.email).balances for s in listed}
    except binanceus.BinanceUSError as exc:
        log.info("connection %s: sub-accounts unavailable: %s", connection_id, describe_error(exc))
        return 0
    now = timezone.now()
    with transaction.atomic():
        SubAccount.objects.filter(connection=connection).exclude(
            email__in=[s.email for s in listed]
        ).delete()
        for sub in listed:
            SubAccount.objects.update_or_create(
                connection=connection,
                email=sub.email,
                defaults={
                    "status": sub.status or "",
                    "is_active": sub.enabled,
                    "created_on_exchange": sub.create_time,
                    "assets": [
                        {"asset": a.asset, "free": plain(a.free), "locked": plain(a.locked)}
                        for a in assets[sub.email]
                        if a.free or a.locked
                    ],
                    "synced_at": now,
                },
            )
        connection.subaccounts_synced_at = now
        save_if_present(connection, "subaccounts_synced_at", "updated_at")
    return len(listed)


def subaccounts_request_sync(*, connection: ExchangeConnection) -> None:
    from accounts.tasks import sync_subaccounts  # tasks import services

    sync_subaccounts.delay(connection.pk)
