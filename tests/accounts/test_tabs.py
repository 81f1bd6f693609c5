"""The connection page's tabs: one per area under /connections/<pk>/, only those the key type
supports (the spec's "API Key Types"), the page being shown marked with aria-current."""

import re

import pytest

from accounts.models import KeyType
from tests.factories import login, make_connection, make_user

pytestmark = pytest.mark.django_db

ALL_TABS = [
    *("Overview", "Trade", "Orders", "History", "Transfers", "Wallet", "Staking"),
    *("Convert", "Dust", "Rewards", "Broker"),
]


def _tabs(html: str, pk: int) -> list[tuple[str, str, bool]]:
    """(label, href, is current) of the tabs nav of connection ``pk`` on the page."""
    nav = re.search(rf'<nav[^>]*id="connection-tabs-{pk}".*?</nav>', html, re.S)
    assert nav, "no tabs on the page"
    return [
        (label, href, "aria-current" in attrs)
        for href, attrs, label in re.findall(r'<a href="([^"]+)"([^>]*)>([^<]+)</a>', nav.group(0))
    ]


@pytest.fixture
def owner(client):
    user = make_user()
    login(client, user)
    return user


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/connections/{pk}/", "Overview"),
        ("/connections/{pk}/trade/", "Trade"),
        ("/connections/{pk}/orders/", "Orders"),
        ("/connections/{pk}/history/", "History"),
        ("/connections/{pk}/transfers/", "Transfers"),
        ("/transfers/{pk}/schedules/", "Transfers"),
        ("/market/orders/{pk}/", "Orders"),
        ("/connections/{pk}/wallet/", "Wallet"),
        ("/connections/{pk}/wallet/withdraw/", "Wallet"),
        ("/connections/{pk}/staking/", "Staking"),
        ("/connections/{pk}/convert/", "Convert"),
        ("/connections/{pk}/dust/", "Dust"),
        ("/connections/{pk}/rewards/", "Rewards"),
        ("/connections/{pk}/broker/", "Broker"),
    ],
)
def test_it_shows_every_tab_of_an_exchange_key_marking_the_page(client, owner, url, current):
    conn = make_connection(owner)
    resp = client.get(url.format(pk=conn.pk))
    assert resp.status_code == 200
    tabs = _tabs(resp.content.decode(), conn.pk)
    assert [label for label, _, _ in tabs] == ALL_TABS
    assert [label for label, _, now in tabs if now] == [current]
    for _, href, _ in tabs:
        assert href.startswith(f"/connections/{conn.pk}/")


def test_it_renders_the_market_ticket_for_the_tabs_connection(client, owner):
    make_connection(owner, label="A first")
    conn = make_connection(owner, label="B second")
    page = client.get(f"/connections/{conn.pk}/trade/?symbol=ETHUSD").content.decode()
    assert f'action="/market/orders/{conn.pk}/place/"' in page and "<h1>ETHUSD</h1>" in page
    # The ticket's connection picker submits here: the market page picks (and checks) the other.
    other = client.get(f"/connections/{conn.pk}/trade/?symbol=ETHUSD&connection=7")
    assert other.status_code == 302 and other.url == "/market/ETHUSD/?connection=7"


@pytest.mark.parametrize(
    ("key_type", "area"), [(KeyType.CUSTODIAL, "Custody"), (KeyType.CREDIT_LINE, "Credit line")]
)
def test_it_shows_only_the_overview_and_its_own_area_to_other_keys(client, owner, key_type, area):
    conn = make_connection(owner)
    conn.key_type = key_type
    conn.save(update_fields=["key_type"])
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert [label for label, _, _ in _tabs(page, conn.pk)] == ["Overview", area]
    assert 'id="subaccounts"' not in page
    for area in ("trade", "orders", "transfers", "history"):
        resp = client.get(f"/connections/{conn.pk}/{area}/")
        assert resp.status_code == 404 and "it cannot" in resp.content.decode(), area


def test_it_links_each_connection_to_its_tabs_from_the_list_and_dashboard(client, owner):
    conn = make_connection(owner)
    for url in ("/connections/", f"/?connection={conn.pk}"):
        tabs = _tabs(client.get(url).content.decode(), conn.pk)
        assert [label for label, _, _ in tabs] == ALL_TABS
        assert not any(now for _, _, now in tabs)
