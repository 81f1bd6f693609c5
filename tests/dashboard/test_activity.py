"""The activity feed: every connection's history rows in one list, newest first, paged by a
cursor that neither skips nor repeats a row, filtered (with bad filters refused), and
exported as CSV; a user sees only their own connections' rows."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count, pairwise

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditRecord
from convert.models import OtcConversion
from dashboard import activity
from desk.intents.models import Status
from tests.factories import login, make_connection, make_user
from trading.models import AccountTrade
from transfers.models import TransferHistoryRecord
from wallet.activity.models import ActivityKind, ActivityState, WalletActivity
from wallet.staking.models import StakingEvent, StakingReward

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
_ids = count(1)


def _fill(conn, at, *, symbol="BTCUSD", qty="0.5", price="30000", buyer=True):
    return AccountTrade.objects.create(
        connection=conn,
        symbol=symbol,
        trade_id=next(_ids),
        order_id=next(_ids),
        price=Decimal(price),
        qty=Decimal(qty),
        quote_qty=Decimal(price) * Decimal(qty),
        commission=Decimal(0),
        commission_asset="USD",
        time=at,
        is_buyer=buyer,
        is_maker=False,
    )


def _transfer(conn, at, asset="ETH", qty="2"):
    return TransferHistoryRecord.objects.create(
        connection=conn,
        from_email="master@example.com",
        to_email="sub1@example.com",
        asset=asset,
        qty=Decimal(qty),
        time=at,
    )


def _wallet(conn, at, kind=ActivityKind.DEPOSIT, coin="USD", amount="100"):
    return WalletActivity.objects.create(
        connection=conn,
        kind=kind,
        exchange_id=str(next(_ids)),
        coin=coin,
        amount=Decimal(amount),
        status="1",
        state=ActivityState.SUCCESS,
        time=at,
        updated_at=at,
    )


def _stake(conn, at, asset="SOL"):
    return StakingEvent.objects.create(
        connection=conn,
        asset=asset,
        type="staked",
        amount=Decimal("10"),
        initiated_time=at,
        status="SUCCESS",
    )


def _reward(conn, at, asset="SOL"):
    return StakingReward.objects.create(
        connection=conn, tran_id=next(_ids), asset=asset, amount=Decimal("0.01"), time=at
    )


def _conversion(conn, at, status=Status.DONE):
    return OtcConversion.objects.create(
        connection=conn,
        quote_id=f"q{next(_ids)}",
        from_coin="USD",
        to_coin="BTC",
        from_amount=Decimal("300"),
        to_amount=Decimal("0.01"),
        ratio=Decimal("0.0000333"),
        valid_until=at,
        status=status,
        finished_at=at,
    )


def _every_kind(conn, start=T0):
    """One row of each kind, a minute apart, newest last."""
    makers = [_fill, _transfer, _wallet, _stake, _reward, _conversion]
    rows = [make(conn, start + timedelta(minutes=i)) for i, make in enumerate(makers)]
    rows.append(_wallet(conn, start + timedelta(minutes=6), kind=ActivityKind.WITHDRAWAL))
    return rows


def _page(client, **params):
    return client.get(reverse("dashboard:activity"), params)


def _kinds(response) -> list[str]:
    return [e.kind for e, _label in response.context["rows"]]


def test_it_lists_every_kind_across_connections_newest_first(client, use_sandbox):
    user = make_user()
    first, second = make_connection(user, label="Main"), make_connection(user, label="Other")
    _every_kind(first)
    _fill(second, T0 + timedelta(hours=1), symbol="ETHUSD")
    _conversion(first, T0 + timedelta(hours=2), status=Status.FAILED)  # never happened
    _fill(make_connection(make_user()), T0 + timedelta(hours=3))  # a stranger's
    login(client, user)

    response = _page(client)

    assert response.status_code == 200
    assert _kinds(response) == [
        "fill",
        "withdrawal",
        "conversion",
        "reward",
        "stake",
        "deposit",
        "transfer",
        "fill",
    ]
    newest, label = response.context["rows"][0]
    assert (newest.connection_id, label, newest.asset) == (second.pk, "Other", "ETH")
    assert newest.url == reverse("history:trades", args=[second.pk])
    html = response.content.decode()
    assert "Buy 0.5 ETH at 30000 USD (ETHUSD)" in html
    assert "Sub-account master@example.com → sub1@example.com" in html


def test_it_pages_by_cursor_without_skipping_or_repeating_rows_of_one_time(use_sandbox):
    user = make_user()
    conn = make_connection(user)
    for i in range(4):  # several sources share each of these times
        at = T0 + timedelta(minutes=i // 2)
        _fill(conn, at), _transfer(conn, at, qty=str(i + 1)), _reward(conn, at)
    filters = activity.Filters(connection_ids=(conn.pk,))
    everything = activity.activity_page(filters=filters, n=100).entries

    seen, before = [], None
    while True:
        page = activity.activity_page(filters=filters, before=before, n=5)
        seen += page.entries
        if not page.more:
            break
        before = activity.cursor_key(page.next_cursor)

    assert len(everything) == 12
    assert [e.key for e in seen] == [e.key for e in everything]
    assert len({e.key for e in seen}) == 12
    assert all(a.key > b.key for a, b in pairwise(seen))


def test_its_older_link_continues_where_the_page_ended(client, use_sandbox):
    user = make_user()
    conn = make_connection(user)
    for i in range(activity.PAGE + 3):
        _transfer(conn, T0 + timedelta(seconds=i))
    login(client, user)

    first = _page(client, kind="transfer")
    older = _page(client, kind="transfer", before=first.context["page"].next_cursor)

    assert len(first.context["rows"]) == activity.PAGE
    assert 'id="activity-older"' in first.content.decode()
    assert [e.at for e, _ in older.context["rows"]] == [
        T0 + timedelta(seconds=i) for i in (2, 1, 0)
    ]
    assert 'id="activity-newest"' in older.content.decode()


def test_its_filters_narrow_by_kind_connection_asset_and_days(client, use_sandbox):
    user = make_user()
    main, other = make_connection(user), make_connection(user)
    _every_kind(main)
    _fill(other, T0 + timedelta(days=2), symbol="ETHUSD")
    login(client, user)

    assert _kinds(_page(client, kind="fill")) == ["fill", "fill"]
    assert len(_kinds(_page(client, connection=other.pk))) == 1
    # A fill involves its base and its quote; a conversion both its coins.
    assert _kinds(_page(client, asset="btc")) == ["conversion", "fill"]
    assert _kinds(_page(client, asset="USD")) == [
        "fill",
        "withdrawal",
        "conversion",
        "deposit",
        "fill",
    ]
    assert _kinds(_page(client, since="2026-12-02")) == ["fill"]
    assert len(_kinds(_page(client, until="2026-11-30"))) == 7


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"kind": "gift"}, "kind", "Pick a kind"),
        ({"asset": "BTC;--"}, "asset", "Letters and digits"),
        ({"since": "2026-12-40"}, "since", "real date"),
        ({"since": "2026-12-02", "until": "2026-12-01"}, "until", "on or after"),
        ({"before": "yesterday"}, "before", "Not a page of this feed"),
        ({"before": "1.999.1"}, "before", "Not a page of this feed"),
    ],
)
def test_it_refuses_a_bad_filter_with_the_field_and_reason(client, params, field, words):
    user = make_user()
    _wallet(make_connection(user), T0)
    login(client, user)

    response = _page(client, **params)
    csv_response = client.get(reverse("dashboard:activity-csv"), params)

    assert response.status_code == 400
    assert response.context["rows"] == []
    assert words in " ".join(response.context["form"].errors[field])
    assert f'id="errors-{field}"' in response.content.decode()
    assert csv_response.status_code == 400 and words in csv_response.content.decode()
    assert not AuditRecord.objects.filter(action="activity.export").exists()


def test_it_refuses_a_strangers_connection_as_a_filter(client):
    owner, stranger = make_user(), make_user()
    theirs = make_connection(stranger)
    _wallet(theirs, T0)
    login(client, owner)

    response = _page(client, connection=theirs.pk)

    assert response.status_code == 400
    assert "Pick one of your connections" in response.content.decode()
    assert response.context["rows"] == []


def test_its_csv_streams_every_row_the_filters_select_and_is_audited(client, use_sandbox):
    user = make_user()
    conn = make_connection(user, label="Main")
    _every_kind(conn)
    for i in range(5):
        _transfer(conn, T0 - timedelta(days=1, seconds=i), qty=f"1.{i}5")
    login(client, user)

    response = client.get(reverse("dashboard:activity-csv"), {"kind": "transfer"})
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))

    assert response.status_code == 200
    assert rows[0] == ["date_utc", "kind", "connection", "asset", "amount", "detail"]
    assert [r[4] for r in rows[1:]] == ["2", "1.05", "1.15", "1.25", "1.35", "1.45"]
    assert rows[1][:4] == ["2026-11-30T12:01:00.000Z", "transfer", "Main", "ETH"]
    audit = AuditRecord.objects.get(user=user, action="activity.export")
    assert audit.params["kind"] == "transfer" and audit.params["connections"] == str(conn.pk)


def test_its_csv_reads_past_one_page(use_sandbox):
    user = make_user()
    conn = make_connection(user)
    for i in range(7):
        _reward(conn, T0 + timedelta(seconds=i))
    filters = activity.Filters(connection_ids=(conn.pk,))

    walked = list(activity.activity_all(filters=filters, chunk=3))

    assert [e.at for e in walked] == [T0 + timedelta(seconds=i) for i in reversed(range(7))]


def test_a_page_costs_the_same_queries_however_many_rows(client, use_sandbox):
    user = make_user()
    conn = make_connection(user)
    login(client, user)

    def queries() -> int:
        _page(client)  # warms the session and the cached exchange reads
        with CaptureQueriesContext(db) as seen:
            assert _page(client).status_code == 200
        return len(seen)

    _every_kind(conn)
    few = queries()
    for i in range(60):
        _every_kind(conn, start=T0 - timedelta(hours=i + 1))
    assert queries() == few
