import csv
import io

import pytest
from django.urls import reverse

from accounts.audit import audit_record, scrub
from accounts.models import AuditOutcome, AuditRecord
from tests.factories import login, make_connection, make_user

pytestmark = pytest.mark.django_db


def _rows(client, **params) -> str:
    """The records table only (the filter form lists action names too)."""
    page = client.get(reverse("audit:list"), params).content.decode()
    return page.split('<table id="audit-rows">', 1)[1].split("</table>", 1)[0]


def test_it_scrubs_credentials_and_keeps_money_exact():
    from decimal import Decimal

    clean = scrub(
        {
            "api_key": "K",
            "apiSecret": "S",
            "signature": "x",
            "password": "p",
            "amount": Decimal("0.10000000"),
            "nested": {"secretKey": "S", "asset": "BTC"},
        }
    )
    assert clean == {"amount": "0.10000000", "nested": {"asset": "BTC"}}


def test_it_records_connection_actions_with_ip(client, sandbox_account):
    user = make_user()
    login(client, user)
    client.post(
        reverse("accounts:create"),
        {
            "label": "Main",
            "key_type": "exchange",
            "environment": "sandbox",
            "api_key": sandbox_account["apiKey"],
            "api_secret": sandbox_account["secretKey"],
        },
        REMOTE_ADDR="192.0.2.7",
    )
    conn = user.connections.get()
    client.post(reverse("accounts:rename", args=[conn.pk]), {"label": "Renamed"})
    client.post(reverse("accounts:delete", args=[conn.pk]))
    records = list(AuditRecord.objects.filter(user=user).order_by("pk"))
    assert [r.action for r in records] == [
        "connection.create",
        "connection.rename",
        "connection.delete",
    ]
    assert records[0].ip == "192.0.2.7"
    assert records[0].params == {
        "label": "Main",
        "key_type": "exchange",
        "environment": "sandbox",
        "rail": "",
    }
    assert records[1].params == {"from": "Main", "to": "Renamed"}
    assert records[2].connection is None and records[2].connection_label == "Renamed"
    for r in records:
        assert sandbox_account["secretKey"] not in str(r.params)
        assert sandbox_account["apiKey"] not in str(r.params)


def test_it_records_a_refused_key_with_the_exchange_code(client, sandbox_account):
    user = make_user()
    login(client, user)
    client.post(
        reverse("accounts:create"),
        {
            "label": "Bad",
            "key_type": "exchange",
            "environment": "sandbox",
            "api_key": sandbox_account["apiKey"],
            "api_secret": "Z" * 64,
        },
    )
    record = AuditRecord.objects.get(user=user)
    assert (record.action, record.outcome, record.error_code) == (
        "connection.create",
        AuditOutcome.ERROR,
        -1022,
    )
    assert "-1022" in record.error_message


def test_it_shows_and_exports_only_the_users_own_records(client):
    owner, stranger = make_user(), make_user()
    conn = make_connection(owner, label="Mine")
    audit_record(user=owner, action="connection.rename", connection=conn, params={"to": "Mine"})
    audit_record(
        user=owner,
        action="transfer.create",
        outcome=AuditOutcome.UNKNOWN,
        error_code=-1007,
        error_message="Timeout waiting for response",
    )
    audit_record(user=stranger, action="connection.delete", params={"label": "Theirs"})
    login(client, owner)
    page = _rows(client)
    assert "connection.rename" in page and "transfer.create" in page
    assert "Theirs" not in page and "connection.delete" not in page
    filtered = _rows(client, outcome="unknown")
    assert "transfer.create" in filtered and "connection.rename" not in filtered

    resp = client.get(reverse("audit:export"), {"action": "transfer.create"})
    assert resp["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert rows[0][:3] == ["time_utc", "action", "outcome"]
    assert [(r[1], r[2], r[4]) for r in rows[1:]] == [("transfer.create", "unknown", "-1007")]


def test_it_filters_by_connection_and_date(client):
    owner = make_user()
    a, b = make_connection(owner, label="A"), make_connection(owner, label="B")
    audit_record(user=owner, action="connection.rename", connection=a)
    audit_record(user=owner, action="connection.disable", connection=b)
    login(client, owner)
    page = _rows(client, connection=b.pk)
    assert "connection.disable" in page and "connection.rename" not in page
    none = _rows(client, since="2100-01-01")
    assert "Nothing recorded" in none
