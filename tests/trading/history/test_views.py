"""History pages, progress JSON, sync buttons and CSV exports: ownership, filters, exact money."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.models import AuditRecord
from tests.factories import login, make_connection, make_user
from tests.trading.bad_values import BAD_DATES, BAD_TEXT
from trading.models import AccountTrade, HistoryKind, HistorySync, Order, OrderOrigin

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)

# Values a float would change or print with an exponent (at most 15 significant digits:
# SQLite stores DecimalField as REAL beyond that, see the report).
TRADES = [
    # symbol, buyer, price, qty, quote, fee, fee asset, time offset (days)
    ("BTCUSD", True, "60123.45678901", "0.00000001", "0.00060123", "0.00000000001", "BTC", 0),
    ("BTCUSD", False, "59999.99", "1.23456789", "74074.07320999", "0.05", "USD", 1),
    ("ETHUSD", True, "3000.1", "9876543.12345678", "29630635893.45", "1E-8", "ETH", 2),
    ("ETHUSD", False, "0.00000001", "100", "0.000001", "0", "USD", 3),
]


@pytest.fixture
def owner(client):
    user = make_user()
    login(client, user)
    conn = make_connection(user)
    for i, (symbol, buyer, price, qty, quote, fee, asset, days) in enumerate(TRADES, start=1):
        AccountTrade.objects.create(
            connection=conn,
            symbol=symbol,
            trade_id=1000 + i,
            order_id=500 + i,
            price=Decimal(price),
            qty=Decimal(qty),
            quote_qty=Decimal(quote),
            commission=Decimal(fee),
            commission_asset=asset,
            time=T0 + timedelta(days=days),
            is_buyer=buyer,
            is_maker=i % 2 == 0,
        )
        Order.objects.create(
            connection=conn,
            symbol=symbol,
            order_id=500 + i,
            client_order_id=f"c{i}",
            origin=OrderOrigin.EXCHANGE,
            side="BUY" if buyer else "SELL",
            type="LIMIT",
            status="FILLED",
            price=Decimal(price),
            orig_qty=Decimal(qty),
            executed_qty=Decimal(qty),
            cummulative_quote_qty=Decimal(quote),
            exchange_created_at=T0 + timedelta(days=days),
            exchange_updated_at=T0 + timedelta(days=days, seconds=1),
        )
    return client, conn


def read_csv(resp) -> list[dict]:
    assert isinstance(resp, StreamingHttpResponse)
    text = b"".join(resp.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_it_exports_trades_with_exact_decimals_and_utc_times(owner):
    client, conn = owner
    resp = client.get(reverse("history:trades-csv", args=[conn.pk]))
    assert resp["Content-Type"].startswith("text/csv")
    rows = read_csv(resp)
    assert list(rows[0]) == [
        "date_utc",
        "symbol",
        "side",
        "price",
        "qty",
        "quote_qty",
        "fee",
        "fee_asset",
        "order_id",
        "trade_id",
        "maker",
    ]
    assert [r["trade_id"] for r in rows] == ["1004", "1003", "1002", "1001"]  # newest first
    for row, (symbol, buyer, price, qty, quote, fee, asset, days) in zip(
        rows, reversed(TRADES), strict=True
    ):
        assert row["symbol"] == symbol and row["side"] == ("BUY" if buyer else "SELL")
        for column, expected in (("price", price), ("qty", qty), ("quote_qty", quote)):
            assert Decimal(row[column]) == Decimal(expected)
            assert "E" not in row[column] and "e" not in row[column]
        assert Decimal(row["fee"]) == Decimal(fee) and row["fee_asset"] == asset
        assert "E" not in row["fee"]
        assert row["date_utc"] == (T0 + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.589Z")
    assert rows[-1]["price"] == "60123.45678901" and rows[-1]["fee"] == "0.00000000001"


def test_it_exports_only_the_filtered_trades(owner):
    client, conn = owner
    url = reverse("history:trades-csv", args=[conn.pk])
    assert [r["trade_id"] for r in read_csv(client.get(url, {"symbol": "ETHUSD"}))] == [
        "1004",
        "1003",
    ]
    assert [r["trade_id"] for r in read_csv(client.get(url, {"side": "SELL"}))] == [
        "1004",
        "1002",
    ]
    dates = {"since": "2026-03-15", "until": "2026-03-16"}
    assert [r["trade_id"] for r in read_csv(client.get(url, dates))] == ["1003", "1002"]


def test_it_audits_each_export_with_its_filters(owner):
    client, conn = owner
    client.get(reverse("history:orders-csv", args=[conn.pk]), {"symbol": "BTCUSD"})
    record = AuditRecord.objects.get(action="history.export")
    assert record.connection_id == conn.pk
    assert record.params["kind"] == "orders" and record.params["symbol"] == "BTCUSD"


def test_it_exports_orders_with_exact_decimals(owner):
    client, conn = owner
    rows = read_csv(client.get(reverse("history:orders-csv", args=[conn.pk])))
    assert [r["order_id"] for r in rows] == ["504", "503", "502", "501"]
    stored = {o.order_id: o for o in Order.objects.filter(connection=conn)}
    for r in rows:
        o = stored[int(r["order_id"])]
        assert Decimal(r["price"]) == o.price and Decimal(r["executed_qty"]) == o.executed_qty
        assert Decimal(r["quote_qty"]) == o.cummulative_quote_qty
        assert r["status"] == "FILLED" and r["updated_utc"].endswith("Z")


def test_it_streams_a_large_export_line_by_line(owner):
    client, conn = owner
    AccountTrade.objects.bulk_create(
        AccountTrade(
            connection=conn,
            symbol="BTCUSD",
            trade_id=10_000 + i,
            order_id=1,
            price=Decimal("1.5"),
            qty=Decimal("2"),
            quote_qty=Decimal("3"),
            commission=Decimal("0"),
            commission_asset="USD",
            time=T0,
            is_buyer=True,
            is_maker=False,
        )
        for i in range(5000)
    )
    resp = client.get(reverse("history:trades-csv", args=[conn.pk]))
    chunks = iter(resp.streaming_content)
    assert next(chunks).startswith(b"date_utc,")
    assert len(list(chunks)) == 5004


def test_it_shows_each_tab_with_filters_and_pages(owner):
    client, conn = owner
    resp = client.get(reverse("history:trades", args=[conn.pk]), {"side": "BUY"})
    assert resp.status_code == 200
    page = resp.context["page"]
    assert [t.trade_id for t in page] == [1003, 1001]
    assert b"60,123.45678901" in resp.content or b"60123.45678901" in resp.content
    for name in ("orders", "order-lists", "prevented"):
        assert client.get(reverse(f"history:{name}", args=[conn.pk])).status_code == 200
    orders = client.get(reverse("history:orders", args=[conn.pk]), {"symbol": "ETHUSD"})
    assert [o.order_id for o in orders.context["page"]] == [504, 503]


def test_it_explains_a_date_range_that_ends_before_it_starts(owner):
    client, conn = owner
    resp = client.get(
        reverse("history:trades", args=[conn.pk]), {"since": "2026-03-16", "until": "2026-03-14"}
    )
    assert resp.status_code == 400 and "Must be on or after" in resp.content.decode()
    # Neither half-way nor dropped: no rows rather than more rows than asked for.
    assert len(resp.context["page"]) == 0
    assert "Filter not applied" in resp.content.decode()


def test_it_reports_progress_as_json(owner):
    client, conn = owner
    now = datetime.now(UTC)
    HistorySync.objects.create(
        connection=conn,
        kind=HistoryKind.TRADES,
        symbol="BTCUSD",
        backfill_from=now - timedelta(days=4),
        started_at=now,
        backfilled_to=now - timedelta(days=1),
        rows=42,
        synced_at=now,
        last_error="The exchange answered -1003: Too much request weight used",
    )
    doc = client.get(reverse("history:progress", args=[conn.pk])).json()
    [entry] = doc["syncs"]
    assert entry["percent"] == 25 and entry["rows"] == 42 and entry["kind"] == "trades"
    assert entry["last_error"].startswith("The exchange answered -1003")


def test_it_queues_a_sync_of_every_followed_history_after_commit(
    owner, django_capture_on_commit_callbacks, monkeypatch
):
    from trading.history import tasks

    client, conn = owner
    queued = []
    monkeypatch.setattr(tasks.sync_history_slice, "delay", lambda *a: queued.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("history:sync", args=[conn.pk]), {"tab": "history:orders"})
    assert resp.status_code == 302 and resp.url == reverse("history:orders", args=[conn.pk])
    kinds = {(k, s) for _, k, s in queued}
    # Symbols seen in stored orders are followed by default, with the account-wide OCO lists.
    assert {("trades", "BTCUSD"), ("orders", "ETHUSD"), ("order_lists", "")} <= kinds
    assert all(pk == conn.pk for pk, _, _ in queued)


def test_it_adds_a_symbol_to_follow_and_rejects_a_malformed_one(
    owner, django_capture_on_commit_callbacks, monkeypatch
):
    from trading.history import tasks

    client, conn = owner
    monkeypatch.setattr(tasks.sync_history_slice, "delay", lambda *a: None)
    url = reverse("history:symbol-add", args=[conn.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"symbol": "ethbtc"})
    assert HistorySync.objects.filter(connection=conn, symbol="ETHBTC").count() == 3
    resp = client.post(url, {"symbol": "BTC/USD"}, follow=True)
    assert "Symbol: Letters and digits only" in resp.content.decode()
    resp = client.post(url, {"symbol": "NOPEUSD"}, follow=True)
    assert "The exchange lists no trading symbol NOPEUSD" in resp.content.decode()


def test_it_gives_strangers_404_on_every_history_url_and_asks_the_exchange_nothing(
    owner, history_url
):
    import requests

    client, conn = owner
    login(client, make_user())
    before = requests.get(f"{history_url}/sandbox/v1/requests", timeout=5).json()["total"]
    for name in ("trades", "orders", "order-lists", "prevented", "progress"):
        assert client.get(reverse(f"history:{name}", args=[conn.pk])).status_code == 404
    for name in ("trades-csv", "orders-csv"):
        assert client.get(reverse(f"history:{name}", args=[conn.pk])).status_code == 404
    for name in ("sync", "symbol-add"):
        resp = client.post(reverse(f"history:{name}", args=[conn.pk]), {"symbol": "BTCUSD"})
        assert resp.status_code == 404
    after = requests.get(f"{history_url}/sandbox/v1/requests", timeout=5).json()["total"]
    assert after == before
    assert not AuditRecord.objects.filter(action="history.export").exists()
    assert not HistorySync.objects.filter(connection=conn).exists()


def test_it_lists_the_users_connections_on_the_index(client):
    user = make_user()
    login(client, user)
    first, second = make_connection(user), make_connection(user)
    make_connection(make_user(), label="not mine")
    resp = client.get(reverse("history:index"))
    text = resp.content.decode()
    assert first.label in text and second.label in text and "not mine" not in text
    assert client.get("/connections/history/").status_code == 200


def test_it_refuses_an_export_with_a_bad_filter_instead_of_exporting_everything(owner):
    client, conn = owner
    resp = client.get(reverse("history:trades-csv", args=[conn.pk]), {"since": "not-a-date"})
    assert resp.status_code == 400 and "since: Enter a valid date." in resp.content.decode()
    assert not AuditRecord.objects.filter(action="history.export").exists()


def _tied_error(page: str, name: str) -> str:
    """The error the page ties to field ``name`` through the widget's aria-describedby."""
    widget = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in widget, widget
    described = re.search(r'aria-describedby="([^"]+)"', widget).group(1)
    return re.search(rf'id="{described}"[^>]*>([^<]*)<', page).group(1)


