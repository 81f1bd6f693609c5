"""Celery interfaces: ids in, one service call. Each is safe to run twice (claims are atomic,
sweeps write only over what they read)."""

from celery import shared_task


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def send_withdrawal(withdrawal_id: int) -> None:
    from wallet.withdrawals import sending

    sending.withdrawal_send(withdrawal_id=withdrawal_id)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def reconcile_withdrawals() -> None:
    from wallet.withdrawals import reconcile

    reconcile.withdrawals_reconcile()


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def follow_withdrawals() -> None:
    from wallet.withdrawals import follow

    follow.withdrawals_follow()
