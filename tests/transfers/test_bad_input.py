"""Bad input, tried as a new user would (issue 17): every kind of wrong value in every field
of the transfer forms is a message on that field — never a 500, never a row written, never a
request to the exchange. Also: history filters that are refused rather than dropped, and a
second tab that reuses a form's request key."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AuditRecord
from tests.factories import login, make_connection, make_user
from transfers.models import TransferHistoryRecord, TransferRun, TransferSchedule
from transfers.selectors import MASTER

pytestmark = pytest.mark.django_db

# One of each kind of wrong value; ``FIELDS`` below says which apply to which field.
BAD = {
    "empty": "",
    "whitespace": "  \t ",
    "arabic digits": "١٢",
    "full-width digits": "１０",
    "emoji": "💸",
    "huge": "99999999999" * 4,
    "tiny": "0.000000000000000000001",
    "exponent": "1e400",
    "small exponent": "1e2",
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "negative": "-5",
    "zero": "0",
    "over-precision": "1.123456789",
    "grouped": "1_000",
    "comma": "1,5",
    "10,000 characters": "x" * 10_000,
    "10,000 digits": "7" * 10_000,
    "NUL": "1\x002",
}
NUMERIC = list(BAD)  # every kind is wrong for an amount or a count
TEXTUAL = ["empty", "whitespace", "10,000 characters", "NUL"]  # unicode names are fine
CHOICE = ["empty", "whitespace", "arabic digits", "emoji", "10,000 characters", "NUL", "huge"]
DATES = {
    "year 9999 in New York": "9999-12-31T23:30",
    "year 1 in Tokyo": "0001-01-01T00:30",
    "30 February": "2030-02-30T10:00",
    "month 13": "2030-13-01T10:00",
    "five-digit year": "10000-01-01T00:00",
    "past": "2001-01-01T09:00",
    "too far": "2090-01-01T09:00",
}


@pytest.fixture
def synced(master):
    """A master with sub-accounts and balances synced, as the beat would."""
    conn, ledger = master
    account_services.subaccounts_sync(connection_id=conn.pk)
    account_services.connection_sync_balances(connection_id=conn.pk)
    return conn, ledger


def _transfer(ledger, **kw) -> dict:
    doc = {
        "from_party": MASTER,
        "to_party": ledger.subs[0],
        "asset": "USD",
        "amount": "10",
        "request_key": uuid.uuid4().hex,
    }
    doc.update(kw)
    return doc


def _schedule(ledger, **kw) -> dict:
    doc = {
        "name": "Morning top-up",
        "from_party": MASTER,
        "to_party": ledger.subs[0],
        "asset": "USD",
        "amount_kind": "top_up",
        "amount": "100",
        "recurrence": "daily",
        "starts_at": "2030-03-08T09:00",
        "every": "1",
        "monthday": "",
        "cron": "",
        "timezone": "America/New_York",
        "catch_up": "run_once",
    }
    doc.update(kw)
    return doc


def _problems(client, url, cases, *, field, ledger, snapshot) -> list[str]:
    """POST each case; return what went wrong (empty when every case is a clean refusal)."""
    before, requests_before = snapshot(), ledger.requests_total()
    wrong = []
    for label, data in cases:
        resp = client.post(url, data)
        if resp.status_code != 200:
            wrong.append(f"{label}: HTTP {resp.status_code}")
            continue
        errors = resp.context["form"].errors
        if field not in errors:
            wrong.append(f"{label}: no error on {field} ({dict(errors)})")
        elif field != "__all__" and f'id="errors-{field}"' not in resp.content.decode():
            wrong.append(f"{label}: the error on {field} is not shown")
        if snapshot() != before:
            wrong.append(f"{label}: rows were written")
    if ledger.requests_total() != requests_before:
        wrong.append("the exchange was called")
    return wrong


def _rows() -> tuple:
    return (
        TransferRun.objects.count(),
        list(TransferSchedule.objects.values()),
        AuditRecord.objects.filter(action__startswith="transfer").count(),
    )


# --- transfer now -------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["amount", "from_party", "to_party", "asset"])
def test_it_refuses_every_kind_of_bad_transfer_value_on_its_field(client, synced, field):
    conn, ledger = synced
    login(client, conn.user)
    url = reverse("transfers:new", args=[conn.pk])
    kinds = NUMERIC if field == "amount" else CHOICE
    cases = [(kind, _transfer(ledger, **{field: BAD[kind]})) for kind in kinds]
    assert _problems(client, url, cases, field=field, ledger=ledger, snapshot=_rows) == []


def test_it_refuses_a_missing_or_damaged_request_key_with_a_visible_message(client, synced):
    conn, ledger = synced
    login(client, conn.user)
    url = reverse("transfers:new", args=[conn.pk])
    cases = [(kind, _transfer(ledger, request_key=BAD[kind])) for kind in NUMERIC]
    assert _problems(client, url, cases, field="__all__", ledger=ledger, snapshot=_rows) == []
    page = client.post(url, _transfer(ledger, request_key="x" * 10_000)).content.decode()
    assert 'id="form-errors"' in page and "reload the page" in page


# --- schedules ----------------------------------------------------------------------------------
SCHEDULE_CASES = {
    # field: (extra form values that make the field matter, the kinds of bad value to try)
    "name": ({}, {k: BAD[k] for k in TEXTUAL} | {"bell": "ding\x07"}),
    "amount": ({}, {k: BAD[k] for k in NUMERIC}),
    "every": ({}, {k: BAD[k] for k in NUMERIC} | {"issue 17": "99999999999", "2000 days": "2000"}),
    "monthday": ({"recurrence": "monthly"}, {k: BAD[k] for k in NUMERIC} | {"32": "32"}),
    "cron": ({"recurrence": "cron"}, {k: BAD[k] for k in NUMERIC} | {"step 0": "*/0 * * * *"}),
    "starts_at": ({"recurrence": "once"}, {k: BAD[k] for k in NUMERIC} | DATES),
    "weekdays": ({"recurrence": "weekly"}, {k: [BAD[k]] for k in CHOICE} | {"7": ["7"]}),
    "timezone": ({}, {k: BAD[k] for k in CHOICE} | {"Mars": "Mars/Olympus"}),
    "recurrence": ({}, {k: BAD[k] for k in CHOICE}),
    "amount_kind": ({}, {k: BAD[k] for k in CHOICE}),
    "catch_up": ({}, {k: BAD[k] for k in CHOICE}),
    "asset": ({}, {k: BAD[k] for k in CHOICE}),
    "to_party": ({}, {k: BAD[k] for k in CHOICE}),
}
EDITED = ["amount", "every", "starts_at"]  # the edit page shares the form


@pytest.mark.parametrize(
    ("page", "field"),
    [("create", f) for f in SCHEDULE_CASES] + [("edit", f) for f in EDITED],
)
def test_it_refuses_every_kind_of_bad_schedule_value_on_its_field(client, synced, field, page):
    conn, ledger = synced
    login(client, conn.user)
    if page == "create":
        url = reverse("transfers:schedule-new", args=[conn.pk])
    else:
        assert (
            client.post(
                reverse("transfers:schedule-new", args=[conn.pk]), _schedule(ledger)
            ).status_code
            == 302
        )
        url = reverse("transfers:schedule-edit", args=[conn.pk, TransferSchedule.objects.get().pk])
    extra, values = SCHEDULE_CASES[field]
    if field == "starts_at":
        values = {k: v for k, v in values.items() if k != "zero"}
    cases = [
        (kind, _schedule(ledger, **{**extra, field: value}, **_zone_for(kind)))
        for kind, value in values.items()
    ]
    assert _problems(client, url, cases, field=field, ledger=ledger, snapshot=_rows) == []


def _zone_for(kind: str) -> dict:
    return {"timezone": "Asia/Tokyo"} if kind == "year 1 in Tokyo" else {}


def test_it_gives_field_errors_for_the_overflows_of_issue_17(client, synced):
    """Each of these was an OverflowError (a 500) before."""
    conn, ledger = synced
    login(client, conn.user)
    url = reverse("transfers:schedule-new", args=[conn.pk])
    cases = [
        ({"recurrence": "hourly", "every": "99999999999"}, "every", "less than or equal to"),
        (
            {"recurrence": "once", "starts_at": "9999-12-31T23:30"},
            "starts_at",
            "from 1970 to 5 years from now",
        ),
        (
            {"recurrence": "once", "starts_at": "0001-01-01T00:30", "timezone": "Asia/Tokyo"},
            "starts_at",
            "from 1970 to 5 years from now",
        ),
        ({"recurrence": "daily", "every": "2000"}, "every", "N must be 1–1825"),
    ]
    for data, field, message in cases:
        resp = client.post(url, _schedule(ledger, **data))
        assert resp.status_code == 200, data
        assert message in " ".join(resp.context["form"].errors.get(field, [])), data
    assert not TransferSchedule.objects.exists()


def test_it_still_accepts_unicode_names_and_a_zero_sweep_floor(client, synced):
    conn, ledger = synced
    login(client, conn.user)
    url = reverse("transfers:schedule-new", args=[conn.pk])
    resp = client.post(url, _schedule(ledger, name="Épargne 💰", amount_kind="sweep", amount="0"))
    assert resp.status_code == 302
    schedule = TransferSchedule.objects.get()
    assert schedule.name == "Épargne 💰" and schedule.amount == Decimal("0")


def test_it_refuses_a_bad_master_email_without_saving_it(client, synced):
    conn, ledger = synced
    login(client, conn.user)
    url = reverse("transfers:account-email", args=[conn.pk])
    for value in ["", "  ", "not an email", "💸@💸", "a@" + "b" * 300 + ".test", "x" * 10_000]:
        resp = client.post(url, {"account_email": value}, follow=True)
        assert resp.status_code == 200 and "Email:" in resp.content.decode(), value
    conn.refresh_from_db()
    assert conn.account_email == ledger.master


# --- a second tab with the same form (issue 17, defect 10) --------------------------------------
def test_it_refuses_a_resubmitted_form_with_a_different_amount_and_sends_nothing(
    client, synced, django_capture_on_commit_callbacks
):
    conn, ledger = synced
    login(client, conn.user)
    url = reverse("transfers:new", args=[conn.pk])
    key = uuid.uuid4().hex
    first = client.post(url, _transfer(ledger, amount="12.5", request_key=key))
    assert first.status_code == 302
    run = TransferRun.objects.get()
    with django_capture_on_commit_callbacks() as queued:
        second = client.post(url, _transfer(ledger, amount="20", request_key=key))
    assert second.status_code == 200 and queued == []
    message = " ".join(second.context["form"].non_field_errors())
    assert "already submitted with a different amount (12.5 USD from master to" in message
    assert "Reload the page to make a new transfer" in message
    assert 'id="form-errors"' in second.content.decode()
    assert list(TransferRun.objects.values_list("pk", "amount_param")) == [
        (run.pk, Decimal("12.5"))
    ]
    assert AuditRecord.objects.filter(action="transfer.request").count() == 1
    # Another destination is refused the same way; the identical resubmit lands on the run.
    other = client.post(
        url, _transfer(ledger, amount="12.5", to_party=ledger.subs[1], request_key=key)
    )
    assert "different destination" in " ".join(other.context["form"].non_field_errors())
    same = client.post(url, _transfer(ledger, amount="12.50", request_key=key))
    assert same.status_code == 302 and same.url == first.url
    assert TransferRun.objects.count() == 1


# --- history filters (issue 17, defect 4) -------------------------------------------------------
@pytest.fixture
def with_history(client):
    conn = make_connection(make_user())
    from django.utils import timezone

    from accounts.models import SubAccount

    SubAccount.objects.create(connection=conn, email="sub@example.test", synced_at=timezone.now())
    at = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    for i, (asset, qty) in enumerate([("USD", "12.5"), ("BTC", "0.00000001")]):
        TransferHistoryRecord.objects.create(
            connection=conn,
            from_email="boss@example.test",
            to_email="sub@example.test",
            asset=asset,
            qty=Decimal(qty),
            time=at + timedelta(days=i),
        )
    login(client, conn.user)
    return client, conn


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "2026-13-45"}, "since", "enter a real date as YYYY-MM-DD"),
        ({"until": "x" * 10_000}, "until", "enter a real date as YYYY-MM-DD"),
        ({"since": "١٢"}, "since", "enter a real date as YYYY-MM-DD"),
        ({"asset": "NOTACOIN"}, "asset", "no stored transfers of that asset"),
        ({"email": "nobody@example.test"}, "email", "not a sub-account of this connection"),
        ({"since": "2026-11-03", "until": "2026-11-02"}, "until", "on or after the “from” date"),
    ],
)
def test_it_refuses_a_bad_history_filter_instead_of_listing_everything(
    with_history, query, field, message
):
    client, conn = with_history
    resp = client.get(reverse("transfers:history", args=[conn.pk]), query)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert message in " ".join(resp.context["form"].errors[field])
    assert f'id="errors-{field}"' in html and f'aria-describedby="errors-{field}"' in html
    assert "12.5" not in html and "0.00000001" not in html
    assert "Filter not applied" in html and 'id="history-export"' not in html

    export = client.get(reverse("transfers:history-csv", args=[conn.pk]), query)
    assert export.status_code == 400
    text = export.content.decode()
    assert text.startswith("Filter not applied:") and message in text
    assert "12.5" not in text


def test_it_still_filters_and_exports_good_filters(with_history):
    client, conn = with_history
    query = {"asset": "USD", "since": "2026-11-01", "until": "2026-11-02"}
    html = client.get(reverse("transfers:history", args=[conn.pk]), query).content.decode()
    assert "12.5" in html and "0.00000001" not in html and 'id="history-export"' in html
    resp = client.get(reverse("transfers:history-csv", args=[conn.pk]), query)
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert [r[3:] for r in rows[1:]] == [["USD", "12.5"]]
