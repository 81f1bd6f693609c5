"""Schedule pages and services: rules checked by transfers.recurrence, next runs in the
schedule's own time zone, every change audited."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditRecord
from tests.factories import login, make_connection, make_user
from transfers import schedules
from transfers.models import RunStatus, TransferRun, TransferSchedule
from transfers.selectors import MASTER, schedule_describe, schedule_upcoming

pytestmark = pytest.mark.django_db

# US daylight saving time in 2030 starts on Sunday 10 March.
BEFORE_DST = "2030-03-08T09:00"


@pytest.fixture
def owner_client(client):
    conn = make_connection(make_user())
    conn.account_email = "boss@example.test"
    conn.save(update_fields=["account_email"])
    # A synced sub-account and master balance, so the form has parties and assets to offer.
    from django.utils import timezone

    from accounts.models import Balance, SubAccount

    SubAccount.objects.create(
        connection=conn,
        email="sub@example.test",
        status="enabled",
        assets=[{"asset": "USD", "free": "50", "locked": "0"}],
        synced_at=timezone.now(),
    )
    Balance.objects.create(
        connection=conn, asset="USD", free=Decimal("1000"), locked=0, updated_at=timezone.now()
    )
    login(client, conn.user)
    return client, conn


def _form(**kw) -> dict:
    doc = {
        "name": "Morning top-up",
        "from_party": MASTER,
        "to_party": "sub@example.test",
        "asset": "USD",
        "amount_kind": "top_up",
        "amount": "100",
        "recurrence": "daily",
        "starts_at": BEFORE_DST,
        "every": "1",
        "monthday": "",
        "cron": "",
        "timezone": "America/New_York",
        "catch_up": "run_once",
    }
    doc.update(kw)
    return doc


def _create(client, conn, **kw):
    return client.post(reverse("transfers:schedule-new", args=[conn.pk]), _form(**kw))


def test_it_creates_a_daily_schedule_at_9_new_york_time_across_dst(owner_client):
    client, conn = owner_client
    resp = _create(client, conn)
    schedule = TransferSchedule.objects.get()
    assert resp.status_code == 302
    assert resp.url == reverse("transfers:schedule", args=[conn.pk, schedule.pk])
    assert schedule.starts_at == datetime(2030, 3, 8, 14, 0, tzinfo=UTC)
    assert schedule.next_run_at == datetime(2030, 3, 8, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert (schedule.to_email, schedule.from_email, schedule.amount) == (
        "sub@example.test",
        "",
        Decimal("100"),
    )
    hours = [at.hour for at in schedule_upcoming(schedule=schedule)]
    assert hours == [14, 14, 13, 13, 13]  # 09:00 EDT from 10 March
    html = client.get(resp.url).content.decode()
    assert "every day at 09:00 America/New_York" in html
    assert "2030-03-10 09:00 EDT" in html
    record = AuditRecord.objects.get(action="transfer_schedule.create")
    assert record.connection == conn and record.params["timezone"] == "America/New_York"


def test_it_recomputes_the_next_run_when_a_schedule_is_edited(owner_client):
    client, conn = owner_client
    _create(client, conn)
    schedule = TransferSchedule.objects.get()
    url = reverse("transfers:schedule-edit", args=[conn.pk, schedule.pk])
    page = client.get(url)
    assert page.context["form"].initial["starts_at"] == datetime(2030, 3, 8, 9, 0)
    resp = client.post(url, _form(timezone="Europe/London", starts_at="2030-07-01T09:00"))
    assert resp.status_code == 302
    schedule.refresh_from_db()
    assert schedule.timezone == "Europe/London"
    assert schedule.next_run_at == datetime(2030, 7, 1, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert AuditRecord.objects.filter(action="transfer_schedule.update").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"recurrence": "cron", "cron": "61 * * * *"}, "cron", "outside 0–59"),
        ({"recurrence": "cron", "cron": "* * *"}, "cron", "five fields"),
        ({"recurrence": "cron", "cron": ""}, "cron", "enter a cron"),
        ({"recurrence": "weekly"}, "weekdays", "at least one weekday"),
        ({"recurrence": "monthly"}, "monthday", "day of the month"),
        ({"recurrence": "once", "starts_at": "2020-01-01T09:00"}, "starts_at", "passed"),
        ({"recurrence": "once", "starts_at": ""}, "starts_at", "when to run"),
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "1.123456789"}, "amount", "at most 8 decimal places"),
        ({"to_party": MASTER}, "to_party", "different account"),
        ({"timezone": "Mars/Olympus"}, "timezone", "valid choice"),
    ],
)
def test_it_rejects_a_bad_schedule_with_a_field_error(owner_client, data, field, message):
    client, conn = owner_client
    resp = _create(client, conn, **data)
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert message in " ".join(errors.get(field, [])), errors
    assert f'id="errors-{field}"' in resp.content.decode()
    assert not TransferSchedule.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="transfer_schedule").exists()


def test_it_accepts_weekly_monthly_and_cron_rules(owner_client):
    client, conn = owner_client
    _create(client, conn, name="w", recurrence="weekly", weekdays=["0", "4"])
    _create(client, conn, name="m", recurrence="monthly", monthday="31")
    _create(client, conn, name="c", recurrence="cron", cron="30 8 * * 1-5", every="7")
    by_name = {s.name: s for s in TransferSchedule.objects.all()}
    assert by_name["w"].weekdays == [0, 4] and by_name["w"].monthday is None
    assert by_name["m"].monthday == 31 and by_name["m"].weekdays == []
    assert by_name["c"].cron == "30 8 * * 1-5" and by_name["c"].every == 1  # cleared
    assert schedule_describe(by_name["w"]) == "every Mon, Fri at 09:00 America/New_York"
    assert all(s.next_run_at for s in by_name.values())


def test_it_starts_an_hourly_schedule_now_when_no_start_is_given(owner_client):
    """ "Every hour starting now" must be due at once, not an hour later."""
    from django.utils import timezone

    client, conn = owner_client
    before = timezone.now()
    _create(client, conn, recurrence="hourly", starts_at="", amount_kind="sweep", amount="10")
    schedule = TransferSchedule.objects.get()
    assert before <= schedule.next_run_at <= timezone.now()
    assert schedule.next_run_at == schedule.starts_at


def test_it_pauses_resumes_and_deletes_keeping_the_runs(owner_client):
    client, conn = owner_client
    _create(client, conn)
    schedule = TransferSchedule.objects.get()
    run = TransferRun.objects.create(
        connection=conn,
        schedule=schedule,
        planned_at=schedule.next_run_at,
        asset="USD",
        amount_kind="fixed",
        status=RunStatus.EXECUTED,
    )
    pause = reverse("transfers:schedule-pause", args=[conn.pk, schedule.pk])
    client.post(pause)
    schedule.refresh_from_db()
    assert schedule.is_paused
    listing = client.get(reverse("transfers:schedules", args=[conn.pk])).content.decode()
    assert "paused" in listing and "executed" in listing  # last run outcome
    client.post(pause)
    schedule.refresh_from_db()
    assert not schedule.is_paused and schedule.next_run_at
    resp = client.post(reverse("transfers:schedule-delete", args=[conn.pk, schedule.pk]))
    assert resp.url == reverse("transfers:schedules", args=[conn.pk])
    assert not TransferSchedule.objects.exists()
    run.refresh_from_db()
    assert run.schedule is None
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {
        "transfer_schedule.pause",
        "transfer_schedule.resume",
        "transfer_schedule.delete",
    } <= actions


def test_it_resumes_from_now_without_a_catch_up_run(owner_client):
    from datetime import timedelta

    _client, conn = owner_client
    now = datetime(2030, 3, 8, 12, 0, tzinfo=UTC)
    schedule = schedules.schedule_create(
        connection=conn,
        user=conn.user,
        now=now,
        name="hourly",
        to_email="sub@example.test",
        asset="USD",
        amount_kind="fixed",
        amount=Decimal("1"),
        recurrence="hourly",
        timezone="UTC",
        starts_at=now,
    )
    schedules.schedule_set_paused(schedule=schedule, paused=True, user=conn.user, now=now)
    later = now + timedelta(hours=5, minutes=30)
    schedules.schedule_set_paused(schedule=schedule, paused=False, user=conn.user, now=later)
    assert schedule.next_run_at == now + timedelta(hours=6)


def test_it_gives_a_stranger_404_for_schedule_pages(client, owner_client):
    owner, conn = owner_client
    _create(owner, conn)
    schedule = TransferSchedule.objects.get()
    login(client, make_user())
    for name in ("schedule", "schedule-edit"):
        url = reverse(f"transfers:{name}", args=[conn.pk, schedule.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, _form(name="hijack")).status_code == 404
    for name in ("schedule-pause", "schedule-delete"):
        url = reverse(f"transfers:{name}", args=[conn.pk, schedule.pk])
        assert client.post(url).status_code == 404
    new = reverse("transfers:schedule-new", args=[conn.pk])
    assert client.post(new, _form()).status_code == 404
    schedule.refresh_from_db()
    assert schedule.name == "Morning top-up" and not schedule.is_paused
    assert TransferSchedule.objects.count() == 1