@pytest.mark.parametrize("field", ["since", "until"])
def test_it_refuses_a_bad_date_filter_on_its_field_on_every_tab_and_export(owner, field):
    client, conn = owner
    lists = ("trades", "orders", "order-lists", "prevented")
    for kind, value in BAD_DATES.items():
        for name in lists:
            resp = client.get(reverse(f"history:{name}", args=[conn.pk]), {field: value})
            assert resp.status_code == 400, (name, kind)
            assert len(resp.context["page"]) == 0
            error = _tied_error(resp.content.decode(), field)
            assert "date" in error, (kind, error)
        for name in ("trades-csv", "orders-csv"):
            resp = client.get(reverse(f"history:{name}", args=[conn.pk]), {field: value})
            assert resp.status_code == 400, (name, kind)
            assert resp.content.decode().startswith(f"Filter not applied: {field}: ")
    assert not AuditRecord.objects.filter(action="history.export").exists()


def test_it_takes_the_widest_dates_it_allows(owner):
    client, conn = owner
    wide = {"since": "2000-01-01", "until": "2099-12-31"}
    resp = client.get(reverse("history:trades", args=[conn.pk]), wide)
    assert resp.status_code == 200 and len(resp.context["page"]) == 4
    assert client.get(reverse("history:trades-csv", args=[conn.pk]), wide).status_code == 200


