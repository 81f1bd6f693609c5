"""Writes for exchange connections and balances.

Exchange calls happen outside database transactions; rows are written only after the exchange
has answered, so a failed verification leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import kombu.exceptions
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto, realtime
from accounts.exchange import client_for_connection, client_for_credentials, describe_error
from accounts.models import Balance, ExchangeConnection, KeyType

log = logging.getLogger(__name__)


class ConnectionVerificationError(Exception):
    """The exchange refused the credentials (or could not be reached); nothing was saved."""

    def __init__(self, message: str, *, code: int | None = None):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Verification:
    account: binanceus.Account
    account_status: str
    verified_at: datetime


def credentials_verify(
    *, key_type: str, environment: str, api_key: str, api_secret: str
) -> Verification:
    """Ask the exchange whether the key works, and what it may do."""
    if key_type != KeyType.EXCHANGE:
        raise ConnectionVerificationError(
            "Only Exchange API keys can be verified in this version; Custodial Solution and "
            "Credit Line keys follow."
        )
    client = client_for_credentials(environment=environment, api_key=api_key, api_secret=api_secret)
    try:
        with client:
            account = client.account()
            status = client.account_status()
    except binanceus.BinanceUSError as exc:
        raise ConnectionVerificationError(
            describe_error(exc), code=getattr(exc, "code", None)
        ) from None
    return Verification(account=account, account_status=status.status, verified_at=timezone.now())


def connection_create(
    *, user, label: str, key_type: str, environment: str, api_key: str, api_secret: str
) -> ExchangeConnection:
    verification = credentials_verify(
        key_type=key_type, environment=environment, api_key=api_key, api_secret=api_secret
    )
    with transaction.atomic():
        connection = ExchangeConnection(
            user=user,
            label=label,
            key_type=key_type,
            environment=environment,
            api_key_encrypted=crypto.encrypt(api_key),
            api_secret_encrypted=crypto.encrypt(api_secret),
            key_fingerprint=crypto.fingerprint(api_key),
        )
        _apply_account_facts(connection, verification.account)
        connection.account_status = verification.account_status
        connection.verified_at = verification.verified_at
        connection.save()
        _balances_store(
            connection=connection,
            balances=verification.account.balances,
            synced_at=verification.verified_at,
        )
    return connection


def connection_import(
    *, user, label: str, key_type: str, environment: str, api_key: str, api_secret: str
) -> ExchangeConnection:
    """Store credentials without asking the exchange (demo seeding, before the sandbox runs).
    The first balance sync fills in what the exchange says about the key."""
    return ExchangeConnection.objects.create(
        user=user,
        label=label,
        key_type=key_type,
        environment=environment,
        api_key_encrypted=crypto.encrypt(api_key),
        api_secret_encrypted=crypto.encrypt(api_secret),
        key_fingerprint=crypto.fingerprint(api_key),
    )


def _apply_account_facts(connection: ExchangeConnection, account: binanceus.Account) -> None:
    connection.can_trade = account.can_trade
    connection.can_withdraw = account.can_withdraw
    connection.can_deposit = account.can_deposit
    connection.account_type = account.account_type or ""
    connection.permissions = list(account.permissions or [])


def _balances_store(
    *, connection: ExchangeConnection, balances: Iterable[binanceus.Balance], synced_at: datetime
) -> None:
    """Replace the connection's balances with the exchange's nonzero ones."""
    nonzero = {b.asset: b for b in balances if b.free or b.locked}
    Balance.objects.filter(connection=connection).exclude(asset__in=nonzero).delete()
    existing = {b.asset: b for b in Balance.objects.filter(connection=connection)}
    to_create, to_update = [], []
    for asset, bal in nonzero.items():
        row = existing.get(asset)
        if row is None:
            to_create.append(
                Balance(
                    connection=connection,
                    asset=asset,
                    free=bal.free,
                    locked=bal.locked,
                    updated_at=synced_at,
                )
            )
        elif (row.free, row.locked) != (bal.free, bal.locked):
            row.free, row.locked, row.updated_at = bal.free, bal.locked, synced_at
            to_update.append(row)
    Balance.objects.bulk_create(to_create)
    Balance.objects.bulk_update(to_update, ["free", "locked", "updated_at"])
    connection.balances_synced_at = synced_at
    connection.last_sync_error = ""
    connection.save(update_fields=["balances_synced_at", "last_sync_error", "updated_at"])


def connection_sync_balances(*, connection_id: int) -> None:
    """Fetch the account from the exchange and store its balances; push them to open pages."""
    connection = ExchangeConnection.objects.get(pk=connection_id)
    if not connection.is_active or connection.key_type != KeyType.EXCHANGE:
        return
    try:
        client = client_for_connection(connection)
    except crypto.CredentialsUnavailable:
        connection.needs_new_keys = True
        connection.save(update_fields=["needs_new_keys", "updated_at"])
        return
    try:
        with client:
            account = client.account()
    except binanceus.BinanceUSError as exc:
        connection.last_sync_error = describe_error(exc)[:300]
        connection.save(update_fields=["last_sync_error", "updated_at"])
        return
    with transaction.atomic():
        _apply_account_facts(connection, account)
        connection.save(
            update_fields=[
                "can_trade",
                "can_withdraw",
                "can_deposit",
                "account_type",
                "permissions",
                "updated_at",
            ]
        )
        _balances_store(connection=connection, balances=account.balances, synced_at=timezone.now())
        transaction.on_commit(lambda: realtime.balances_push(connection_id=connection_id))


def connection_request_sync(*, connection: ExchangeConnection) -> bool:
    """Queue a balance sync if the stored balances are stale; True if one was queued.

    Pages call this on view so that balances are fresh without waiting for the next beat tick;
    a short cache lock keeps a burst of page views from queueing a burst of syncs.
    """
    from accounts.tasks import sync_balances  # tasks import services: avoid the import cycle

    synced = connection.balances_synced_at
    if synced and (timezone.now() - synced).total_seconds() < settings.DESK_BALANCE_STALE_SECONDS:
        return False
    if not connection.is_active or connection.needs_new_keys:
        return False
    if not cache.add(f"desk:sync-requested:{connection.pk}", 1, timeout=10):
        return False
    try:
        sync_balances.delay(connection.pk)
    except kombu.exceptions.OperationalError:
        log.warning("broker unavailable; balance sync for connection %s not queued", connection.pk)
        return False
    return True


def connection_rename(*, connection: ExchangeConnection, label: str) -> ExchangeConnection:
    connection.label = label
    connection.save(update_fields=["label", "updated_at"])
    return connection


def connection_delete(*, connection: ExchangeConnection) -> None:
    connection.delete()
