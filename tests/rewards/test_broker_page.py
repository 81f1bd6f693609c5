"""The Broker page against the real sandbox: the agent code checked with ifNewUser, client
customer ids listed, added and edited in place, the lookup's "not both" rule (R57), one's own
customer id at a broker, and the rebate and kickback windows, refused on their fields before
anything is sent when the spec forbids them (R128-130, R169)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from rewards.models import RewardsProfile

pytestmark = pytest.mark.django_db

CUSTOMIZATIONS = "GET /sapi/v1/apiReferral/customization"
REBATES = "GET /sapi/v1/apiReferral/rebate/recentRecord"
KICKBACKS = "GET /sapi/v1/apiReferral/kickback/recentRecord"


def _local(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def broker_desk(rewards_desk, sandbox_url):
    """The signed-in owner's account made a broker, with a client account: (client, connection,
    Exchange, agent code, the client's e-mail)."""
    from tests.rewards.conftest import new_account

    client, conn, exchange = rewards_desk
    code = exchange.make_broker()
    customer = new_account(sandbox_url)
    return client, conn, exchange, code, customer["email"]


def test_without_an_agent_code_the_page_says_what_it_needs(rewards_desk):
    client, conn, _ = rewards_desk
    page = client.get(reverse("rewards:broker", args=[conn.pk])).content.decode()
    assert 'id="agent-needed"' in page and "apiAgentCode" in page
    assert 'id="mine-needs-agent"' in page


def test_the_agent_code_is_checked_and_the_answer_shown(broker_desk):
    client, conn, _, code, _ = broker_desk
    url = reverse("rewards:agent-code", args=[conn.pk])
    resp = client.post(url, {"agent_code": "NOSUCH42"})
    errors = str(resp.context["agent_form"].errors["agent_code"])
    assert "-1130" in errors and "apiAgentCode" in errors
    assert not RewardsProfile.objects.filter(connection=conn).exclude(agent_code="").exists()
    page = client.post(url, {"agent_code": code}, follow=True).content.decode()
    assert f'id="agent-current">{code}<' in page
    profile = RewardsProfile.objects.get(connection=conn)
    assert profile.agent_code == code and profile.agent_rebate_working is True


def test_a_client_is_given_a_customer_id_and_it_is_edited_in_place(broker_desk):
    client, conn, _, _, email = broker_desk
    url = reverse("rewards:customize", args=[conn.pk])
    client.post(url, {"email": email, "customer_id": "first-id"})
    page = client.get(reverse("rewards:broker", args=[conn.pk])).content.decode()
    assert f'data-email="{email}"' in page and "first-id" in page
    edit = client.get(reverse("rewards:broker", args=[conn.pk]), {"edit": email})
    assert edit.context["customize_form"].initial == {"email": email, "customer_id": "first-id"}
    resp = client.post(url, {"email": email, "customer_id": "second-id"}, follow=True)
    assert f"{email} now has customer id second-id." in resp.content.decode()
    rows = resp.context["customizations"].value
    assert [(r.email, r.customer_id) for r in rows] == [(email, "second-id")]


def test_a_customer_id_held_by_another_client_is_refused_on_its_field(broker_desk, sandbox_url):
    from tests.rewards.conftest import new_account

    client, conn, _, _, email = broker_desk
    url = reverse("rewards:customize", args=[conn.pk])
    client.post(url, {"email": email, "customer_id": "taken-id"})
    other = new_account(sandbox_url)["email"]
    resp = client.post(url, {"email": other, "customer_id": "taken-id"})
    errors = str(resp.context["customize_form"].errors["customer_id"])
    assert "-1130" in errors and "customerId" in errors


