"""Auto-stake schedules: each due occurrence stakes the free balance above the floor once,
through the stake intent; nothing below the asset's minimum; paused schedules stay quiet; the
form refuses bad input on its fields; a stranger's schedule is a 404."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditRecord
from wallet.staking import autostake, sending, services
from wallet.staking.models import AutoStakeSchedule, StakingOperation

pytestmark = pytest.mark.django_db


def _schedule(conn, floor="20", **extra) -> AutoStakeSchedule:
    fields = {
        "asset": "ETH",
        "floor": Decimal(floor),
        "recurrence": "hourly",
        "every": 6,
        "timezone": "UTC",
        "starts_at": timezone.now() - timedelta(hours=1),
        **extra,
    }
    return services.autostake_add(connection=conn, user=conn.user, **fields)


def _due(schedule) -> datetime:
    """Make the schedule due now; the occurrence it is due for."""
    at = timezone.now() - timedelta(seconds=5)
    AutoStakeSchedule.objects.filter(pk=schedule.pk).update(next_run_at=at)
    return at


def test_a_due_schedule_stakes_the_surplus_once(wallet_master):
    conn, chain = wallet_master
    schedule = _schedule(conn, floor="20")
    assert schedule.next_run_at > timezone.now()  # every 6 h from an hour ago: in 5 h
    occurrence = _due(schedule)
    [outcome] = autostake.autostakes_plan_due()
    [op] = StakingOperation.objects.filter(connection=conn)
    assert op.amount == Decimal("30") and op.schedule_id == schedule.pk  # 50 ETH free - 20
    assert op.request_key == f"auto-{schedule.pk}-{int(occurrence.timestamp())}"
    assert outcome == f"Staking 30 ETH (operation {op.pk})."
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now() and schedule.last_outcome == outcome
    # Run again at once (an overlapping tick): not due any more, nothing asked.
    assert autostake.autostakes_plan_due() == []
    sending.operation_send(operation_id=op.pk)
    assert chain.staked("ETH") == Decimal("30") and chain.free("ETH") == Decimal("20")


def test_a_planner_run_again_for_the_same_occurrence_asks_once(wallet_master):
    conn, _ = wallet_master
    schedule = _schedule(conn, floor="45")
    occurrence = _due(schedule)
    [first] = autostake.autostakes_plan_due()
    # As if the schedule's move had been lost after the stake was asked for.
    AutoStakeSchedule.objects.filter(pk=schedule.pk).update(next_run_at=occurrence)
    # The same occurrence's key finds the stake already asked for: the same one, not another.
    assert autostake.autostakes_plan_due() == [first]
    [op] = StakingOperation.objects.filter(connection=conn)
    assert first == f"Staking 5 ETH (operation {op.pk})."


def test_nothing_is_staked_below_the_minimum(wallet_master):
    conn, _ = wallet_master
    schedule = _schedule(conn, floor="49.995")  # 0.005 above: under ETH's 0.01 minimum
    _due(schedule)
    assert autostake.autostakes_plan_due() == ["Nothing to stake: 50 ETH free, floor 49.995."]
    assert not StakingOperation.objects.exists()


def test_a_paused_schedule_does_nothing_and_resumes_from_now(wallet_master):
    conn, _ = wallet_master
    schedule = _schedule(conn)
    services.autostake_set_paused(schedule=schedule, paused=True, user=conn.user)
    _due(schedule)
    assert autostake.autostakes_plan_due() == []
    services.autostake_set_paused(schedule=schedule, paused=False, user=conn.user)
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now() and not StakingOperation.objects.exists()
    actions = list(AuditRecord.objects.values_list("action", flat=True).order_by("pk"))
    assert actions == ["auto_stake.add", "auto_stake.pause", "auto_stake.resume"]


def _post(client, conn, **data):
    body = {
        "asset": "ETH",
        "floor": "10",
        "recurrence": "daily",
        "every": "1",
        "starts_at": "",
        "timezone": "UTC",
        **data,
    }
    return client.post(reverse("wallet:autostake-add", args=[conn.pk]), body)


def test_the_form_adds_a_schedule(wallet_desk):
    client, conn, _ = wallet_desk
    resp = _post(client, conn, starts_at="2026-01-01T09:30", timezone="America/New_York")
    assert resp.status_code == 302
    [schedule] = AutoStakeSchedule.objects.filter(connection=conn)
    assert schedule.floor == Decimal("10") and schedule.recurrence == "daily"
    local = schedule.next_run_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (9, 30) and schedule.next_run_at > timezone.now()
    assert schedule.starts_at == datetime(2026, 1, 1, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("floor", "-1", "must be zero or more"),
        ("floor", "1e3", "plain digits"),
        ("every", "0", "greater than or equal to 1"),
        ("every", "5000", "every N days: N must be 1–1825"),
        ("asset", "BTC", "Select a valid choice"),
        ("starts_at", "10000-01-01T00:00", "Enter a valid date/time"),
    ],
)
def test_the_form_refuses_bad_input_on_its_field(wallet_desk, field, value, message):
    client, conn, _ = wallet_desk
    resp = _post(client, conn, **{field: value})
    form = resp.content.decode().split('id="autostake-form"')[1].split("</form>")[0]
    assert resp.status_code == 200 and f'id="errors-{field}"' in form and message in form
    assert not AutoStakeSchedule.objects.exists()


def test_a_strangers_schedule_is_a_404(wallet_master, client, stranger):
    conn, _ = wallet_master
    schedule = _schedule(conn)
    for name in ("wallet:autostake-pause", "wallet:autostake-delete"):
        assert client.post(reverse(name, args=[conn.pk, schedule.pk])).status_code == 404
    assert _post(client, conn).status_code == 404
    schedule.refresh_from_db()
    assert not schedule.is_paused and AutoStakeSchedule.objects.count() == 1
