"""Celery interfaces: ids in, one service call. Each is safe to run twice (claims are atomic,
follows write only what the exchange says, sweeps write only over what they read)."""

from celery import shared_task


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def send_otc_conversion(conversion_id: int) -> None:
    from convert import sending

    sending.otc_send(conversion_id=conversion_id)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def send_dust_conversion(conversion_id: int) -> None:
    from convert import sending

    sending.dust_send(conversion_id=conversion_id)


@shared_task(soft_time_limit=20, time_limit=30, ignore_result=True)
def follow_otc_conversion(conversion_id: int, tries: int = 0) -> None:
    from convert import sending

    sending.otc_follow(conversion_id=conversion_id, tries=tries)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def reconcile_conversions() -> None:
    from convert import reconcile

    reconcile.conversions_reconcile()
