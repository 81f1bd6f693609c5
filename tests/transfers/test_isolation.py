"""One bad row never stops a periodic task: every beat task of transfers is run here with
poisoned rows next to healthy ones, and the healthy ones must still be processed."""

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AuditRecord, ExchangeConnection, SubAccount
from desk.celery import app as celery_app
from tests.factories import login, make_connection, make_user
from tests.support import broker_clear, broker_messages
from transfers import schedules, tasks
from transfers.models import (
    RunStatus,
    TransferHistoryCursor,
    TransferHistoryRecord,
    TransferRun,
    TransferSchedule,
)
from transfers.recurrence import RecurrenceError

pytestmark = pytest.mark.django_db


def _queued_run_ids(broker) -> list[int]:
    """The run ids of the execute_run messages waiting in the session's Redis broker."""
    ids = []
    for raw in broker_messages(broker):
        message = json.loads(raw)
        if message["headers"]["task"] == "transfers.tasks.execute_run":
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            ids.append(args[0])
    return ids


def _schedule(conn, **kw) -> TransferSchedule:
    fields = dict(
        connection=conn,
        name="nightly",
        to_email="sub@example.test",
        asset="USD",
        amount_kind="fixed",
        amount=Decimal("1"),
        recurrence="daily",
        timezone="UTC",
        starts_at=timezone.now(),
    )
    fields.update(kw)
    return TransferSchedule.objects.create(**fields)


def _owner_connection():
    user = make_user()
    user.email = f"{user.username}@example.test"
    user.save(update_fields=["email"])
    return make_connection(user)


