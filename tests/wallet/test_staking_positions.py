"""What is staked now (``StakedPosition``), stored by the staking sync from the sandbox's
``GET staking/stakingBalance``: kept as the exchange lists it, deleted once it is not listed,
and read again after a stake settles."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from tests.wallet.conftest import queued
from wallet.staking import sending, services, sync
from wallet.staking.models import StakedPosition

pytestmark = pytest.mark.django_db

SYNC_TASK = "wallet.staking.tasks.sync_staking"


def _positions(conn) -> dict[str, Decimal]:
    return dict(StakedPosition.objects.filter(connection=conn).values_list("asset", "amount"))


def test_it_stores_what_is_staked_and_deletes_what_is_no_longer_listed(wallet_master):
    conn, chain = wallet_master
    # A row an earlier sync stored, for an asset the exchange no longer lists.
    StakedPosition.objects.create(connection=conn, asset="SOL", amount=Decimal("5"))
    with chain.client() as exchange:
        exchange.stake(staking_asset="ETH", amount=Decimal("3"), auto_restake=False)

    assert sync.staking_sync(connection_id=conn.pk) >= 3  # the stake's row, ETH in, SOL out
    assert _positions(conn) == {"ETH": Decimal("3")}
    assert StakedPosition.objects.get(connection=conn).auto_restake is False
    assert sync.staking_sync(connection_id=conn.pk) == 0  # read again: the same position

    with chain.client() as exchange:
        exchange.unstake(staking_asset="ETH", amount=Decimal("1"))
    sync.staking_sync(connection_id=conn.pk)
    assert _positions(conn) == {"ETH": Decimal("2")} == {"ETH": chain.staked("ETH")}

    with chain.client() as exchange:
        exchange.unstake(staking_asset="ETH", amount=Decimal("2"))
    sync.staking_sync(connection_id=conn.pk)
    assert _positions(conn) == {}


def test_a_settled_stake_queues_the_sync_that_stores_its_position(
    wallet_master, celery_queue, django_capture_on_commit_callbacks
):
    conn, chain = wallet_master
    with django_capture_on_commit_callbacks(execute=True):
        op = services.operation_request(
            connection=conn,
            user=conn.user,
            kind="stake",
            asset="ETH",
            amount=Decimal("2"),
            request_key="p" * 32,
        )
    with django_capture_on_commit_callbacks(execute=True):
        sending.operation_send(operation_id=op.pk)
    op.refresh_from_db()
    assert op.status == "done"
    assert (SYNC_TASK, [conn.pk]) in queued(celery_queue)

    sync.staking_sync(connection_id=conn.pk)  # what the worker runs for that message
    assert _positions(conn) == {"ETH": Decimal("2")} == {"ETH": chain.staked("ETH")}


def test_a_sync_asked_for_while_another_runs_is_run_after_it(
    wallet_master, celery_queue, django_capture_on_commit_callbacks
):
    conn, _ = wallet_master
    lock = f"desk:staking:sync-lock:{conn.pk}"
    cache.add(lock, 1, timeout=60)  # another worker's sync of the connection is running
    try:
        assert sync.staking_sync(connection_id=conn.pk) is None
    finally:
        cache.delete(lock)
    assert queued(celery_queue) == []

    # The running one ends (here: the next one to run): the skipped one is queued once.
    with django_capture_on_commit_callbacks(execute=True):
        sync.staking_sync(connection_id=conn.pk)
    assert queued(celery_queue).count((SYNC_TASK, [conn.pk])) == 1
    with django_capture_on_commit_callbacks(execute=True):
        sync.staking_sync(connection_id=conn.pk)
    assert queued(celery_queue).count((SYNC_TASK, [conn.pk])) == 1