def test_the_lookup_takes_a_customer_id_or_an_email_never_both(broker_desk):
    client, conn, exchange, _, email = broker_desk
    client.post(reverse("rewards:customize", args=[conn.pk]), {"email": email, "customer_id": "c1"})
    before = exchange.calls(CUSTOMIZATIONS)
    resp = client.get(
        reverse("rewards:broker", args=[conn.pk]),
        {"find_customer_id": "c1", "find_email": email},
    )
    assert "not both" in str(resp.context["find_form"].errors["find_email"])
    assert exchange.calls(CUSTOMIZATIONS) == before
    found = client.get(reverse("rewards:broker", args=[conn.pk]), {"find_customer_id": "c1"})
    assert [c.email for c in found.context["customizations"].value] == [email]


def test_not_a_broker_shows_the_exchanges_refusal(rewards_desk):
    client, conn, _ = rewards_desk
    page = client.get(reverse("rewards:broker", args=[conn.pk])).content.decode()
    assert 'id="customizations-error"' in page and "-2015" in page


def test_ones_own_customer_id_at_a_broker(rewards_desk, sandbox_url):
    from tests.rewards.conftest import Exchange, new_account

    client, conn, _ = rewards_desk
    broker = new_account(sandbox_url)
    code = Exchange(sandbox_url, broker["email"], broker).make_broker()
    url = reverse("rewards:user-customize", args=[conn.pk])
    refused = client.post(url, {"own_customer_id": "me-1"})
    assert "agent code first" in refused.content.decode()
    client.post(reverse("rewards:agent-code", args=[conn.pk]), {"agent_code": code})
    page = client.post(url, {"own_customer_id": "me-1"}, follow=True).content.decode()
    assert f"Your customer id at {code}: <strong>me-1</strong>" in page


def test_a_rebate_window_beyond_the_spec_is_refused_before_sending(broker_desk):
    client, conn, exchange, _, _ = broker_desk
    now = datetime.now(UTC)
    url = reverse("rewards:broker", args=[conn.pk])
    before = exchange.calls(REBATES)
    cases = [
        ({"rebates_since": _local(now - timedelta(days=2))}, "or neither (the last 7 days)"),
        (
            {
                "rebates_since": _local(now - timedelta(days=9)),
                "rebates_until": _local(now - timedelta(hours=1)),
            },
            "7 days at most",
        ),
        ({"rebates_since": _local(now), "rebates_until": _local(now)}, "after the start"),
    ]
    for query, why in cases:
        resp = client.get(url, query)
        assert why in str(resp.context["rebates_form"].errors["rebates_until"]), query
        assert resp.context["rebates"] is None
        assert 'id="errors-rebates_until"' in resp.content.decode()
    assert exchange.calls(REBATES) == before


def test_the_broker_rebates_of_a_window(broker_desk):
    client, conn, exchange, code, email = broker_desk
    now_ms = exchange.now_ms()
    row = {"email": email, "customerId": "c9", "income": "0.5", "asset": "USD"}
    exchange.make_broker(apiAgentCode=code, rebates=[{**row, "symbol": "BTCUSD", "time": now_ms}])
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    resp = client.get(
        reverse("rewards:broker", args=[conn.pk]),
        {
            "rebates_since": _local(now - timedelta(days=1)),
            "rebates_until": _local(now + timedelta(minutes=2)),
        },
    )
    [rebate] = resp.context["rebates"].value
    assert (rebate.customer_id, rebate.symbol, str(rebate.income)) == ("c9", "BTCUSD", "0.5")
    assert "*****@" in rebate.email  # the exchange masks it


def test_kickbacks_older_than_a_week_are_refused_on_their_field(broker_desk):
    client, conn, exchange, _, _ = broker_desk
    before = exchange.calls(KICKBACKS)
    old = _local(datetime.now(UTC) - timedelta(days=8))
    resp = client.get(reverse("rewards:broker", args=[conn.pk]), {"kickbacks_since": old})
    assert "last 7 days" in str(resp.context["kickbacks_form"].errors["kickbacks_since"])
    assert exchange.calls(KICKBACKS) == before
    exchange.kickbacks([{"income": "0.01", "asset": "USD", "symbol": "BTCUSD"}])
    resp = client.get(reverse("rewards:broker", args=[conn.pk]))
    assert [str(k.income) for k in resp.context["kickbacks"].value] == ["0.01"]
