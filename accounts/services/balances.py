"""Writes for balances: storing what the exchange reports, and asking for fresh syncs."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

import kombu.exceptions
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto, realtime
from accounts.access import BALANCES, connection_can
from accounts.exchange import client_for_connection, describe_error
from accounts.models import Balance, ExchangeConnection, KeyType
from desk.rows import save_if_present

log = logging.getLogger(__name__)


def balances_store(
    *, connection: ExchangeConnection, balances: Iterable[binanceus.Balance], synced_at: datetime
) -> bool:
    """Replace the connection's balances with the exchange's nonzero ones; False when the
    connection was deleted meanwhile (its row is written first, which holds a delete off)."""
    connection.balances_synced_at = synced_at
    connection.last_sync_error = ""
    if not save_if_present(connection, "balances_synced_at", "last_sync_error", "updated_at"):
        return False
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
    return True


def connection_sync_balances(*, connection_id: int) -> None:
    """Fetch the connection's balances from the exchange and store them; push them to open pages.

    What "balances" are depends on the key type: an exchange key's spot account, a custodial
    key's exchange wallet (its custodial balances are the Custody tab's, read in the same call),
    a credit-line key's credit-line account (read by the credit line's poll, once a minute).

    An undecryptable key marks the connection as needing new keys and sends nothing; an
    exchange error is kept on the row for its page; a row deleted since the sync was queued is
    nothing to do. None of them is an error of the task: the sweep queues every row on its own.
    """
    connection = ExchangeConnection.objects.filter(pk=connection_id).first()
    if connection is None or not connection.is_active or not connection_can(connection, BALANCES):
        return
    if connection.key_type == KeyType.CREDIT_LINE:
        from creditline.sync import credit_line_poll  # the area stores its own balances

        credit_line_poll(connection_id=connection_id)
        return
    try:
        client = client_for_connection(connection)
    except crypto.CredentialsUnavailable:
        connection.needs_new_keys = True
        save_if_present(connection, "needs_new_keys", "updated_at")
        log.warning("connection %s: stored key cannot be decrypted", connection_id)
        return
    try:
        with client:
            fetched = _FETCH[connection.key_type](client, connection)
    except binanceus.BinanceUSError as exc:
        connection.last_sync_error = describe_error(exc)[:300]
        save_if_present(connection, "last_sync_error", "updated_at")
        return
    with transaction.atomic():
        flags, balances = fetched
        for name, value in flags.items():
            setattr(connection, name, value)
        if flags and not save_if_present(connection, *flags, "updated_at"):
            return
        if not balances_store(connection=connection, balances=balances, synced_at=timezone.now()):
            return
        transaction.on_commit(lambda: realtime.balances_push(connection_id=connection_id))


def _spot(client: binanceus.Client, connection: ExchangeConnection):
    account = client.account()
    flags = {
        "can_trade": account.can_trade,
        "can_withdraw": account.can_withdraw,
        "can_deposit": account.can_deposit,
    }
    return flags, account.balances


def _custodial(client: binanceus.Client, connection: ExchangeConnection):
    from custody.sync import custody_balances_sync  # the area stores the custodial side

    return {}, custody_balances_sync(connection=connection, client=client)


_FETCH = {KeyType.EXCHANGE: _spot, KeyType.CUSTODIAL: _custodial}


def connection_request_sync(*, connection: ExchangeConnection) -> bool:
    """Queue a balance sync if the stored balances are stale; True if one was queued.

    Pages call this on view so that balances are fresh without waiting for the next beat tick;
    a short cache lock keeps a burst of page views from queueing a burst of syncs.
    """
    from accounts.tasks import sync_balances  # tasks import services

    synced = connection.balances_synced_at
    if synced and (timezone.now() - synced).total_seconds() < settings.DESK_BALANCE_STALE_SECONDS:
        return False
    usable = connection.is_active and not connection.needs_new_keys
    if not usable or not connection_can(connection, BALANCES):
        return False
    if not cache.add(f"desk:sync-requested:{connection.pk}", 1, timeout=10):
        return False
    try:
        sync_balances.delay(connection.pk)
    except kombu.exceptions.OperationalError:
        log.warning("broker unavailable; balance sync for connection %s not queued", connection.pk)
        return False
    return True
