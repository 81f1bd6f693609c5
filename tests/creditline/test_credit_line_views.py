"""The Credit line tab and the alert banners, as the owner's browser sees them (no exchange
needed: the figures are the database's)."""

import uuid

import pytest
from django.urls import reverse

from creditline.models import CreditAlert, CreditTransfer
from tests.creditline.conftest import credit_line_objects
from tests.factories import login, make_connection, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(client):
    owner = make_user()
    alert, _ = credit_line_objects(owner)
    login(client, owner)
    return client, alert.connection, alert


def test_it_draws_the_gauge_with_its_thresholds(owned):
    client, conn, _ = owned
    page = client.get(reverse("creditline:index", args=[conn.pk])).content.decode()
    assert 'id="ltv-gauge"' in page and 'data-level="ok"' in page
    # 0.5 on a gauge spanning 0..1.125 (liquidation 0.9 x 1.25), marks where the thresholds are.
    assert 'width="44.44"' in page and 'x1="71.11"' in page and 'x1="80.00"' in page
    assert "50 %" in page and "80 %" in page and "90 %" in page
    assert 'data-margin-call="0.8"' in page


def test_the_tab_is_only_for_credit_line_keys(client):
    owner = make_user()
    login(client, owner)
    exchange = make_connection(owner)
    assert client.get(reverse("creditline:index", args=[exchange.pk])).status_code == 404
    tabs = client.get(reverse("accounts:detail", args=[exchange.pk])).content.decode()
    assert reverse("creditline:index", args=[exchange.pk]) not in tabs


def test_bad_input_names_the_field_and_stores_nothing(owned):
    client, conn, _ = owned
    url = reverse("creditline:transfer", args=[conn.pk])
    key = uuid.uuid4().hex
    cases = {
        "quantity": {"transfer_type": "TRANSFER_IN", "asset": "USD", "quantity": "-1"},
        "asset": {"transfer_type": "TRANSFER_IN", "asset": "DOGE", "quantity": "1"},
        "transfer_type": {"transfer_type": "SIDEWAYS", "asset": "USD", "quantity": "1"},
    }
    for field, data in cases.items():
        resp = client.post(url, {**data, "request_key": key})
        assert resp.status_code == 200, field
        assert resp.context["form"].errors.get(field), field
        assert 'aria-invalid="true"' in resp.content.decode(), field
    assert not CreditTransfer.objects.filter(connection=conn, request_key=key).exists()


def test_out_beyond_the_stored_limit_is_refused_on_the_field(owned):
    client, conn, _ = owned
    resp = client.post(
        reverse("creditline:transfer", args=[conn.pk]),
        {
            "transfer_type": "TRANSFER_OUT",
            "asset": "USD",
            "quantity": "5",
            "request_key": uuid.uuid4().hex,
        },
    )
    assert resp.status_code == 200
    # No USD is held: the balance check answers first, on the quantity field.
    assert "more than the free USD balance" in str(resp.context["form"].errors["quantity"])
    assert CreditTransfer.objects.filter(connection=conn).count() == 1  # the fixture's


def test_an_open_alert_is_a_banner_on_every_page_until_dismissed(owned):
    client, conn, alert = owned
    dashboard = client.get(reverse("dashboard:home")).content.decode()
    assert f'data-alert="{alert.pk}"' in dashboard and "Margin call on" in dashboard
    assert f'data-connections="{conn.pk}"' in dashboard
    resp = client.post(
        reverse("creditline:alert-dismiss", args=[conn.pk, alert.pk]),
        HTTP_ACCEPT="application/json",
    )
    assert resp.json() == {"dismissed": alert.pk}
    assert CreditAlert.objects.get(pk=alert.pk).dismissed_at is not None
    assert f'data-alert="{alert.pk}"' not in client.get(reverse("dashboard:home")).content.decode()


def test_a_strangers_banners_are_not_shown(owned, client):
    _, _, alert = owned
    login(client, make_user())
    page = client.get(reverse("dashboard:home")).content.decode()
    assert f'data-alert="{alert.pk}"' not in page and 'data-connections=""' in page
