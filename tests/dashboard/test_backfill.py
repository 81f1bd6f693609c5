"""Daily values before the first snapshot, worked back from today's holdings through the stored
history and valued at each day's close on a sandbox that opens with days of price history."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
import requests
from django.core.cache import cache

from accounts.models import Balance
from dashboard import backfill, history
from dashboard.models import PortfolioSnapshot
from tests.factories import login, make_connection, make_user
from tests.support import start_sandbox, terminate
from trading.models import AccountTrade
from wallet.activity.models import ActivityKind, ActivityState, WalletActivity

pytestmark = pytest.mark.django_db
_ids = count(1)


@pytest.fixture(scope="module")
def history_exchange():
    """A sandbox of this module's own that opens with three days of trades behind it."""
    proc, base = start_sandbox("--history-days", "3", seed=5)
    yield base
    terminate(proc)


@pytest.fixture
def exchange(history_exchange, settings):
    settings.SANDBOX_REST_URL = history_exchange
    cache.clear()  # the cached exchange reads are the session sandbox's
    yield history_exchange
    cache.clear()


def _daily_closes(base: str) -> dict:
    """{day: close} of BTCUSD, as the exchange itself answers."""
    rows = requests.get(
        f"{base}/api/v3/klines", params={"symbol": "BTCUSD", "interval": "1d"}, timeout=5
    ).json()
    return {datetime.fromtimestamp(k[0] / 1000, tz=UTC).date(): Decimal(k[4]) for k in rows}


def _holds(conn, **assets):
    for asset, amount in assets.items():
        Balance.objects.create(
            connection=conn,
            asset=asset,
            free=Decimal(amount),
            locked=Decimal(0),
            updated_at=datetime.now(UTC),
        )


def _buy(conn, at, qty, quote, fee="0"):
    AccountTrade.objects.create(
        connection=conn,
        symbol="BTCUSD",
        trade_id=next(_ids),
        order_id=next(_ids),
        price=Decimal(quote) / Decimal(qty),
        qty=Decimal(qty),
        quote_qty=Decimal(quote),
        commission=Decimal(fee),
        commission_asset="USD",
        time=at,
        is_buyer=True,
        is_maker=False,
    )


def _deposit(conn, at, amount, state=ActivityState.SUCCESS):
    WalletActivity.objects.create(
        connection=conn,
        kind=ActivityKind.FIAT_DEPOSIT,
        exchange_id=str(next(_ids)),
        coin="USD",
        amount=Decimal(amount),
        status="Successful",
        state=state,
        time=at,
        updated_at=at,
    )


def _midnight(days_ago: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def _estimates(user) -> dict:
    rows = PortfolioSnapshot.objects.filter(user=user, estimated=True)
    return {r.taken_at.date(): r.total_usd for r in rows}


def test_it_works_each_day_back_from_todays_holdings_through_the_history(exchange):
    user = make_user()
    conn = make_connection(user)
    _holds(conn, USD="1000", BTC="1")
    _buy(conn, _midnight(1) + timedelta(hours=12), "0.5", "15000", fee="1")
    _deposit(conn, _midnight(2) + timedelta(hours=6), "5000")
    _deposit(conn, _midnight(2) + timedelta(hours=7), "777", state=ActivityState.FAILED)
    closes = _daily_closes(exchange)
    d1, d2, d3 = (_midnight(n).date() for n in (1, 2, 3))

    outcome = backfill.portfolio_backfill(user=user)

    assert _estimates(user) == {
        d1: 1000 + 1 * closes[d1],
        d2: (1000 + 15000 + 1) + Decimal("0.5") * closes[d2],
        d3: (16001 - 5000) + Decimal("0.5") * closes[d3],
    }
    assert outcome.written == 3 and outcome.first_day == d3
    assert outcome.stopped == f"the stored history starts on {d2}"
    taken = PortfolioSnapshot.objects.get(user=user, taken_at__date=d1).taken_at
    assert (taken.hour, taken.minute) == (23, 55)  # the day's last slot: its close


def test_it_keeps_a_day_that_has_a_snapshot_of_its_own(exchange):
    user = make_user()
    conn = make_connection(user)
    _holds(conn, USD="1000")
    _deposit(conn, _midnight(3) + timedelta(hours=6), "500")
    taken = PortfolioSnapshot.objects.create(
        user=user, taken_at=_midnight(2) + timedelta(hours=9), total_usd=Decimal("1")
    )

    first = backfill.portfolio_backfill(user=user)
    again = backfill.portfolio_backfill(user=user)

    assert set(_estimates(user)) == {_midnight(n).date() for n in (1, 3, 4)}
    assert (first.written, again.written) == (3, 0)
    taken.refresh_from_db()
    assert taken.total_usd == 1 and not taken.estimated


def test_it_estimates_nothing_without_history(exchange):
    user = make_user()
    _holds(make_connection(user), USD="1000")

    outcome = backfill.portfolio_backfill(user=user)

    assert (outcome.written, outcome.stopped) == (0, "no history")


def test_it_stops_where_the_history_cannot_explain_the_holdings(exchange):
    user = make_user()
    conn = make_connection(user)
    _holds(conn, USD="1000", BTC="1")
    _buy(conn, _midnight(2) + timedelta(hours=3), "3", "90000")  # more BTC than is held

    outcome = backfill.portfolio_backfill(user=user)

    assert set(_estimates(user)) == {_midnight(1).date(), _midnight(2).date()}
    assert outcome.stopped == f"BTC would be below zero before {_midnight(2).date()}"


def test_a_users_first_snapshot_asks_for_the_days_before_it(
    exchange, django_capture_on_commit_callbacks
):
    user = make_user()
    _holds(make_connection(user), USD="10")
    now = datetime.now(UTC)

    with django_capture_on_commit_callbacks() as first:
        history.snapshot_take(user=user, at=now - timedelta(minutes=5))
    with django_capture_on_commit_callbacks() as second:
        history.snapshot_take(user=user, at=now)

    assert len(first) == 1 and len(second) == 0


def test_the_chart_says_up_to_where_its_values_are_estimated(exchange, client):
    user = make_user()
    conn = make_connection(user)
    _holds(conn, USD="1000")
    _deposit(conn, _midnight(2) + timedelta(hours=6), "250")
    backfill.portfolio_backfill(user=user)
    login(client, user)

    body = client.get("/portfolio/history.json", {"range": "7d"}).json()

    last = _midnight(0) - timedelta(minutes=5)
    assert body["estimatedUntil"] == int(last.timestamp() * 1000)
    assert [Decimal(v) for _, v in body["points"]] == [750, 1000, 1000]
