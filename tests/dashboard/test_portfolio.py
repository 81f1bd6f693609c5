"""The dashboard's portfolio: every connection's holdings by part, valued in USD through each
asset's route, against the sandbox's prices; only the user's own; a flat query count."""

import json
from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Balance, KeyType, SubAccount
from custody.models import CustodialBalance
from dashboard import history
from dashboard.portfolio import portfolio, route_for
from desk import exchange_reads
from tests.factories import login, make_connection, make_user
from wallet.staking.models import StakedPosition

pytestmark = pytest.mark.django_db

PAIRS = {
    "BTCUSD": ("BTC", "USD"),
    "SOLUSDT": ("SOL", "USDT"),
    "USDTUSD": ("USDT", "USD"),
}


def test_each_asset_is_valued_through_its_usd_pair_else_its_usdt_pair():
    assert route_for("USD", PAIRS).legs == ()
    assert route_for("BTC", PAIRS).legs == ("BTCUSD",)
    assert route_for("SOL", PAIRS).legs == ("SOLUSDT", "USDTUSD")
    assert route_for("SOL", PAIRS).text == "SOL → USDT (SOLUSDT) → USD (USDTUSD)"
    assert route_for("USDT", PAIRS).legs == ("USDTUSD",)
    assert route_for("XYZ", PAIRS) is None
    assert route_for("SOL", {"SOLUSDT": ("SOL", "USDT")}) is None  # no USDT to USD market


def _balance(conn, asset: str, free: str, locked: str = "0") -> None:
    Balance.objects.create(
        connection=conn,
        asset=asset,
        free=Decimal(free),
        locked=Decimal(locked),
        updated_at=timezone.now(),
    )


def _last(symbol: str) -> Decimal:
    return exchange_reads.last_prices()[symbol]


def test_it_values_every_part_of_every_connection_at_the_exchanges_prices(use_sandbox):
    user = make_user()
    main = make_connection(user, label="Main")
    _balance(main, "USD", "1000.5")
    _balance(main, "BTC", "0.5", "0.25")
    _balance(main, "NOPRICE", "7")
    SubAccount.objects.create(
        connection=main,
        email="sub@example.test",
        assets=[{"asset": "BTC", "free": "0.1", "locked": "0"}],
        synced_at=timezone.now(),
    )
    StakedPosition.objects.create(connection=main, asset="BTC", amount=Decimal("0.2"))
    custodial = make_connection(user, label="Custody", key_type=KeyType.CUSTODIAL)
    CustodialBalance.objects.create(
        connection=custodial,
        asset="USD",
        free=Decimal("200"),
        locked=Decimal("0"),
        in_settlement=Decimal("50"),
    )
    credit = make_connection(user, label="Credit", key_type=KeyType.CREDIT_LINE)
    _balance(credit, "BTC", "1")
    make_connection(make_user(), label="Stranger")  # never counted

    held = portfolio(user=user)
    btc = _last("BTCUSD")
    parts = {part: value for part, _, value in held.by_part()}
    assert parts["spot"] == Decimal("1000.5") + Decimal("0.75") * btc
    assert parts["subaccounts"] == Decimal("0.1") * btc
    assert parts["staked"] == Decimal("0.2") * btc
    assert parts["custody"] == Decimal("200")
    assert parts["settlement"] == Decimal("50")
    assert parts["collateral"] == btc
    assert held.total == sum(parts.values())
    assert held.unpriced == ["NOPRICE"]
    by_connection = {row["connection"].label: row["value"] for row in held.by_connection()}
    assert set(by_connection) == {"Main", "Custody", "Credit"}
    assert by_connection["Custody"] == Decimal("250")
    assets = {row["asset"]: row for row in held.by_asset()}
    assert assets["BTC"]["amount"] == Decimal("2.05")
    assert assets["NOPRICE"]["value"] is None and assets["NOPRICE"]["share"] is None


def test_the_page_shows_the_total_and_the_route_and_keeps_its_query_count(client, use_sandbox):
    user = make_user()
    conn = make_connection(user, label="Main")
    _balance(conn, "BTC", "2")
    login(client, user)
    page = client.get("/").content.decode()
    btc = _last("BTCUSD")
    total = f"{(2 * btc).quantize(Decimal('0.01')):,.2f}"
    assert f'id="portfolio-total" aria-live="polite">{total}</b>' in page
    assert 'title="Valued as BTC → USD (BTCUSD)"' in page
    assert 'id="portfolio-data"' in page

    with CaptureQueriesContext(db) as few:
        portfolio(user=user)
    for i in range(5):
        extra = make_connection(user, label=f"More {i}")
        _balance(extra, "BTC", "1")
        _balance(extra, "USD", "3")
        StakedPosition.objects.create(connection=extra, asset="BTC", amount=Decimal("1"))
    with CaptureQueriesContext(db) as many:
        portfolio(user=user)
    assert len(many) == len(few)


def test_the_page_and_the_snapshot_show_the_staked_part(client, use_sandbox):
    user = make_user()
    conn = make_connection(user, label="Main")
    _balance(conn, "USD", "10")
    StakedPosition.objects.create(connection=conn, asset="BTC", amount=Decimal("0.5"))
    login(client, user)
    page = client.get("/").content.decode()
    raw = page.split('id="portfolio-data" type="application/json">')[1].split("</script>")[0]
    payload = json.loads(raw)
    staked = [
        (ln["asset"], Decimal(ln["amount"])) for ln in payload["lines"] if ln["part"] == "staked"
    ]
    assert staked == [("BTC", Decimal("0.5"))]
    # Valued at the prices the page was made with (the cached last prices move between reads).
    value = Decimal("0.5") * Decimal(payload["prices"]["BTCUSD"])
    shown = f"{value.quantize(Decimal('0.01')):,.2f}"
    assert f'<tr data-part="staked"><th scope="row">Staked</th><td class="num">{shown}</td>' in page

    snapshot = history.snapshot_take(user=user)
    assert Decimal(snapshot.parts["staked"]) > 0
    assert snapshot.total_usd == Decimal("10") + Decimal(snapshot.parts["staked"])
