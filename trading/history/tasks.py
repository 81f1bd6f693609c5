"""Celery interfaces for history: ids in, one service call. A slice is short and idempotent (it
holds a per-row lock and stores page and position together), so running one twice is harmless."""

from celery import shared_task

from trading.history import planning, services


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def sync_history_slice(connection_id: int, kind: str, symbol: str) -> None:
    outcome = services.history_sync(connection_id=connection_id, kind=kind, symbol=symbol)
    if outcome.again:
        sync_history_slice.apply_async((connection_id, kind, symbol), countdown=outcome.delay)


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def sync_history_all() -> None:
    for connection_id, kind, symbol in planning.history_plan():
        sync_history_slice.delay(connection_id, kind, symbol)
