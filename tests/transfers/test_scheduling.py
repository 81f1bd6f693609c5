"""Planning: one run per planned time, however many planners run and however long they slept."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection as db

from tests.factories import make_connection, make_user
from transfers.models import CatchUp, RunStatus, TransferRun, TransferSchedule
from transfers.scheduling import runs_stranded, schedule_first_run, schedules_plan_due

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _schedule(conn, **kw) -> TransferSchedule:
    fields = dict(
        connection=conn,
        name="sweep",
        to_email="sub@example.test",
        asset="USD",
        amount_kind="fixed",
        amount=Decimal("1"),
        recurrence="hourly",
        every=1,
        timezone="UTC",
        starts_at=T0,
    )
    fields.update(kw)
    s = TransferSchedule(**fields)
    s.next_run_at = schedule_first_run(s, now=T0)
    s.save()
    return s


@pytest.mark.django_db
def test_it_plans_each_tick_once_and_moves_next_run_forward():
    s = _schedule(make_connection(make_user()))
    assert s.next_run_at == T0
    first = schedules_plan_due(now=T0 + timedelta(seconds=5))
    again = schedules_plan_due(now=T0 + timedelta(seconds=6))
    assert len(first) == 1 and again == []
    s.refresh_from_db()
    assert s.next_run_at == T0 + timedelta(hours=1)
    assert TransferRun.objects.get().planned_at == T0


@pytest.mark.django_db
def test_it_collapses_an_outage_into_one_run_for_the_latest_tick():
    s = _schedule(make_connection(make_user()))
    planned = schedules_plan_due(now=T0 + timedelta(hours=5, minutes=30))  # workers were down
    assert len(planned) == 1
    run = TransferRun.objects.get()
    assert run.planned_at == T0 + timedelta(hours=5) and run.status == RunStatus.PLANNED
    s.refresh_from_db()
    assert s.next_run_at == T0 + timedelta(hours=6)


@pytest.mark.django_db
def test_it_skips_missed_runs_when_the_schedule_says_so():
    s = _schedule(make_connection(make_user()), catch_up=CatchUp.SKIP)
    assert schedules_plan_due(now=T0 + timedelta(hours=3, minutes=10)) == []
    run = TransferRun.objects.get()
    assert run.status == RunStatus.SKIPPED and "skips missed runs" in run.error_message
    s.refresh_from_db()
    assert s.next_run_at == T0 + timedelta(hours=4)


@pytest.mark.django_db
def test_it_leaves_paused_schedules_alone():
    _schedule(make_connection(make_user()), is_paused=True)
    assert schedules_plan_due(now=T0 + timedelta(days=1)) == []
    assert not TransferRun.objects.exists()


@pytest.mark.django_db
def test_it_finishes_a_one_off():
    s = _schedule(make_connection(make_user()), recurrence="once", starts_at=T0)
    schedules_plan_due(now=T0)
    s.refresh_from_db()
    assert s.next_run_at is None
    assert schedules_plan_due(now=T0 + timedelta(days=1)) == []


@pytest.mark.django_db(transaction=True)
def test_it_plans_once_with_two_beats_racing_over_a_day():
    """Two planners (two beat processes by mistake) tick every 10 s through a day of an hourly
    schedule and a 15-minute cron one, in parallel threads with their own DB connections."""
    conn = make_connection(make_user())
    hourly = _schedule(conn)
    quarter = _schedule(conn, name="cron", recurrence="cron", cron="*/15 * * * *")
    ticks = [T0 + timedelta(seconds=10 * i) for i in range(8640)]
    created: list[list[int]] = [[], []]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def planner(slot: int) -> None:
        try:
            barrier.wait()
            for t in ticks[::30]:  # every 5 min of a day: 288 rounds each
                created[slot].extend(schedules_plan_due(now=t))
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=planner, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert TransferRun.objects.filter(schedule=hourly).count() == 24
    assert TransferRun.objects.filter(schedule=quarter).count() == 96
    ids = created[0] + created[1]
    assert len(ids) == len(set(ids)) == 24 + 96  # each run handed to exactly one planner


@pytest.mark.django_db
def test_it_finds_planned_runs_no_worker_picked_up(settings):
    settings.TRANSFER_STALE_SECONDS = 60
    conn = make_connection(make_user())
    s = _schedule(conn)
    schedules_plan_due(now=T0)
    run = TransferRun.objects.get(schedule=s)
    assert runs_stranded(now=T0 + timedelta(seconds=30)) == []
    assert runs_stranded(now=T0 + timedelta(seconds=61)) == [run.pk]
    run.status = RunStatus.EXECUTED
    run.save(update_fields=["status"])
    assert runs_stranded(now=T0 + timedelta(seconds=61)) == []
