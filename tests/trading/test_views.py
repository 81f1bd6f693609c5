import time
from decimal import Decimal

import orjson
import pytest
import redis
from django.conf import settings
from django.urls import reverse

from tests.factories import login, make_user
from trading.market.keys import HEALTH_INDEX_KEY, health_key, health_report

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


def _calls(r: redis.Redis, command: str) -> int:
    """How many times the Redis server has run ``command`` since it started."""
    return r.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)


def test_it_reports_stream_health_from_the_stream_processes(member):
    """Each stream process reports under its own name; the page shows them merged."""
    r = redis.Redis.from_url(settings.REDIS_URL)
    names = [health_key("host-a:1"), health_key("host-b:2")]
    r.delete(HEALTH_INDEX_KEY)  # e.g. a hub test's own report
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

    pipe = r.pipeline()
    a = report("2026-11-22T00:00:01+00:00", 5, "ws://a", "ETHUSD")
    health_report(pipe, "host-a:1", orjson.dumps(a))
    b = report("2026-11-22T00:00:00+00:00", 9, "ws://b", "BTCUSD")
    health_report(pipe, "host-b:2", orjson.dumps(b))
    # One that has gone quiet: its name is still listed, its report expired.
    pipe.zadd(HEALTH_INDEX_KEY, {"host-c:3": time.time() - 1})
    pipe.execute()
    scans = _calls(r, "scan")
    health = member.get(reverse("trading:health-json")).json()
    assert _calls(r, "scan") == scans  # the index read, not the keyspace
    assert r.zrange(HEALTH_INDEX_KEY, 0, -1) == [b"host-a:1", b"host-b:2"]  # the quiet one left
    r.delete(HEALTH_INDEX_KEY, *names)
    assert health["generatedAt"] == "2026-11-22T00:00:01+00:00"
    assert health["uptimeSeconds"] == 9
    assert [s["url"] for s in health["upstream"]] == ["ws://a", "ws://b"]
    assert [s["symbol"] for s in health["symbols"]] == ["BTCUSD", "ETHUSD"]
    assert health["streams"] == ["btcusd@trade", "ethusd@trade"]
    assert health["processes"] == [
        {"name": "host-a:1", "uptimeSeconds": 5, "symbols": ["ETHUSD"], "userData": 2, "wsApi": 1},
        {"name": "host-b:2", "uptimeSeconds": 9, "symbols": ["BTCUSD"], "userData": 2, "wsApi": 1},
    ]
