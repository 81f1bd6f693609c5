"""Celery interfaces: take ids, call one service. These are reads, so they are idempotent."""

from celery import shared_task

from accounts import services
from accounts.access import BALANCES, TRANSFER, key_type_can, key_types_with
from accounts.models import ExchangeConnection


@shared_task(soft_time_limit=30, time_limit=45, ignore_result=True)
def sync_balances(connection_id: int) -> None:
    services.connection_sync_balances(connection_id=connection_id)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def sync_subaccounts(connection_id: int) -> None:
    services.subaccounts_sync(connection_id=connection_id)


@shared_task(soft_time_limit=20, time_limit=30, ignore_result=True)
def sync_all_balances() -> None:
    rows = ExchangeConnection.objects.filter(
        is_active=True, needs_new_keys=False, key_type__in=key_types_with(BALANCES)
    ).values_list("pk", "key_type", "subaccounts_synced_at")
    for pk, key_type, subaccounts_synced_at in rows:
        sync_balances.delay(pk)
        if subaccounts_synced_at is None and key_type_can(key_type, TRANSFER):
            # e.g. a seeded connection: list its sub-accounts once
            sync_subaccounts.delay(pk)
