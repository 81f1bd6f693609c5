"""Celery interfaces: ids in, one service call. Each is safe to run twice (a sync holds a
per-connection lock and upserts; an export's check holds a lock and writes only over a row
still being prepared)."""

from celery import shared_task


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def sync_rewards(connection_id: int, force: bool = False) -> None:
    from rewards import sync

    sync.rewards_sync(connection_id=connection_id, force=force)


@shared_task(soft_time_limit=50, time_limit=60, ignore_result=True)
def sync_rewards_all() -> None:
    """The beat's: one sync per connection whose Rewards tab was opened. The schedule is its
    own gate, so these pass the tab's once-a-minute one."""
    from rewards import selectors

    for connection_id in selectors.rewards_connections():
        sync_rewards.delay(connection_id, True)


@shared_task(soft_time_limit=60, time_limit=90, ignore_result=True)
def follow_broker_export(export_id: int) -> None:
    from rewards import exporting

    exporting.export_follow(export_id=export_id)


@shared_task(soft_time_limit=30, time_limit=45, ignore_result=True)
def sweep_broker_exports() -> None:
    """The beat's: exports whose next check was lost (a worker restart) are checked again."""
    from rewards import exporting

    exporting.exports_sweep()
