from decimal import Decimal

import orjson
import pytest
import redis
from django.conf import settings
from django.urls import reverse

from tests.factories import login, make_user
from trading.market.keys import health_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    login(client, make_user())
    return client


def test_it_requires_login_for_market_pages(client):
    for url in (
        "/market/",
        "/market/BTCUSD/",
        "/market/health/",
        "/market/health.json",
        "/market/BTCUSD/klines.json",
    ):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login/" in resp.url, url


def test_it_serves_klines_as_exact_text_oldest_first(member, use_sandbox):
    resp = member.get(reverse("trading:klines", args=["BTCUSD"]), {"interval": "1m", "limit": 5})
    assert resp.status_code == 200
    body = resp.json()
    assert body["symbol"] == "BTCUSD" and body["interval"] == "1m"
    rows = body["klines"]
    assert rows, "the sandbox has traded, so there are candles"
    times = [r[0] for r in rows]
    assert times == sorted(times)
    for _, o, h, low, c, v in rows:
        assert all(isinstance(x, str) for x in (o, h, low, c, v))
        assert Decimal(low) <= Decimal(o) <= Decimal(h) and Decimal(low) <= Decimal(c)


def test_it_rejects_bad_kline_parameters(member):
    url = reverse("trading:klines", args=["BTCUSD"])
    assert member.get(url, {"interval": "7m"}).status_code == 400
    assert member.get(url, {"limit": "many"}).status_code == 400
    assert member.get(reverse("trading:klines", args=["NOPEUSD"])).status_code == 404


def test_it_renders_market_and_overview_pages(member):
    page = member.get(reverse("trading:market", args=["ethusd"]))
    assert page.status_code == 200 and page.context["symbol"] == "ETHUSD"
    assert "BTCUSD" in page.context["symbols"]
    assert member.get(reverse("trading:market", args=["NOPEUSD"])).status_code == 404
    assert member.get(reverse("trading:overview")).status_code == 200
    assert member.get(reverse("trading:health")).status_code == 200


def test_it_reports_stream_health_from_the_stream_processes(member):
    """Each stream process reports under its own name; the page shows them merged."""
    r = redis.Redis.from_url(settings.REDIS_URL)
    names = [health_key("host-a:1"), health_key("host-b:2")]
    for stale in r.scan_iter(match=health_key("*")):  # e.g. a hub test's own report
        r.delete(stale)
    missing = member.get(reverse("trading:health-json")).json()
    assert missing["upstream"] == [] and "has reported" in missing["error"]

    def report(at: str, uptime: int, url: str, symbol: str) -> dict:
        return {
            "generatedAt": at,
            "uptimeSeconds": uptime,
            "upstream": [{"url": url, "connected": True}],
            "streams": [f"{symbol.lower()}@trade"],
            "symbols": [{"symbol": symbol, "state": "live"}],
            "held": {"market": [symbol], "userdata": ["3", "4"], "wsapi": ["3"]},
        }

    r.set(names[0], orjson.dumps(report("2026-11-22T00:00:01+00:00", 5, "ws://a", "ETHUSD")))
    r.set(names[1], orjson.dumps(report("2026-11-22T00:00:00+00:00", 9, "ws://b", "BTCUSD")))
    health = member.get(reverse("trading:health-json")).json()
    r.delete(*names)
    assert health["generatedAt"] == "2026-11-22T00:00:01+00:00"
    assert health["uptimeSeconds"] == 9
    assert [s["url"] for s in health["upstream"]] == ["ws://a", "ws://b"]
    assert [s["symbol"] for s in health["symbols"]] == ["BTCUSD", "ETHUSD"]
    assert health["streams"] == ["btcusd@trade", "ethusd@trade"]
    assert health["processes"] == [
        {"name": "host-a:1", "uptimeSeconds": 5, "symbols": ["ETHUSD"], "userData": 2, "wsApi": 1},
        {"name": "host-b:2", "uptimeSeconds": 9, "symbols": ["BTCUSD"], "userData": 2, "wsApi": 1},
    ]
