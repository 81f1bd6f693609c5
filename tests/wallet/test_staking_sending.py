"""Stake and unstake against the real sandbox, through each fault it can inject. The question
is always "how many stakes does the exchange's own staking history hold?"."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from accounts.models import AuditRecord
from tests.support import broker_clear
from wallet.staking import checks, reconcile, sending, services
from wallet.staking.models import OperationStatus, StakingOperation

pytestmark = pytest.mark.django_db

STAKE_PATH = "/sapi/v1/staking/stake"


def _request(conn, amount="1", *, kind="stake", asset="ETH", key=None) -> StakingOperation:
    return services.operation_request(
        connection=conn,
        user=conn.user,
        kind=kind,
        asset=asset,
        amount=Decimal(amount),
        request_key=key or uuid.uuid4().hex,
    )


def _calls(chain, path=STAKE_PATH) -> int:
    doc = requests.get(f"{chain.base}/sandbox/v1/requests", timeout=5).json()
    return doc["byPath"].get(path, 0)


def _rows(chain, kind="staked", asset="ETH") -> list:
    return [r for r in chain.staking_history(asset) if r.type == kind]


def test_it_stakes_once(wallet_master):
    conn, chain = wallet_master
    op = _request(conn, "2.5")
    assert op.status == OperationStatus.PLANNED
    done = sending.operation_send(operation_id=op.pk)
    assert done.status == OperationStatus.DONE and done.purchase_record_id
    assert chain.staked("ETH") == Decimal("2.5") and chain.free("ETH") == Decimal("47.5")
    # A second delivery of the task finds it taken and sends nothing.
    before = _calls(chain)
    assert sending.operation_send(operation_id=op.pk) is None
    assert _calls(chain) == before and len(_rows(chain)) == 1
    record = AuditRecord.objects.get(action="staking.stake")
    assert record.outcome == "ok" and record.exchange_ids["purchaseRecordId"]


def test_a_form_submitted_twice_is_one_stake(wallet_master):
    conn, _ = wallet_master
    key = uuid.uuid4().hex
    first = _request(conn, "1", key=key)
    assert _request(conn, "1", key=key).pk == first.pk
    with pytest.raises(services.OperationRefused, match="already submitted"):
        _request(conn, "2", key=key)
    assert StakingOperation.objects.filter(connection=conn).count() == 1


@pytest.mark.parametrize(
    ("amount", "field", "reason"),
    [
        ("0.001", "amount", "below the minimum stake of 0.01 ETH"),
        ("51", "amount", "more than the free balance (50 ETH)"),
        ("10001", "amount", "over the maximum of 10000 ETH staked"),
        ("0.000000001", "amount", "at most 8 decimal places"),
    ],
)
def test_it_refuses_a_stake_outside_the_limits_and_sends_nothing(
    wallet_master, amount, field, reason
):
    conn, chain = wallet_master
    before = _calls(chain)
    with pytest.raises(checks.StakingProblems) as refused:
        _request(conn, amount)
    [problem] = refused.value.problems
    assert problem.field == field and reason in problem.message
    assert _calls(chain) == before and not StakingOperation.objects.exists()


def test_it_refuses_an_asset_that_is_not_stakable_and_unstaking_more_than_staked(wallet_master):
    conn, _ = wallet_master
    with pytest.raises(checks.StakingProblems, match="BTC cannot be staked"):
        _request(conn, "1", asset="BTC")
    with pytest.raises(checks.StakingProblems, match=r"more than is staked \(0 ETH\)"):
        _request(conn, "1", kind="unstake")
    assert not StakingOperation.objects.exists()


def test_it_allows_one_operation_of_an_asset_in_flight(wallet_master):
    conn, _ = wallet_master
    first = _request(conn, "1")
    with pytest.raises(services.OperationRefused, match="still being sent or checked"):
        _request(conn, "2")
    sending.operation_send(operation_id=first.pk)
    assert _request(conn, "2").status == OperationStatus.PLANNED


def test_it_marks_an_executed_but_unanswered_stake_unknown_then_finds_it(wallet_master):
    conn, chain = wallet_master
    chain.faults(stake={"mode": "execute_then_500", "count": 1})
    op = sending.operation_send(operation_id=_request(conn, "3").pk)
    assert op.status == OperationStatus.UNKNOWN and op.unknown_since is not None
    before = _calls(chain)
    counts = reconcile.staking_reconcile()
    op.refresh_from_db()
    assert counts["done"] == 1 and op.status == OperationStatus.DONE and op.exchange_time
    assert _calls(chain) == before  # looked up, never sent again
    assert len(_rows(chain)) == 1 and chain.staked("ETH") == Decimal("3")


def test_it_times_out_into_unknown_never_into_a_resend(wallet_master, settings):
    conn, chain = wallet_master
    settings.EXCHANGE_TIMEOUT = 1
    chain.faults(stake={"mode": "execute_then_timeout", "count": 1, "holdSeconds": 3})
    op = sending.operation_send(operation_id=_request(conn, "1").pk)
    assert op.status == OperationStatus.UNKNOWN
    reconcile.staking_reconcile()
    op.refresh_from_db()
    assert op.status == OperationStatus.DONE and len(_rows(chain)) == 1


def test_it_retries_503_with_backoff_and_stakes_once(wallet_master):
    conn, chain = wallet_master
    chain.faults(stake={"mode": "unavailable_503", "count": 2})
    delays = []
    op = sending.operation_send(operation_id=_request(conn, "1").pk, sleep=delays.append)
    assert op.status == OperationStatus.DONE and delays == [0.2, 0.4]
    assert len(_rows(chain)) == 1 and chain.staked("ETH") == Decimal("1")


def test_an_unknown_repeat_of_the_same_amount_is_not_confused_with_the_first(wallet_master):
    """Two stakes of 1 ETH in a row, the second unanswered and then absent: the first one's
    history row must not settle the second."""
    conn, chain = wallet_master
    first = sending.operation_send(operation_id=_request(conn, "1").pk)
    assert first.status == OperationStatus.DONE
    chain.faults(stake={"mode": "unavailable_503", "count": 10})
    second = _request(conn, "1")
    StakingOperation.objects.filter(pk=second.pk).update(
        status=OperationStatus.UNKNOWN, sent_at=timezone.now(), unknown_since=timezone.now()
    )
    later = timezone.now() + timedelta(seconds=400)
    assert reconcile.staking_reconcile(now=later)["failed"] == 1
    second.refresh_from_db()
    assert second.status == OperationStatus.FAILED and "nothing was staked" in second.error_message
    assert len(_rows(chain)) == 1


def test_it_waits_out_the_history_lag_then_fails_an_absent_one(wallet_master, settings):
    conn, chain = wallet_master
    settings.STAKING_RECONCILE_GRACE_SECONDS, settings.STAKING_STALE_SECONDS = 300, 120
    op = _request(conn, "1")
    # A worker died after committing "sending", before the request left.
    StakingOperation.objects.filter(pk=op.pk).update(
        status=OperationStatus.SENDING, sent_at=timezone.now() - timedelta(seconds=130)
    )
    assert reconcile.staking_reconcile()["waiting"] == 1
    op.refresh_from_db()
    assert op.status == OperationStatus.UNKNOWN
    assert reconcile.staking_reconcile(now=timezone.now() + timedelta(seconds=200))["failed"] == 1
    op.refresh_from_db()
    assert op.status == OperationStatus.FAILED and chain.staked("ETH") == 0


def test_it_fails_with_the_exchanges_code_and_message(wallet_master):
    conn, chain = wallet_master
    op = _request(conn, "2")
    # The catalogue's minimum rises between the check and the send.
    chain.change_staking({"ETH": {"minStakingLimit": "5"}})
    done = sending.operation_send(operation_id=op.pk)
    assert done.status == OperationStatus.FAILED
    assert done.error_code == -1130 and "amount" in done.error_message
    assert chain.staked("ETH") == 0 and _rows(chain) == []


def test_it_unstakes_once_and_the_history_shows_it_pending(wallet_master):
    conn, chain = wallet_master
    sending.operation_send(operation_id=_request(conn, "4").pk)
    op = sending.operation_send(operation_id=_request(conn, "1.5", kind="unstake").pk)
    assert op.status == OperationStatus.DONE
    assert chain.staked("ETH") == Decimal("2.5") and chain.free("ETH") == Decimal("46")
    [row] = _rows(chain, "unstaked")
    assert row.status == "PENDING" and row.amount == Decimal("1.5")


def test_the_sweep_sends_again_what_a_dead_worker_claimed_but_never_sent(
    wallet_master, celery_queue
):
    from tests.wallet.conftest import queued

    conn, _ = wallet_master
    op = _request(conn, "1")
    StakingOperation.objects.filter(pk=op.pk).update(
        status=OperationStatus.CLAIMED, claimed_at=timezone.now() - timedelta(seconds=600)
    )
    broker_clear(celery_queue)
    assert reconcile.staking_reconcile(now=timezone.now() + timedelta(seconds=60))["requeued"] == 1
    assert ("wallet.staking.tasks.send_staking_operation", [op.pk]) in queued(celery_queue)


def test_a_worker_whose_stale_claim_was_taken_by_another_sends_nothing(wallet_master):
    """Worker A claims, then stalls past the stale period; the sweep hands the claim back and
    worker B claims it. A waking up must not mark it sending (nor send it)."""
    from desk.intents import intent_mark_sending

    conn, chain = wallet_master
    op = _request(conn, "1")
    StakingOperation.objects.filter(pk=op.pk).update(
        status=OperationStatus.CLAIMED, claimed_at=timezone.now() - timedelta(seconds=600)
    )
    stalled = StakingOperation.objects.get(pk=op.pk)  # what worker A read after its claim
    reconcile.staking_reconcile(now=timezone.now() + timedelta(seconds=60))  # handed back
    StakingOperation.objects.filter(pk=op.pk).update(
        status=OperationStatus.CLAIMED, claimed_at=timezone.now()
    )  # worker B's claim
    assert intent_mark_sending(stalled, sent_at=timezone.now()) is False
    op.refresh_from_db()
    assert op.status == OperationStatus.CLAIMED and op.attempts == 0 and op.sent_at is None
    assert chain.staked("ETH") == 0


def test_a_staking_balance_that_cannot_be_read_says_why_and_sends_nothing(wallet_master):
    from accounts.exchange import weight_budget
    from wallet.staking import reads

    conn, chain = wallet_master
    assert not reads.staking_assets(connection=conn).error  # the catalogue is read (cached)
    budget = weight_budget("sandbox")
    budget.back_off(30, status=429)  # another process saw a 429: nobody sends until it ends
    try:
        with pytest.raises(checks.StakingProblems) as refused:
            _request(conn, "1")
    finally:
        budget.redis.delete(budget.block_key)
    [problem] = refused.value.problems
    assert problem.field is None and "cannot be read right now" in problem.message
    assert "WeightLimitExceeded" in problem.message and "nothing was sent" in problem.message
    assert not StakingOperation.objects.exists() and chain.staked("ETH") == 0
