"""Runs against the real sandbox, through each fault it can inject. Balances are checked on the
sandbox's own ledger: the question is always "how many times did money move?"."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditRecord
from tests.support import broker_messages
from transfers import reconcile, runs
from transfers.models import AmountKind, RunStatus, TransferRun, TransferSchedule

pytestmark = pytest.mark.django_db


def _run(conn, *, to="", frm="", asset="USD", kind=AmountKind.FIXED, param="10") -> TransferRun:
    return TransferRun.objects.create(
        connection=conn,
        planned_at=timezone.now(),
        from_email=frm,
        to_email=to,
        asset=asset,
        amount_kind=kind,
        amount_param=Decimal(param),
    )


def _no_sleep(delays):
    return delays.append


def test_it_moves_money_once(master):
    conn, ledger = master
    run = _run(conn, to=ledger.subs[0], param="12.5")
    done = runs.run_execute(run_id=run.pk)
    assert done.status == RunStatus.EXECUTED and done.txn_id
    assert ledger.free(ledger.master, "USD") == "987.50000000"
    assert ledger.free(ledger.subs[0], "USD") == "62.50000000"
    # A second delivery of the same task finds the run taken and sends nothing.
    before = ledger.requests_total()
    assert runs.run_execute(run_id=run.pk) is None
    assert ledger.requests_total() == before
    record = AuditRecord.objects.get(action="subaccount.transfer")
    assert record.outcome == "ok" and record.exchange_ids == {"txnId": done.txn_id}


def test_it_marks_an_executed_but_unanswered_transfer_unknown_then_confirms_it(master):
    conn, ledger = master
    ledger.faults(transfer={"mode": "execute_then_500", "count": 1})
    run = runs.run_execute(run_id=_run(conn, to=ledger.subs[0]).pk)
    assert run.status == RunStatus.UNKNOWN and run.error_code == -1007
    assert ledger.free(ledger.subs[0], "USD") == "60.00000000"  # it did execute
    counts = reconcile.runs_reconcile()
    run.refresh_from_db()
    assert run.status == RunStatus.EXECUTED and counts["executed"] == 1
    assert ledger.free(ledger.subs[0], "USD") == "60.00000000"  # and only once


def test_it_waits_out_history_lag_before_deciding(master, settings):
    conn, ledger = master
    ledger.faults(transfer={"mode": "execute_then_500", "count": 1}, historyLagSeconds=2)
    run = runs.run_execute(run_id=_run(conn, frm=ledger.subs[1], param="5").pk)
    assert run.status == RunStatus.UNKNOWN
    assert reconcile.runs_reconcile()["waiting"] == 1  # not in history yet, still within grace
    run.refresh_from_db()
    assert run.status == RunStatus.UNKNOWN
    later = timezone.now() + timedelta(seconds=3)
    ledger.advance_clock(2_200)
    assert reconcile.runs_reconcile(now=later)["executed"] == 1
    assert ledger.free(ledger.subs[1], "USD") == "45.00000000"


def test_it_times_out_into_unknown_never_into_a_resend(master, settings):
    conn, ledger = master
    settings.EXCHANGE_TIMEOUT = 1
    ledger.faults(transfer={"mode": "execute_then_timeout", "count": 1, "holdSeconds": 5})
    before = ledger.transfer_calls()
    run = runs.run_execute(run_id=_run(conn, to=ledger.subs[0], param="7").pk)
    assert run.status == RunStatus.UNKNOWN
    assert ledger.transfer_calls() - before == 1  # sent once, never re-sent
    reconcile.runs_reconcile()
    run.refresh_from_db()
    assert run.status == RunStatus.EXECUTED
    assert ledger.free(ledger.subs[0], "USD") == "57.00000000"


def test_it_retries_503_with_backoff_then_succeeds(master):
    conn, ledger = master
    ledger.faults(transfer={"mode": "unavailable_503", "count": 2})
    delays = []
    run = runs.run_execute(run_id=_run(conn, to=ledger.subs[0]).pk, sleep=_no_sleep(delays))
    assert run.status == RunStatus.EXECUTED
    assert delays == [0.2, 0.4]
    assert ledger.free(ledger.subs[0], "USD") == "60.00000000"


def test_it_gives_up_after_five_503_retries_with_nothing_moved(master, mailoutbox=None):
    conn, ledger = master
    conn.user.email = "owner@example.test"
    conn.user.save(update_fields=["email"])
    ledger.faults(transfer={"mode": "unavailable_503", "count": 10})
    delays = []
    run = runs.run_execute(run_id=_run(conn, to=ledger.subs[0]).pk, sleep=_no_sleep(delays))
    assert run.status == RunStatus.FAILED and run.error_code == -1008
    assert delays == [0.2, 0.4, 0.8, 1.6, 3.2]
    assert ledger.free(ledger.subs[0], "USD") == "50.00000000"


def test_it_fails_a_run_a_dead_worker_never_sent_after_the_grace_period(master, settings):
    conn, ledger = master
    settings.TRANSFER_RECONCILE_GRACE_SECONDS = 30
    run = _run(conn, to=ledger.subs[0])
    # The worker committed "sending" and died before the request left.
    long_ago = timezone.now() - timedelta(minutes=5)
    TransferRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SENDING, sent_at=long_ago, amount=Decimal("10")
    )
    assert reconcile.runs_reconcile()["failed"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "nothing was moved" in run.error_message
    assert ledger.free(ledger.subs[0], "USD") == "50.00000000"


def test_it_requeues_a_claim_whose_worker_died_before_sending(master, settings):
    conn, ledger = master
    run = _run(conn, to=ledger.subs[0])
    TransferRun.objects.filter(pk=run.pk).update(
        status=RunStatus.CLAIMED, claimed_at=timezone.now() - timedelta(minutes=10)
    )
    assert reconcile.runs_reconcile()["requeued"] == 1
    assert runs.run_execute(run_id=run.pk).status == RunStatus.EXECUTED
    assert ledger.free(ledger.subs[0], "USD") == "60.00000000"


def test_it_sweeps_everything_above_a_floor(master):
    conn, ledger = master
    run = runs.run_execute(
        run_id=_run(conn, frm=ledger.subs[0], kind=AmountKind.SWEEP, param="20").pk
    )
    assert run.status == RunStatus.EXECUTED and run.amount == Decimal("30")
    assert ledger.free(ledger.subs[0], "USD") == "20.00000000"


def test_it_tops_up_to_a_target_and_skips_when_already_there(master):
    conn, ledger = master
    run = runs.run_execute(
        run_id=_run(conn, to=ledger.subs[1], kind=AmountKind.TOP_UP, param="80").pk
    )
    assert run.amount == Decimal("30") and ledger.free(ledger.subs[1], "USD") == "80.00000000"
    again = runs.run_execute(
        run_id=_run(conn, to=ledger.subs[1], kind=AmountKind.TOP_UP, param="80").pk
    )
    assert again.status == RunStatus.SKIPPED


def test_it_reports_the_exchanges_refusal_of_more_than_the_balance(master):
    conn, ledger = master
    run = runs.run_execute(run_id=_run(conn, frm=ledger.subs[0], param="50.01").pk)
    assert run.status == RunStatus.FAILED and run.error_code == -2010
    assert "insufficient balance" in run.error_message
    assert ledger.free(ledger.subs[0], "USD") == "50.00000000"


def test_it_refuses_a_sweep_above_the_balance_without_sending(master):
    conn, ledger = master
    before = ledger.transfer_calls()
    run = runs.run_execute(
        run_id=_run(conn, frm=ledger.subs[0], kind=AmountKind.TOP_UP, to="", param="5000").pk
    )
    assert run.status == RunStatus.FAILED and "Insufficient balance" in run.error_message
    assert ledger.transfer_calls() == before


def test_it_gives_a_run_back_unsent_while_the_weight_budget_is_exhausted(
    master, broker, django_capture_on_commit_callbacks
):
    from accounts.exchange import weight_budget

    conn, ledger = master
    budget = weight_budget("sandbox")
    budget.back_off(30, status=429)  # another process saw a 429: everyone waits
    before = ledger.requests_total()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = runs.run_execute(run_id=_run(conn, to=ledger.subs[0]).pk)
        assert run.status == RunStatus.PLANNED and "rate limit" in run.error_message
        assert ledger.requests_total() == before  # nothing left this process
        assert b"execute_run" in b"".join(broker_messages(broker))  # retried later
    finally:
        budget.redis.delete(budget.block_key)
    assert runs.run_execute(run_id=run.pk).status == RunStatus.EXECUTED
    assert ledger.free(ledger.subs[0], "USD") == "60.00000000"


def test_it_tells_two_identical_unknown_runs_apart(master):
    """Two same-amount transfers, one lost before sending: history holds one row, so exactly
    one of the runs is confirmed and the other is not."""
    conn, ledger = master
    ledger.faults(transfer={"mode": "execute_then_500", "count": 1})
    sent = runs.run_execute(run_id=_run(conn, to=ledger.subs[0]).pk)
    ghost = _run(conn, to=ledger.subs[0])
    TransferRun.objects.filter(pk=ghost.pk).update(
        status=RunStatus.UNKNOWN, sent_at=sent.sent_at, amount=Decimal("10")
    )
    reconcile.runs_reconcile()
    sent.refresh_from_db()
    ghost.refresh_from_db()
    assert sorted([sent.status, ghost.status]) == [RunStatus.EXECUTED, RunStatus.UNKNOWN]
    assert ledger.free(ledger.subs[0], "USD") == "60.00000000"


def test_it_reads_every_history_page_before_calling_a_transfer_absent(master, monkeypatch):
    conn, ledger = master
    for amount in ("1", "2", "3", "4"):
        assert runs.run_execute(run_id=_run(conn, to=ledger.subs[0], param=amount).pk)
    ledger.faults(transfer={"mode": "execute_then_500", "count": 1})
    run = runs.run_execute(run_id=_run(conn, to=ledger.subs[0], param="5").pk)
    assert run.status == RunStatus.UNKNOWN
    monkeypatch.setattr(reconcile, "HISTORY_PAGE", 2)  # five rows: three pages
    assert reconcile.runs_reconcile()["executed"] == 1


def _scheduled(conn, ledger, *, attempts: int) -> TransferRun:
    """A scheduled run whose worker committed "sending" and died before the request left."""
    schedule = TransferSchedule.objects.create(
        connection=conn,
        name="rent",
        to_email=ledger.subs[0],
        asset="USD",
        amount_kind=AmountKind.FIXED,
        amount=Decimal("10"),
        recurrence="once",
        starts_at=timezone.now(),
    )
    run = _run(conn, to=ledger.subs[0])
    long_ago = timezone.now() - timedelta(minutes=5)
    TransferRun.objects.filter(pk=run.pk).update(
        schedule=schedule,
        status=RunStatus.SENDING,
        sent_at=long_ago,
        amount=Decimal("10"),
        attempts=attempts,
    )
    return run


def test_it_replans_a_scheduled_run_absent_after_the_grace_period_and_sends_it_once_more(
    master, settings, broker, django_capture_on_commit_callbacks
):
    conn, ledger = master
    settings.TRANSFER_RECONCILE_GRACE_SECONDS = 30
    run = _scheduled(conn, ledger, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile.runs_reconcile()["replanned"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.PLANNED and "planned again" in run.error_message
    assert b"execute_run" in b"".join(broker_messages(broker))  # sent again soon
    assert ledger.free(ledger.subs[0], "USD") == "50.00000000"  # nothing moved so far
    done = runs.run_execute(run_id=run.pk)
    assert (done.status, done.attempts) == (RunStatus.EXECUTED, 2)
    assert ledger.free(ledger.subs[0], "USD") == "60.00000000"  # moved exactly once
    assert AuditRecord.objects.filter(action="subaccount.transfer.replan").count() == 1


def test_it_replans_an_absent_run_only_as_often_as_configured(master, settings):
    conn, ledger = master
    settings.TRANSFER_RECONCILE_GRACE_SECONDS = 30
    again = _scheduled(conn, ledger, attempts=2)  # already sent again once
    assert reconcile.runs_reconcile()["failed"] == 1
    settings.TRANSFER_REPLAN_ABSENT = 0
    never = _scheduled(conn, ledger, attempts=1)
    assert reconcile.runs_reconcile()["failed"] == 1
    for run in (again, never):
        run.refresh_from_db()
        assert run.status == RunStatus.FAILED and "nothing was moved" in run.error_message
    assert ledger.free(ledger.subs[0], "USD") == "50.00000000"


def test_it_pushes_the_settled_run_to_its_connection_socket(
    master, django_capture_on_commit_callbacks
):
    import asyncio

    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from accounts import realtime

    conn, ledger = master
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.connection_group(conn.pk), channel)

    async def receive():
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    run = _run(conn, to=ledger.subs[0], param="3")
    with django_capture_on_commit_callbacks(execute=True):
        runs.run_execute(run_id=run.pk)
    pushed = async_to_sync(receive)()
    assert pushed["type"] == "transfer_run.updated"
    assert pushed["payload"]["id"] == run.pk and pushed["payload"]["status"] == "executed"
    assert pushed["payload"]["final"] and pushed["payload"]["amount"] == "3"