@pytest.mark.parametrize("field", ["symbol", "side"])
def test_it_refuses_a_bad_symbol_or_side_filter_without_repeating_it(owner, field):
    client, conn = owner
    for kind, value in {**BAD_TEXT, "unknown": "NOPEUSD"}.items():
        if kind in ("empty", "whitespace"):
            continue  # no filter
        resp = client.get(reverse("history:orders", args=[conn.pk]), {field: value})
        assert resp.status_code == 400, kind
        error = _tied_error(resp.content.decode(), field)
        assert len(error) < 120 and value not in error, error


def test_it_refuses_a_bad_symbol_to_follow_on_its_field_and_adds_nothing(owner):
    client, conn = owner
    url = reverse("history:symbol-add", args=[conn.pk])
    for kind, value in {**BAD_TEXT, "unknown": "NOPEUSD"}.items():
        resp = client.post(url, {"symbol": value})
        assert resp.status_code == 400, kind
        form = re.search(r'<form[^>]*id="symbol-form".*?</form>', resp.content.decode(), re.S)
        error = _tied_error(form.group(0), "symbol")
        assert error and len(error) < 120, (kind, error)
    assert not HistorySync.objects.filter(connection=conn).exists()


def test_it_ignores_a_bad_page_number(owner):
    client, conn = owner
    for page in ("0", "-1", "1e400", "🙂", "9" * 10_000):
        resp = client.get(reverse("history:trades", args=[conn.pk]), {"page": page})
        assert resp.status_code == 200 and len(resp.context["page"]) == 4