# --- plan_transfers -----------------------------------------------------------------------------
def test_it_pauses_each_broken_schedule_and_still_plans_the_others(
    client, broker, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TRANSFER_STALE_SECONDS = 60
    now = timezone.now()
    mine = _owner_connection()
    bad_due = now - timedelta(minutes=2)
    # Issue 17: valid at creation (its first run exists), then "every 2000 days" cannot plan
    # the run after it. And two rows no form would save, whose planning raises other errors.
    broken = [
        _schedule(mine, name="every 2000 days", every=2000, starts_at=bad_due),
        _schedule(mine, name="lost zone", recurrence="hourly", timezone="Nowhere/Atlantis"),
        _schedule(mine, name="bad weekdays", recurrence="weekly", weekdays=5),
    ]
    for s in broken:  # due first: planned before the healthy rows
        TransferSchedule.objects.filter(pk=s.pk).update(starts_at=bad_due, next_run_at=bad_due)
    theirs = make_connection(make_user())
    once_at = now - timedelta(minutes=1)  # someone else's one-off, due a minute later
    once = _schedule(theirs, name="once", recurrence="once", starts_at=once_at)
    TransferSchedule.objects.filter(pk=once.pk).update(next_run_at=once_at)
    stranded = TransferRun.objects.create(  # its queue message was lost ten minutes ago
        connection=theirs,
        planned_at=now - timedelta(minutes=10),
        to_email="sub@example.test",
        asset="USD",
        amount_kind="fixed",
        amount_param=Decimal("2"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        tasks.plan_transfers()

    planned = TransferRun.objects.get(schedule=once)
    assert planned.status == RunStatus.PLANNED and planned.planned_at == once_at
    assert sorted(_queued_run_ids(broker)) == sorted([planned.pk, stranded.pk])
    reasons = {}
    for s in broken:
        s.refresh_from_db()
        assert s.is_paused, s.name
        reasons[s.name] = s.paused_reason
    assert "every N days: N must be 1–1825" in reasons["every 2000 days"]
    assert "unknown time zone 'Nowhere/Atlantis'" in reasons["lost zone"]
    assert "TypeError" in reasons["bad weekdays"]
    assert all("Edit the schedule, then resume it" in r for r in reasons.values())
    # Its owner is told, once per schedule, and the desk's pause is audited.
    assert sorted(m.subject for m in mailoutbox) == sorted(
        f"Transfer schedule paused: {s.name}" for s in broken
    )
    assert all(m.to == [mine.user.email] for m in mailoutbox)
    assert any("N must be 1–1825" in m.body for m in mailoutbox)
    paused = AuditRecord.objects.filter(action="transfer_schedule.pause", outcome="error")
    assert paused.count() == 3
    # The reason is on each schedule's page (which still opens), and the list says so.
    login(client, mine.user)
    for s in broken:
        page = client.get(reverse("transfers:schedule", args=[mine.pk, s.pk]))
        assert page.status_code == 200
        assert 'id="schedule-paused-reason"' in page.content.decode()
        assert s.paused_reason in page.content.decode().replace("&#x27;", "'")
        edit = reverse("transfers:schedule-edit", args=[mine.pk, s.pk])
        assert client.get(edit).status_code == 200
    listing = client.get(reverse("transfers:schedules", args=[mine.pk])).content.decode()
    assert listing.count("by the desk") == 3

    # The next tick neither pauses nor mails again.
    broker_clear(broker)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.plan_transfers()
    assert len(mailoutbox) == 3


def test_it_still_requeues_stranded_runs_when_planning_itself_fails(broker, settings, monkeypatch):
    from transfers import scheduling

    settings.TRANSFER_STALE_SECONDS = 60
    conn = make_connection(make_user())
    stranded = TransferRun.objects.create(
        connection=conn,
        planned_at=timezone.now() - timedelta(minutes=10),
        to_email="sub@example.test",
        asset="USD",
        amount_kind="fixed",
        amount_param=Decimal("2"),
    )

    def broken(**_kw):
        raise RuntimeError("the planner's own query failed")

    monkeypatch.setattr(scheduling, "schedules_plan_due", broken)
    tasks.plan_transfers()
    assert _queued_run_ids(broker) == [stranded.pk]


def test_it_refuses_to_save_a_rule_whose_second_run_cannot_be_planned(client):
    conn = make_connection(make_user())
    with pytest.raises(RecurrenceError):
        schedules.schedule_create(
            connection=conn,
            user=conn.user,
            name="x",
            to_email="sub@example.test",
            asset="USD",
            amount_kind="fixed",
            amount=Decimal("1"),
            recurrence="daily",
            every=2000,
            timezone="UTC",
            starts_at=timezone.now() + timedelta(minutes=2),
        )
    assert not TransferSchedule.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="transfer_schedule").exists()


def test_it_resumes_a_desk_paused_schedule_only_once_its_rule_is_fixed(client):
    conn = make_connection(make_user())
    schedule = _schedule(
        conn,
        every=2000,
        is_paused=True,
        paused_reason="Paused by the desk: the rule does not fire in the next five years.",
    )
    login(client, conn.user)
    url = reverse("transfers:schedule-pause", args=[conn.pk, schedule.pk])
    resp = client.post(url, follow=True)
    assert resp.status_code == 200
    assert "Not resumed: every N days: N must be 1–1825" in resp.content.decode()
    schedule.refresh_from_db()
    assert schedule.is_paused and schedule.paused_reason
    TransferSchedule.objects.filter(pk=schedule.pk).update(every=7)
    client.post(url)
    schedule.refresh_from_db()
    assert not schedule.is_paused and schedule.paused_reason == "" and schedule.next_run_at


# --- reconcile_transfers ------------------------------------------------------------------------
def test_it_reconciles_the_other_runs_when_one_cannot_be_settled(master, settings):
    conn, ledger = master
    settings.TRANSFER_RECONCILE_GRACE_SECONDS = 30
    now = timezone.now()
    healthy = TransferRun.objects.create(  # "sending" by a dead worker; not in history
        connection=conn,
        planned_at=now - timedelta(minutes=10),
        to_email=ledger.subs[0],
        asset="USD",
        amount_kind="fixed",
        amount_param=Decimal("10"),
        amount=Decimal("10"),
        status=RunStatus.SENDING,
        sent_at=now - timedelta(minutes=5),
    )
    locked = make_connection(make_user())  # keys that cannot be decrypted any more
    ExchangeConnection.objects.filter(pk=locked.pk).update(api_secret_encrypted="not-a-token")
    poisoned = [
        TransferRun.objects.create(  # unknown, yet never marked as sent: no window to search
            connection=conn,
            planned_at=now,
            to_email=ledger.subs[0],
            asset="USD",
            amount_kind="fixed",
            amount_param=Decimal("3"),
            status=RunStatus.UNKNOWN,
        ),
        TransferRun.objects.create(
            connection=locked,
            planned_at=now,
            to_email="sub@example.test",
            asset="USD",
            amount_kind="fixed",
            amount_param=Decimal("3"),
            amount=Decimal("3"),
            status=RunStatus.UNKNOWN,
            sent_at=now - timedelta(minutes=5),
        ),
    ]

    tasks.reconcile_transfers()

    healthy.refresh_from_db()
    assert healthy.status == RunStatus.FAILED and "nothing was moved" in healthy.error_message
    for run in poisoned:
        run.refresh_from_db()
        assert run.status == RunStatus.UNKNOWN  # left for a later pass, never guessed
    assert ledger.free(ledger.subs[0], "USD") == "50.00000000"


# --- sync_transfer_history_all ------------------------------------------------------------------
@pytest.fixture
def eager_celery(monkeypatch):
    """Queued tasks run inline, and their exceptions reach the test (nothing is swallowed)."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


def test_it_syncs_every_connections_history_when_some_cannot_be_synced(master, eager_celery):
    conn, ledger = master
    account_services.subaccounts_sync(connection_id=conn.pk)
    run = TransferRun.objects.create(
        connection=conn,
        planned_at=timezone.now(),
        to_email=ledger.subs[0],
        asset="USD",
        amount_kind="fixed",
        amount_param=Decimal("4"),
    )
    from transfers import runs

    assert runs.run_execute(run_id=run.pk).status == RunStatus.EXECUTED
    locked = make_connection(make_user())
    ExchangeConnection.objects.filter(pk=locked.pk).update(api_key_encrypted="not-a-token")
    far_back = make_connection(make_user())  # a stored cursor no sync can start before
    TransferHistoryCursor.objects.create(
        connection=far_back, newest_time=datetime(1, 1, 1, 0, 1, tzinfo=UTC)
    )
    for bad in (locked, far_back):
        SubAccount.objects.create(connection=bad, email="s@example.test", synced_at=timezone.now())

    tasks.sync_transfer_history_all()

    stored = TransferHistoryRecord.objects.get(connection=conn)
    assert (stored.to_email, stored.qty) == (ledger.subs[0], Decimal("4"))
    assert TransferHistoryCursor.objects.get(connection=conn).synced_at
    assert "keys need replacing" in TransferHistoryCursor.objects.get(connection=locked).last_error
    cursor = TransferHistoryCursor.objects.get(connection=far_back)
    assert "Sync failed (OverflowError)" in cursor.last_error
