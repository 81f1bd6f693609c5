"""Celery interfaces: ids in, one service call. Each is safe to run twice (claims are atomic)."""

from celery import shared_task

from transfers import scheduling, services


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True, acks_late=True)
def execute_run(run_id: int) -> None:
    services.run_execute(run_id=run_id)


@shared_task(soft_time_limit=30, time_limit=45, ignore_result=True)
def plan_transfers() -> None:
    scheduling.schedules_plan_due()
    for run_id in scheduling.runs_ready():
        execute_run.delay(run_id)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def reconcile_transfers() -> None:
    services.runs_reconcile()
