"""The kickback history export against the real sandbox: started by a POST, followed until the
exchange has the file (the sandbox's clock decides when), fetched and stored by the desk and
served by it as an attachment to the owner only; a new export replaces one still being
prepared; the checks are bounded; a file over the cap is refused; the exchange's URL is never
shown."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import override_settings
from django.urls import reverse

from rewards import exporting
from rewards.models import BrokerExport
from tests.factories import login, make_user

pytestmark = pytest.mark.django_db

ROWS = [
    {"income": "0.01", "asset": "USD", "symbol": "BTCUSD"},
    {"income": "0.00000002", "asset": "BTC", "symbol": "ETHBTC"},
]
STATUS = "GET /sapi/v1/apiReferral/kickback/historicalRecord"


@pytest.fixture
def kickbacks(rewards_desk):
    """The account with two kickbacks, whose exports take 60 s of the sandbox's clock."""
    client, conn, exchange = rewards_desk
    now = exchange.now_ms()
    exchange.kickbacks(
        [{**r, "time": now - 1000 * i} for i, r in enumerate(ROWS)], exportDelayMs=60_000
    )
    return client, conn, exchange


def _start(client, conn, **data):
    return client.post(reverse("rewards:export-start", args=[conn.pk]), data, follow=True)


def test_an_export_is_followed_fetched_and_downloaded(kickbacks):
    client, conn, exchange = kickbacks
    page = _start(client, conn).content.decode()
    export = BrokerExport.objects.get(connection=conn)
    assert export.status == "collecting" and f'data-export="{export.pk}"' in page
    exporting.export_follow(export_id=export.pk)  # not ready on the exchange's clock yet
    export.refresh_from_db()
    assert (export.status, export.checks) == ("collecting", 1)
    exchange.admin("clock", {"advanceMs": 61_000})
    exporting.export_follow(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "ready" and export.row_count == 2
    resp = client.get(reverse("rewards:export-download", args=[conn.pk, export.pk]))
    assert resp["Content-Disposition"] == f'attachment; filename="{export.filename}"'
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert [(r["income"], r["asset"], r["symbol"]) for r in rows] == [
        (r["income"], r["asset"], r["symbol"]) for r in ROWS
    ]
    page = client.get(reverse("rewards:broker", args=[conn.pk])).content.decode()
    assert "Download CSV" in page and "/sandbox/v1/partners/exports/" not in page


def test_a_strangers_export_is_not_found(kickbacks, client):
    _, conn, exchange = kickbacks
    exchange.kickbacks(exportDelayMs=0)
    _start(client, conn)
    export = BrokerExport.objects.get(connection=conn)
    exporting.export_follow(export_id=export.pk)
    login(client, make_user())
    url = reverse("rewards:export-download", args=[conn.pk, export.pk])
    assert client.get(url).status_code == 404


def test_a_file_not_ready_is_not_served(kickbacks):
    client, conn, _ = kickbacks
    _start(client, conn)
    export = BrokerExport.objects.get(connection=conn)
    resp = client.get(reverse("rewards:export-download", args=[conn.pk, export.pk]))
    assert resp.status_code == 409 and "being prepared" in resp.content.decode()


def test_a_new_export_replaces_one_being_prepared(kickbacks):
    client, conn, exchange = kickbacks
    _start(client, conn)
    _start(client, conn)
    first, second = BrokerExport.objects.filter(connection=conn).order_by("pk")
    assert (first.status, second.status) == ("superseded", "collecting")
    exchange.admin("clock", {"advanceMs": 61_000})
    exporting.export_follow(export_id=first.pk)  # its check finds nothing to do
    first.refresh_from_db()
    assert first.status == "superseded" and first.content is None


def test_the_checks_are_bounded(kickbacks, monkeypatch):
    client, conn, _ = kickbacks
    monkeypatch.setattr(exporting, "MAX_CHECKS", 2)
    _start(client, conn)
    export = BrokerExport.objects.get(connection=conn)
    for _ in range(3):
        exporting.export_follow(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and "after 2 checks" in export.error


def test_a_file_over_the_cap_is_refused(kickbacks):
    client, conn, exchange = kickbacks
    exchange.kickbacks(exportDelayMs=0)
    _start(client, conn)
    export = BrokerExport.objects.get(connection=conn)
    with override_settings(REWARDS_EXPORT_MAX_BYTES=40):
        exporting.export_follow(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and "larger than the desk keeps" in export.error
    assert export.content is None


def test_a_bad_window_is_refused_on_its_field_and_nothing_is_asked(kickbacks):
    client, conn, exchange = kickbacks
    before = exchange.calls("POST /sapi/v1/apiReferral/kickback/historicalRecord")
    resp = client.post(
        reverse("rewards:export-start", args=[conn.pk]), {"export_since": "2020-01-01T00:00"}
    )
    assert "last 30 days" in str(resp.context["export_form"].errors["export_since"])
    assert 'id="errors-export_since"' in resp.content.decode()
    assert exchange.calls("POST /sapi/v1/apiReferral/kickback/historicalRecord") == before
    assert not BrokerExport.objects.filter(connection=conn).exists()


def test_the_sweep_takes_up_a_lost_follow_up(kickbacks, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    client, conn, exchange = kickbacks
    exchange.kickbacks(exportDelayMs=0)
    _start(client, conn)
    export = BrokerExport.objects.get(connection=conn)
    long_ago = timezone.now() - timedelta(minutes=5)
    BrokerExport.objects.filter(pk=export.pk).update(requested_at=long_ago)
    queued = []
    monkeypatch.setattr(exporting, "_follow_later", lambda eid, seconds: queued.append(eid))
    assert exporting.exports_sweep() == 1
    assert queued == [export.pk]
    exporting.export_follow(export_id=export.pk)  # what the queued task does
    export.refresh_from_db()
    assert export.status == "ready"
    assert exporting.exports_sweep() == 0


def test_the_desk_fetches_only_https_from_the_live_exchange():
    from accounts.models import Environment

    with pytest.raises(exporting.DownloadRefused, match="does not download from"):
        exporting.download("http://example.test/export.csv", environment=Environment.LIVE)
    with pytest.raises(exporting.DownloadRefused):
        exporting.download("file:///etc/passwd", environment=Environment.SANDBOX)
