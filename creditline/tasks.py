"""Celery interfaces: ids in, one service call. Each is safe to run twice (claims are atomic,
polls hold a per-connection gate and upsert, sweeps write only over what they read)."""

from celery import shared_task


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def send_credit_transfer(transfer_id: int) -> None:
    from creditline import sending

    sending.transfer_send(transfer_id=transfer_id)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def reconcile_credit_transfers() -> None:
    from creditline import reconcile

    reconcile.credit_transfers_reconcile()


@shared_task(soft_time_limit=40, time_limit=55, ignore_result=True)
def poll_credit_line(connection_id: int, force: bool = False) -> None:
    from creditline import sync

    sync.credit_line_poll(connection_id=connection_id, force=force)
