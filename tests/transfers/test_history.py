"""Transfer history copied from the sandbox with a cursor: each row once, never re-downloaded."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

import binanceus
from accounts import services as account_services
from accounts.models import SubAccount
from tests.factories import login, make_connection, make_user
from transfers import history, runs
from transfers.models import TransferHistoryCursor, TransferHistoryRecord, TransferRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(master):
    conn, ledger = master
    account_services.subaccounts_sync(connection_id=conn.pk)
    return conn, ledger


def _move(conn, *, to="", frm="", amount="1"):
    run = TransferRun.objects.create(
        connection=conn,
        planned_at=timezone.now(),
        from_email=frm,
        to_email=to,
        asset="USD",
        amount_kind="fixed",
        amount_param=Decimal(amount),
    )
    assert runs.run_execute(run_id=run.pk).status == "executed"


@pytest.fixture
def history_calls(monkeypatch):
    """The start_time of every history request the sync makes."""
    calls = []
    original = binanceus.Client.sub_account_transfer_history

    def spy(self, **kw):
        calls.append(kw)
        return original(self, **kw)

    monkeypatch.setattr(binanceus.Client, "sub_account_transfer_history", spy)
    return calls


def test_it_stores_each_row_once_across_syncs_and_moves_the_cursor(synced, history_calls):
    conn, ledger = synced
    _move(conn, to=ledger.subs[0], amount="1.5")
    _move(conn, frm=ledger.subs[1], amount="2")
    assert history.transfer_history_sync(connection_id=conn.pk) == 2
    cursor = TransferHistoryCursor.objects.get(connection=conn)
    first_newest = cursor.newest_time
    assert first_newest == max(r.time for r in TransferHistoryRecord.objects.all())
    assert all(c["start_time"] is None for c in history_calls)  # first sync: everything

    history_calls.clear()
    _move(conn, to=ledger.subs[1], amount="3")
    assert history.transfer_history_sync(connection_id=conn.pk) == 1
    rows = TransferHistoryRecord.objects.filter(connection=conn).order_by("time")
    assert [(r.from_email, r.to_email, r.qty) for r in rows] == [
        (ledger.master, ledger.subs[0], Decimal("1.5")),
        (ledger.subs[1], ledger.master, Decimal("2")),
        (ledger.master, ledger.subs[1], Decimal("3")),
    ]
    # The second sync asked only from just before what it already had.
    assert {c["start_time"] for c in history_calls} == {first_newest - history.OVERLAP}
    cursor.refresh_from_db()
    assert cursor.newest_time > first_newest and cursor.synced_at and not cursor.last_error

    assert history.transfer_history_sync(connection_id=conn.pk) == 0
    assert TransferHistoryRecord.objects.filter(connection=conn).count() == 3


def test_it_pages_through_full_pages(synced, history_calls, monkeypatch):
    conn, ledger = synced
    for amount in ("1", "2", "3"):
        _move(conn, to=ledger.subs[0], amount=amount)
    monkeypatch.setattr(history, "PAGE_SIZE", 2)
    assert history.transfer_history_sync(connection_id=conn.pk) == 3
    pages = [c["page"] for c in history_calls if c["email"] == ledger.subs[0]]
    assert pages == [1, 2]


def test_it_keeps_the_cursor_when_the_exchange_fails():
    conn = make_connection(make_user())  # keys the exchange does not know
    SubAccount.objects.create(connection=conn, email="s@example.test", synced_at=timezone.now())
    assert history.transfer_history_sync(connection_id=conn.pk) == 0
    cursor = TransferHistoryCursor.objects.get(connection=conn)
    assert cursor.newest_time is None and cursor.last_error


def test_it_lists_connections_with_subaccounts_for_the_beat(synced):
    conn, _ = synced
    bare = make_connection(make_user())
    ids = history.transfer_history_connections()
    assert conn.pk in ids and bare.pk not in ids


def test_it_filters_and_exports_the_history(client, synced):
    conn, ledger = synced
    _move(conn, to=ledger.subs[0], amount="0.00000001")
    _move(conn, frm=ledger.subs[1], amount="12.5")
    history.transfer_history_sync(connection_id=conn.pk)
    login(client, conn.user)
    url = reverse("transfers:history", args=[conn.pk])
    page = client.get(url).content.decode()
    assert "0.00000001" in page and "12.5" in page
    filtered = client.get(url, {"email": ledger.subs[1]}).content.decode()
    assert "12.5" in filtered and "0.00000001" not in filtered

    resp = client.get(reverse("transfers:history-csv", args=[conn.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert rows[0] == ["time_utc", "from", "to", "asset", "qty"]
    assert sorted(r[1:] for r in rows[1:]) == sorted(
        [
            [ledger.master, ledger.subs[0], "USD", "0.00000001"],
            [ledger.subs[1], ledger.master, "USD", "12.5"],
        ]
    )
    assert all(r[0].endswith("+00:00") for r in rows[1:])
    only = client.get(reverse("transfers:history-csv", args=[conn.pk]), {"asset": "USD"})
    assert len(b"".join(only.streaming_content).decode().strip().splitlines()) == 3
    future = client.get(reverse("transfers:history-csv", args=[conn.pk]), {"since": "2099-01-01"})
    assert b"".join(future.streaming_content).decode().strip() == "time_utc,from,to,asset,qty"


def test_it_queues_a_sync_on_demand_after_commit(
    client, synced, django_capture_on_commit_callbacks
):
    conn, _ = synced
    login(client, conn.user)
    with django_capture_on_commit_callbacks() as callbacks:
        resp = client.post(reverse("transfers:history-sync", args=[conn.pk]))
    assert resp.status_code == 302 and len(callbacks) == 1


def test_it_gives_strangers_404_on_history_urls(client, synced):
    conn, ledger = synced
    login(client, make_user())
    before = ledger.requests_total()
    assert client.get(reverse("transfers:history", args=[conn.pk])).status_code == 404
    assert client.get(reverse("transfers:history-csv", args=[conn.pk])).status_code == 404
    assert client.post(reverse("transfers:history-sync", args=[conn.pk])).status_code == 404
    assert ledger.requests_total() == before
