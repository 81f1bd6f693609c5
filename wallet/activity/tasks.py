"""Celery interfaces for the wallet histories: ids in, one service call. A sync holds a
per-connection lock and its upserts are idempotent, so running one twice is harmless."""

from celery import shared_task


# "Sync now" reads two histories per coin of getall: a few hundred requests of weight 1.
@shared_task(soft_time_limit=240, time_limit=280, ignore_result=True, acks_late=True)
def sync_wallet_activity(connection_id: int, all_coins: bool = False) -> None:
    from wallet.activity import services

    services.activity_sync(connection_id=connection_id, all_coins=all_coins)


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def sync_wallet_activity_all() -> None:
    """The beat's: one sync task per exchange connection."""
    from wallet.activity import planning

    for connection_id in planning.activity_connections():
        sync_wallet_activity.delay(connection_id)
