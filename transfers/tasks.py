"""Celery interfaces: ids in, one service call. Each is safe to run twice (claims are atomic)."""

from celery import shared_task

from transfers import reconcile, runs, scheduling


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def execute_run(run_id: int) -> None:
    runs.run_execute(run_id=run_id)


@shared_task(soft_time_limit=30, time_limit=45, ignore_result=True)
def plan_transfers() -> None:
    # New runs, and planned runs whose message was lost (a worker killed with it in hand):
    # sending either twice is harmless, since only one claim can succeed.
    for run_id in scheduling.runs_to_send():
        execute_run.delay(run_id)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def reconcile_transfers() -> None:
    reconcile.runs_reconcile()


@shared_task(soft_time_limit=120, time_limit=150, ignore_result=True)
def sync_transfer_history(connection_id: int) -> None:
    from transfers import history

    history.transfer_history_sync(connection_id=connection_id)


@shared_task(soft_time_limit=30, time_limit=45, ignore_result=True)
def sync_transfer_history_all() -> None:
    from transfers import history

    for connection_id in history.transfer_history_connections():
        sync_transfer_history.delay(connection_id)
