"""The Rewards tab as its owner's browser sees it: stored rows, the chart's data, the partner-id
setting checked with the exchange (its answer and its refusals on the field, nothing saved on
a refusal, nothing sent for a malformed id), "Sync now" and the CSV exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import KeyType
from rewards import selectors
from rewards.models import PartnerRebate, ReferralReward, RewardsProfile
from tests.factories import login, make_connection, make_user
from tests.rewards.conftest import rewards_objects

pytestmark = pytest.mark.django_db

ELIGIBILITY = "GET /sapi/v1/apipartner/checkEligibility"


@pytest.fixture
def owned(client):
    owner = make_user()
    export, _ = rewards_objects(owner)
    login(client, owner)
    return client, export.connection


def _csv(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode())))


def test_it_shows_the_stored_rows_and_the_chart_data(owned):
    client, conn = owned
    at = datetime.now(UTC)
    PartnerRebate.objects.create(
        connection=conn, partner_id="ABCD1234", qty=Decimal("0.25"), asset="BTC", date=at
    )
    resp = client.get(reverse("rewards:index", args=[conn.pk]))
    page = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="referrals-referrer"' in page and "8 USD" in page
    assert 'id="partner-rebates"' in page and "0.25" in page and "ABCD1234" in page
    series = resp.context["series"]
    assert {"key": "rebate-BTC", "label": "Partner rebates (BTC)"}.items() <= series[0].items()
    assert series[0]["points"][0][1] == "0.25"
    assert 'id="rewards-series-data"' in page and 'id="rewards-chart"' in page


def test_the_tabs_are_only_for_exchange_keys(client):
    owner = make_user()
    login(client, owner)
    custodial = make_connection(owner, key_type=KeyType.CUSTODIAL)
    for name in ("rewards:index", "rewards:broker"):
        assert client.get(reverse(name, args=[custodial.pk])).status_code == 404


def test_a_malformed_partner_id_is_refused_on_its_field_before_sending(rewards_desk):
    client, conn, exchange = rewards_desk
    before = exchange.calls(ELIGIBILITY)
    for value in ("ABC", "ABCD-123", "ABCDEFGHI"):
        resp = client.post(reverse("rewards:partner", args=[conn.pk]), {"partner_id": value})
        assert resp.status_code == 200
        assert resp.context["partner_form"].errors["partner_id"], value
        assert 'aria-invalid="true"' in resp.content.decode()
    assert exchange.calls(ELIGIBILITY) == before
    assert selectors.partner_prefix(connection=conn) == ""


def test_an_unknown_partner_id_shows_the_exchanges_answer_and_saves_nothing(rewards_desk):
    client, conn, _ = rewards_desk
    resp = client.post(reverse("rewards:partner", args=[conn.pk]), {"partner_id": "ZZZZ9999"})
    errors = str(resp.context["partner_form"].errors["partner_id"])
    assert "-1130" in errors and "partnerId" in errors
    assert selectors.partner_prefix(connection=conn) == ""


def test_a_registered_partner_id_is_saved_with_the_exchanges_answer(rewards_desk):
    client, conn, exchange = rewards_desk
    partner_id = exchange.register_partner(vipLevel=2)
    resp = client.post(
        reverse("rewards:partner", args=[conn.pk]), {"partner_id": partner_id}, follow=True
    )
    page = resp.content.decode()
    assert f"Partner id {partner_id} saved: this account is eligible" in page
    assert 'data-eligible="true"' in page and f"{partner_id}-" in page
    profile = RewardsProfile.objects.get(connection=conn)
    assert (profile.partner_eligible, profile.partner_vip_level) == (True, 2)
    assert selectors.partner_prefix(connection=conn) == f"{partner_id}-"
    # Cleared with an empty id: orders are no longer prefixed.
    client.post(reverse("rewards:partner", args=[conn.pk]), {"partner_id": ""})
    assert selectors.partner_prefix(connection=conn) == ""


def test_a_partner_that_does_not_rebate_this_account_is_saved_with_a_warning(rewards_desk):
    client, conn, exchange = rewards_desk
    partner_id = exchange.register_partner(isEligible=False)
    resp = client.post(
        reverse("rewards:partner", args=[conn.pk]), {"partner_id": partner_id}, follow=True
    )
    assert "says this account is not eligible" in resp.content.decode()
    assert RewardsProfile.objects.get(connection=conn).partner_eligible is False


def test_sync_now_reads_again(rewards_desk):
    client, conn, _ = rewards_desk
    resp = client.post(reverse("rewards:sync", args=[conn.pk]), HTTP_ACCEPT="application/json")
    assert resp.json() == {"queued": True}
    assert RewardsProfile.objects.filter(connection=conn).exists()


def test_the_exports_have_every_stored_row_as_exact_text(owned):
    client, conn = owned
    at = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    ReferralReward.objects.create(
        connection=conn,
        biz_type=1,
        user_id=7,
        reward_amount=Decimal("0.00000001"),
        reward_type="BTC",
        received=at,
    )
    rows = _csv(client.get(reverse("rewards:referrals-csv", args=[conn.pk])))
    assert rows[0] == ["received_utc", "role", "user_id", "reward_amount", "reward_asset"]
    assert rows[1:] == [
        ["2026-11-22T12:00:00.000Z", "referrer", "1", "8", "USD"],
        ["2026-11-23T08:30:00.000Z", "referee", "7", "0.00000001", "BTC"],
    ]
    resp = client.get(reverse("rewards:rebates-csv", args=[conn.pk]))
    assert resp["Content-Disposition"].startswith("attachment;")
    assert _csv(resp) == [
        ["date_utc", "partner_id", "qty", "asset"],
        ["2026-11-22T12:00:00.000Z", "ABCD1234", "0.1", "USD"],
    ]


def test_the_live_part_is_the_same_tables(owned):
    client, conn = owned
    part = client.get(reverse("rewards:live", args=[conn.pk])).content.decode()
    assert 'id="partner-rebates"' in part and "<html" not in part
    data = part.split('id="rewards-series-data" type="application/json">')[1].split("</script>")[0]
    assert isinstance(json.loads(data), list)
