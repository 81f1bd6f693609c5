"""Which wallet histories to sync and when: every exchange connection on the beat, one on
"sync now", and one whose balance just moved (a ``balanceUpdate``: a deposit credited, a
withdrawal sent or refunded). The sync itself is ``services.activity_sync``."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from accounts import access
from accounts.models import ExchangeConnection
from wallet.activity.services import CAPABILITY, activity_syncable

# Balance moves come in bursts (a withdrawal is a balanceUpdate and an account position): one
# sync per connection in this window answers all of them.
BALANCE_SYNC_DEBOUNCE_SECONDS = 5


def activity_connections() -> list[int]:
    """Connections the beat syncs: active exchange keys that work."""
    return list(
        ExchangeConnection.objects.filter(
            is_active=True,
            needs_new_keys=False,
            key_type__in=access.key_types_with(CAPABILITY),
        ).values_list("pk", flat=True)
    )


def _queue(connection_id: int, *, all_coins: bool) -> None:
    from wallet.activity.tasks import sync_wallet_activity  # tasks import services

    transaction.on_commit(lambda: sync_wallet_activity.delay(connection_id, all_coins))


def activity_sync_now(*, connection: ExchangeConnection) -> bool:
    """The "sync now" button: every coin read once the transaction commits; False (nothing
    queued) when the connection cannot sync."""
    if not activity_syncable(connection=connection):
        return False
    _queue(connection.pk, all_coins=True)
    return True


def activity_balance_moved(*, connection: ExchangeConnection) -> bool:
    """A balance of the connection moved (the user-data stream's ``balanceUpdate``, or a page
    that saw its balances change): sync its held coins, at most once per debounce window.
    Returns whether a sync was queued."""
    if not activity_syncable(connection=connection):
        return False
    marker = f"desk:wallet:balance-moved:{connection.pk}"
    if not cache.add(marker, 1, timeout=BALANCE_SYNC_DEBOUNCE_SECONDS):
        return False
    _queue(connection.pk, all_coins=False)
    return True
