"""Value over time: five-minute portfolio snapshots (one per user and slot), thinned as they age,
read back per range; the JSON the dashboard's chart draws, for its owner only."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Balance
from dashboard import history
from dashboard.models import PortfolioSnapshot
from desk import exchange_reads
from tests.factories import login, make_connection, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 4, 12, 7, 30, tzinfo=UTC)


def _holding(user, asset: str, free: str):
    conn = make_connection(user)
    Balance.objects.create(
        connection=conn, asset=asset, free=Decimal(free), locked=Decimal(0), updated_at=NOW
    )
    return conn


def _row(user, at: datetime, total: str = "1") -> PortfolioSnapshot:
    return PortfolioSnapshot.objects.create(user=user, taken_at=at, total_usd=Decimal(total))


def test_a_snapshot_holds_the_total_and_parts_once_per_five_minute_slot(use_sandbox):
    user = make_user()
    _holding(user, "USD", "100.25")
    _holding(user, "BTC", "0.5")
    btc = exchange_reads.last_prices()["BTCUSD"]

    first = history.snapshot_take(user=user, at=NOW)
    again = history.snapshot_take(user=user, at=NOW + timedelta(minutes=2))  # same slot
    later = history.snapshot_take(user=user, at=NOW + timedelta(minutes=3))  # the next one

    assert first.taken_at == datetime(2026, 12, 4, 12, 5, tzinfo=UTC)
    assert first.total_usd == Decimal("100.25") + Decimal("0.5") * btc
    assert Decimal(first.parts["spot"]) == first.total_usd
    assert Decimal(first.parts["custody"]) == 0
    assert again is None
    assert later.taken_at == datetime(2026, 12, 4, 12, 10, tzinfo=UTC)
    assert PortfolioSnapshot.objects.filter(user=user).count() == 2


def test_a_snapshot_names_what_it_could_not_price(use_sandbox):
    user = make_user()
    _holding(user, "NOPRICE", "3")

    row = history.snapshot_take(user=user, at=NOW)

    assert row.total_usd == 0 and row.unpriced == ["NOPRICE"]


def test_only_users_with_a_connection_are_snapshotted():
    holder, nobody = make_user(), make_user()
    make_connection(holder)
    make_connection(holder)

    assert list(history.snapshot_users()) == [holder]
    assert nobody not in history.snapshot_users()


def test_thinning_keeps_a_day_of_slots_then_one_an_hour_then_one_a_day_for_a_year():
    user, other = make_user(), make_user()
    hour = NOW.replace(minute=0, second=0)
    recent = [_row(user, hour - timedelta(minutes=5 * i)) for i in range(12)]  # the last hour
    two_days = [_row(user, hour - timedelta(days=2, minutes=5 * i)) for i in range(3)]
    # The 3 slots above fall in two hours (hh:00, and hh-1:55, hh-1:50): one kept from each.
    ten_days = [_row(user, hour - timedelta(days=10, hours=i)) for i in range(3)]  # one day
    ancient = _row(user, hour - timedelta(days=400))
    theirs = [_row(other, hour - timedelta(days=2, minutes=5 * i)) for i in range(3)]

    gone = history.snapshots_thin(now=NOW)

    left = set(PortfolioSnapshot.objects.values_list("id", flat=True))
    assert {r.id for r in recent} <= left
    assert [r.id in left for r in two_days] == [True, True, False]
    assert sum(r.id in left for r in ten_days) == 1
    assert ancient.id not in left
    assert [r.id in left for r in theirs] == [True, True, False]  # per user, not across users
    assert gone == 1 + 1 + 2 + 1


def test_a_range_reads_its_own_users_snapshots_in_time_order():
    user, other = make_user(), make_user()
    _row(user, NOW - timedelta(hours=30), "5")
    _row(user, NOW - timedelta(hours=2), "7.5")
    _row(user, NOW - timedelta(hours=1), "8")
    _row(other, NOW - timedelta(hours=1), "999")

    day = history.series(user=user, span="24h", now=NOW)
    week = history.series(user=user, span="7d", now=NOW)

    assert [total for _, total, _ in day] == ["7.5", "8"]
    assert [Decimal(total) for _, total, _ in week] == [5, Decimal("7.5"), 8]


def test_the_chart_reads_its_range_as_json_for_the_signed_in_user(client):
    user, other = make_user(), make_user()
    at = timezone.now() - timedelta(hours=1)
    _row(user, at, "1234.5")
    _row(other, at, "999")
    login(client, user)

    resp = client.get("/portfolio/history.json", {"range": "24h"})

    assert resp.status_code == 200
    body = resp.json()
    assert body["range"] == "24h"
    assert [(ms // 1000, Decimal(v)) for ms, v in body["points"]] == [
        (int(at.timestamp()), Decimal("1234.5"))
    ]
    assert body["estimatedUntil"] is None


def test_an_unknown_range_is_refused_naming_the_choices(client):
    login(client, make_user())

    resp = client.get("/portfolio/history.json", {"range": "5y"})

    assert resp.status_code == 400
    assert resp.json()["errors"]["range"] == ["Choose one of 24h, 7d, 30d, 1y."]


def test_the_history_is_for_signed_in_users_only(client):
    resp = client.get("/portfolio/history.json")

    assert resp.status_code == 302 and "/login/" in resp["Location"]
