"""Celery interfaces for trading: take ids, call one service, idempotent, time-limited."""

from celery import shared_task
from django.conf import settings

from trading.orders import reconcile, userdata

# An unknown order is looked at again this often until it settles (the beat sweep is the
# backstop if a retry is lost).
RECHECK_SECONDS = 3


@shared_task(soft_time_limit=20, time_limit=30, ignore_result=True)
def reconcile_order(order_pk: int, attempt: int = 1) -> None:
    if reconcile.order_reconcile(order_pk=order_pk) == reconcile.WAITING:
        _recheck(reconcile_order, order_pk, attempt)


@shared_task(soft_time_limit=20, time_limit=30, ignore_result=True)
def reconcile_order_list(list_pk: int, attempt: int = 1) -> None:
    if reconcile.order_list_reconcile(list_pk=list_pk) == reconcile.WAITING:
        _recheck(reconcile_order_list, list_pk, attempt)


def _recheck(task, pk: int, attempt: int) -> None:
    # A little past the grace period; after that the beat sweep keeps asking.
    if attempt * RECHECK_SECONDS <= settings.ORDER_RECONCILE_GRACE_SECONDS + 2 * RECHECK_SECONDS:
        task.apply_async((pk, attempt + 1), countdown=RECHECK_SECONDS)


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def reconcile_orders() -> None:
    reconcile.orders_reconcile()


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def keep_listen_keys_alive() -> None:
    userdata.listen_keys_keepalive()
