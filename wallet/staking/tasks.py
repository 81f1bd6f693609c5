"""Celery interfaces: ids in, one service call. Each is safe to run twice (claims are atomic,
syncs hold a per-connection lock and upsert, sweeps write only over what they read)."""

from celery import shared_task


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def send_staking_operation(operation_id: int) -> None:
    from wallet.staking import sending

    sending.operation_send(operation_id=operation_id)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def reconcile_staking() -> None:
    from wallet.staking import reconcile

    reconcile.staking_reconcile()


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def sync_staking(connection_id: int) -> None:
    from wallet.staking import sync

    sync.staking_sync(connection_id=connection_id)


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def sync_staking_all() -> None:
    """The beat's: one sync per connection that has staked through the desk or holds a
    staking history (rewards are paid once a day; the page and every operation sync too)."""
    from wallet.staking import selectors

    for connection_id in selectors.staking_connections():
        sync_staking.delay(connection_id)


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def plan_auto_stakes() -> None:
    """The beat's: every auto-stake schedule that is due asks for its stake."""
    from wallet.staking import autostake

    autostake.autostakes_plan_due()
