"""The transfer pages, as owner and as stranger, against the real sandbox exchange."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AuditRecord
from tests.factories import login, make_connection, make_user
from transfers import runs
from transfers.models import RunStatus, TransferRun, TransferSchedule
from transfers.selectors import MASTER

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(master):
    """The master fixture with its sub-accounts and balances synced, as the beat would."""
    conn, ledger = master
    account_services.subaccounts_sync(connection_id=conn.pk)
    account_services.connection_sync_balances(connection_id=conn.pk)
    return conn, ledger


def _schedule(conn, **kw) -> TransferSchedule:
    from django.utils import timezone

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


def _run(conn, **kw) -> TransferRun:
    from django.utils import timezone

    fields = dict(
        connection=conn,
        planned_at=timezone.now(),
        to_email="sub@example.test",
        asset="USD",
        amount_kind="fixed",
        amount_param=Decimal("1"),
    )
    fields.update(kw)
    return TransferRun.objects.create(**fields)


def _post_transfer(client, conn, **data):
    doc = {
        "from_party": MASTER,
        "to_party": "",
        "asset": "USD",
        "amount": "10",
        "request_key": uuid.uuid4().hex,
    }
    doc.update(data)
    return client.post(reverse("transfers:new", args=[conn.pk]), doc)


# --- ownership ----------------------------------------------------------------------------------
def _all_urls(conn, run, schedule) -> list[tuple[str, str]]:
    """(method, url) for every transfers URL of ``conn``, with ids that belong to it."""
    pk = conn.pk
    return [
        ("get", reverse("transfers:subaccounts", args=[pk])),
        ("post", reverse("transfers:account-email", args=[pk])),
        ("get", reverse("transfers:new", args=[pk])),
        ("post", reverse("transfers:new", args=[pk])),
        ("get", reverse("transfers:run", args=[pk, run.pk])),
        ("get", reverse("transfers:run-json", args=[pk, run.pk])),
        ("post", reverse("transfers:run-retry", args=[pk, run.pk])),
        ("get", reverse("transfers:schedules", args=[pk])),
        ("get", reverse("transfers:schedule-new", args=[pk])),
        ("post", reverse("transfers:schedule-new", args=[pk])),
        ("get", reverse("transfers:schedule", args=[pk, schedule.pk])),
        ("get", reverse("transfers:schedule-edit", args=[pk, schedule.pk])),
        ("post", reverse("transfers:schedule-edit", args=[pk, schedule.pk])),
        ("post", reverse("transfers:schedule-pause", args=[pk, schedule.pk])),
        ("post", reverse("transfers:schedule-delete", args=[pk, schedule.pk])),
        ("get", reverse("transfers:history", args=[pk])),
        ("get", reverse("transfers:history-csv", args=[pk])),
        ("post", reverse("transfers:history-sync", args=[pk])),
    ]


def test_it_gives_strangers_404_on_every_url_and_sends_nothing(client, synced):
    conn, ledger = synced
    run = _run(conn, status=RunStatus.FAILED, to_email=ledger.subs[0])
    schedule = _schedule(conn, to_email=ledger.subs[0])
    stranger = make_user()
    login(client, stranger)
    before = ledger.requests_total()
    for method, url in _all_urls(conn, run, schedule):
        resp = getattr(client, method)(url, {"account_email": "x@example.test"})
        assert resp.status_code == 404, f"stranger reached {method.upper()} {url}"
    assert ledger.requests_total() == before
    assert TransferRun.objects.count() == 1
    assert TransferSchedule.objects.filter(pk=schedule.pk, is_paused=False).exists()
    conn.refresh_from_db()
    assert conn.account_email == ledger.master


def test_it_gives_404_for_a_run_or_schedule_of_another_connection(client, synced):
    """The owner of connection A cannot reach connection B's run or schedule through A's URL."""
    conn, _ledger = synced
    theirs = make_connection(make_user())
    their_run, their_schedule = _run(theirs), _schedule(theirs)
    login(client, conn.user)
    urls = [
        (method, url)
        for method, url in _all_urls(conn, their_run, their_schedule)
        if "/runs/" in url or url.split("/schedules/")[-1][:1].isdigit()
    ]
    assert len(urls) == 8  # run, run json, retry; schedule, edit ×2, pause, delete
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 404, f"{method} {url}"
    assert TransferSchedule.objects.filter(pk=their_schedule.pk, is_paused=False).exists()


def test_it_lets_the_owner_open_every_page(client, synced):
    conn, ledger = synced
    run = _run(conn, to_email=ledger.subs[0])
    schedule = _schedule(conn, to_email=ledger.subs[0])
    login(client, conn.user)
    for method, url in _all_urls(conn, run, schedule):
        if method == "get":
            assert client.get(url).status_code == 200, url
    assert client.get(reverse("transfers:index")).status_code == 200


def test_it_asks_for_a_fresh_check_before_transfer_and_schedule_forms(client, synced):
    conn, _ = synced
    login(client, conn.user, fresh=False)
    for name in ("transfers:new", "transfers:schedule-new"):
        resp = client.get(reverse(name, args=[conn.pk]))
        assert resp.status_code == 302 and "/account/confirm/" in resp.url
    resp = _post_transfer(client, conn)
    assert resp.status_code == 302 and "/account/confirm/" in resp.url
    assert TransferRun.objects.count() == 0


# --- sub-accounts page --------------------------------------------------------------------------
def test_it_lists_subaccounts_with_assets_and_the_master_total(client, synced):
    conn, ledger = synced
    login(client, conn.user)
    html = client.get(reverse("transfers:subaccounts", args=[conn.pk])).content.decode()
    assert ledger.subs[0] in html and ledger.subs[1] in html
    assert "USD 50" in html
    assert 'id="master-total"' in html and "unavailable" not in html


def test_it_caches_the_spot_summary_briefly(client, synced):
    conn, ledger = synced
    login(client, conn.user)
    url = reverse("transfers:subaccounts", args=[conn.pk])
    client.get(url)
    before = ledger.requests_total()
    client.get(url)
    assert ledger.requests_total() == before


def test_it_shows_unavailable_when_the_exchange_refuses_the_summary(client):
    conn = make_connection(make_user())  # keys the exchange does not know
    login(client, conn.user)
    html = client.get(reverse("transfers:subaccounts", args=[conn.pk])).content.decode()
    assert "unavailable" in html


def test_it_sets_the_master_email_and_audits_it(client):
    conn = make_connection(make_user())
    login(client, conn.user)
    page = client.get(reverse("transfers:subaccounts", args=[conn.pk])).content.decode()
    assert "transfers need it" in page
    resp = client.post(
        reverse("transfers:account-email", args=[conn.pk]), {"account_email": "boss@example.test"}
    )
    assert resp.status_code == 302
    conn.refresh_from_db()
    assert conn.account_email == "boss@example.test"
    assert AuditRecord.objects.filter(action="connection.account_email", connection=conn).exists()


def test_it_shows_failed_runs_of_the_last_day_on_the_subaccounts_page(client, synced):
    conn, _ledger = synced
    _run(conn, status=RunStatus.FAILED, error_code=-2010, error_message="Insufficient balance")
    login(client, conn.user)
    html = client.get(reverse("transfers:subaccounts", args=[conn.pk])).content.decode()
    assert 'id="failed-runs"' in html and "-2010: Insufficient balance" in html


# --- transfer now -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "-1"}, "amount", "more than zero"),
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "0.123456789"}, "amount", "at most 8 decimal places"),
        ({"amount": "1000.01"}, "amount", "known balance"),
        ({"to_party": MASTER}, "to_party", "different account"),
        ({"from_party": "SUB0", "to_party": "SUB1"}, "to_party", "master account"),
    ],
)
def test_it_rejects_a_bad_transfer_with_a_field_error_and_sends_nothing(
    client, synced, data, field, message
):
    conn, ledger = synced
    subs = {"SUB0": ledger.subs[0], "SUB1": ledger.subs[1]}
    data = {k: subs.get(v, v) for k, v in data.items()}
    data.setdefault("to_party", ledger.subs[0])
    login(client, conn.user)
    before = ledger.requests_total()
    resp = _post_transfer(client, conn, **data)
    assert resp.status_code == 200
    assert field in resp.context["form"].errors
    assert message in " ".join(resp.context["form"].errors[field])
    assert f'id="errors-{field}"' in resp.content.decode()
    assert TransferRun.objects.count() == 0
    assert ledger.requests_total() == before


def test_it_rejects_more_than_a_subaccounts_known_balance(client, synced):
    conn, ledger = synced
    login(client, conn.user)
    resp = _post_transfer(client, conn, from_party=ledger.subs[0], to_party=MASTER, amount="50.01")
    assert "known balance (50 USD free)" in " ".join(resp.context["form"].errors["amount"])
    resp = _post_transfer(client, conn, from_party=ledger.subs[0], to_party=MASTER, amount="50")
    assert resp.status_code == 302


def test_it_shows_the_sources_known_balances_on_the_form(client, synced):
    conn, _ledger = synced
    login(client, conn.user)
    resp = client.get(reverse("transfers:new", args=[conn.pk]))
    html = resp.content.decode()
    assert 'id="balances-data"' in html and '"USD": "1000"' in html
    assert resp.context["form"].initial["request_key"]


def test_it_creates_one_run_for_a_double_submit_and_executes_it(client, synced):
    conn, ledger = synced
    login(client, conn.user)
    key = uuid.uuid4().hex
    first = _post_transfer(client, conn, to_party=ledger.subs[0], amount="12.5", request_key=key)
    second = _post_transfer(client, conn, to_party=ledger.subs[0], amount="12.5", request_key=key)
    run = TransferRun.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("transfers:run", args=[conn.pk, run.pk])
    assert run.status == RunStatus.PLANNED and run.amount_param == Decimal("12.5")
    assert run.to_email == ledger.subs[0] and run.from_email == ""
    before = ledger.transfer_calls()
    runs.run_execute(run_id=run.pk)  # what the worker does with the queued task
    assert ledger.transfer_calls() == before + 1
    assert ledger.free(ledger.subs[0], "USD") == "62.50000000"
    doc = client.get(reverse("transfers:run-json", args=[conn.pk, run.pk])).json()
    assert doc["status"] == "executed" and doc["final"] and doc["amount"] == "12.5"


def test_it_queues_the_run_only_after_commit(client, synced, django_capture_on_commit_callbacks):
    conn, ledger = synced
    login(client, conn.user)
    with django_capture_on_commit_callbacks() as callbacks:
        _post_transfer(client, conn, to_party=ledger.subs[0])
    assert len(callbacks) == 1


def test_it_refuses_a_request_key_used_by_another_connection(client, synced):
    conn, ledger = synced
    other = make_connection(conn.user)
    key = uuid.uuid4().hex
    _run(other, request_key=key)
    login(client, conn.user)
    resp = _post_transfer(client, conn, to_party=ledger.subs[0], request_key=key)
    assert resp.status_code == 200 and resp.context["form"].non_field_errors()
    assert TransferRun.objects.filter(connection=conn).count() == 0


def test_it_shows_a_failed_run_with_the_exchange_message_and_retries_it(client, synced):
    conn, ledger = synced
    run = _run(
        conn,
        to_email=ledger.subs[0],
        status=RunStatus.FAILED,
        error_code=-1102,
        error_message="The exchange answered -1102: bad",
    )
    login(client, conn.user)
    html = client.get(reverse("transfers:run", args=[conn.pk, run.pk])).content.decode()
    assert "-1102: The exchange answered -1102: bad" in html
    assert 'id="retry-form"' in html and 'id="retry-form" hidden' not in html
    resp = client.post(reverse("transfers:run-retry", args=[conn.pk, run.pk]))
    new = TransferRun.objects.exclude(pk=run.pk).get()
    assert resp.url == reverse("transfers:run", args=[conn.pk, new.pk])
    assert (new.to_email, new.asset, new.amount_param, new.status) == (
        ledger.subs[0],
        "USD",
        Decimal("1"),
        RunStatus.PLANNED,
    )
    assert new.request_key and new.request_key != run.request_key
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


def test_it_refuses_to_retry_a_run_that_did_not_fail(client, synced):
    conn, ledger = synced
    run = _run(conn, to_email=ledger.subs[0], status=RunStatus.EXECUTED)
    login(client, conn.user)
    client.post(reverse("transfers:run-retry", args=[conn.pk, run.pk]))
    assert TransferRun.objects.count() == 1


def test_it_requires_a_fresh_check_to_retry(client, synced):
    conn, ledger = synced
    run = _run(conn, to_email=ledger.subs[0], status=RunStatus.FAILED)
    login(client, conn.user, fresh=False)
    resp = client.post(reverse("transfers:run-retry", args=[conn.pk, run.pk]))
    assert resp.status_code == 302 and "/account/confirm/" in resp.url
    assert TransferRun.objects.count() == 1


def test_it_lists_only_exchange_connections_on_the_index(client, synced):
    conn, _ = synced
    login(client, conn.user)
    html = client.get(reverse("transfers:index")).content.decode()
    assert conn.label in html
    other = make_connection(make_user(), label="Not mine")
    assert other.label not in html
