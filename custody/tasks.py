"""Celery interfaces: ids in, one service call. Each is safe to run twice (claims are atomic,
syncs hold a per-connection lock and upsert, sweeps write only over what they read)."""

from celery import shared_task


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def send_custody_transfer(transfer_id: int) -> None:
    from custody import sending

    sending.transfer_send(transfer_id=transfer_id)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def reconcile_custody() -> None:
    from custody import reconcile

    reconcile.custody_reconcile()


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def sync_custody(connection_id: int) -> None:
    from custody import sync

    sync.custody_sync(connection_id=connection_id)


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def sync_custody_all() -> None:
    """The beat's: one sync per custodial connection whose tab was opened (transfers the desk
    sent are followed sooner: each one settled queues a sync)."""
    from custody import selectors

    for connection_id in selectors.custody_connections():
        sync_custody.delay(connection_id)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def send_custodial_order(order_id: int) -> None:
    from custody.orders import sending

    sending.order_send(order_id=order_id)
