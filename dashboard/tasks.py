from celery import shared_task

from desk.periodic import each_row


@shared_task(soft_time_limit=240, time_limit=270, ignore_result=True)
def snapshot_portfolios() -> None:
    """The beat's: every user's portfolio in this five-minute slot, then the old ones thinned.
    Values come from stored rows and the last prices (one read for everybody), no user's keys."""
    from dashboard import history

    each_row("portfolio snapshot of user", history.snapshot_users(), _take)
    history.snapshots_thin()


def _take(user) -> None:
    from dashboard import history

    history.snapshot_take(user=user)


@shared_task(soft_time_limit=120, time_limit=150, ignore_result=True)
def backfill_portfolio(user_id: int) -> None:
    """Daily values before the user's first snapshot, estimated from their history."""
    from django.contrib.auth import get_user_model

    from dashboard.backfill import portfolio_backfill

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None:
        portfolio_backfill(user=user)
