"""Reads for the market pages: exchange metadata and candles through ``desk.exchange_reads``
(cached there), the stream process's health report and its WebSocket API sessions' live
reports from Redis."""

from __future__ import annotations

import functools
import logging
import time

import orjson
import redis
from django.conf import settings

from accounts.access import TRADE, connection_list_with
from desk import exchange_reads
from trading.market.keys import HEALTH_INDEX_KEY, HEALTH_SECONDS, health_key
from trading.orders.wsapi import LIVE_KEY

log = logging.getLogger(__name__)


def market_symbol_precisions() -> dict[str, dict[str, int]]:
    return exchange_reads.symbol_precisions()


def market_symbols() -> list[str]:
    return sorted(exchange_reads.symbol_precisions())


def default_symbol() -> str:
    return settings.DESK_DEFAULT_SYMBOL


def market_klines(*, symbol: str, interval: str, limit: int) -> list[list] | None:
    return exchange_reads.klines(symbol=symbol, interval=interval, limit=limit)


def stream_health() -> dict:
    """What the stream processes last reported about their upstream sockets and books, one
    report per process (see trading.leases) merged: each symbol is held by one of them."""
    r = _sync_redis()
    pipe = r.pipeline(transaction=False)
    pipe.zremrangebyscore(HEALTH_INDEX_KEY, "-inf", time.time())  # processes gone quiet
    pipe.zrange(HEALTH_INDEX_KEY, 0, -1)
    names = sorted(name.decode() for name in pipe.execute()[1])
    found = zip(names, r.mget([health_key(n) for n in names]) if names else [], strict=True)
    named = {name: orjson.loads(raw) for name, raw in found if raw}
    reports = list(named.values())
    if not reports:
        return {
            "generatedAt": None,
            "uptimeSeconds": None,
            "upstream": [],
            "symbols": [],
            "processes": [],
            "error": f"no stream process has reported in the last {HEALTH_SECONDS} s",
        }
    processes = [
        {
            "name": name,
            "uptimeSeconds": report.get("uptimeSeconds"),
            "symbols": [s["symbol"] for s in report.get("symbols", [])],
            # How many of the connections' streams and sessions it holds (not which: the page
            # is every user's, and connection ids are not theirs to see).
            "userData": len(report.get("held", {}).get("userdata", [])),
            "wsApi": len(report.get("held", {}).get("wsapi", [])),
        }
        for name, report in named.items()
    ]
    return {
        "generatedAt": max(report["generatedAt"] for report in reports),
        "uptimeSeconds": max(report.get("uptimeSeconds") or 0 for report in reports),
        "upstream": [sock for report in reports for sock in report.get("upstream", [])],
        "streams": sorted(name for report in reports for name in report.get("streams", [])),
        "symbols": sorted(
            (s for report in reports for s in report.get("symbols", [])),
            key=lambda s: s["symbol"],
        ),
        "processes": processes,
    }


# The fields of a session's live report (``trading.orders.wsapi.LIVE_KEY``) the page shows;
# anything else the stream process may add is not passed on.
WS_API_REPORT_FIELDS = (
    "url",
    "connectedSince",
    "ageSeconds",
    "lastPongAt",
    "pingsAnswered",
    "reconnects",
    "rollovers",
    "requestsSent",
    "pending",
    "usedWeight1m",
    "orderCount10s",
    "orderCount1d",
    "reportedAt",
)


def ws_api_sessions(*, user) -> list[dict]:
    """The WebSocket API session of each of ``user``'s own connections that can trade now:
    ``{"connection", "label", "state": "up"}`` plus its live report's figures while the stream
    process holds the session open, ``"state": "down"`` (no figures) while it does not. One
    Redis round trip for them all (the page polls every 2 s)."""
    connections = list(connection_list_with(user=user, capability=TRADE).order_by("label", "pk"))
    if not connections:
        return []
    raws = _sync_redis().mget([LIVE_KEY.format(pk=c.pk) for c in connections])
    return [_ws_api_session(c, raw) for c, raw in zip(connections, raws, strict=True)]


def _ws_api_session(connection, raw: bytes | None) -> dict:
    row = {"connection": connection.pk, "label": connection.label, "state": "down"}
    if raw is None:
        return row
    try:
        report = orjson.loads(raw)
    except orjson.JSONDecodeError:
        log.warning("connection %s: unreadable WebSocket API live report", connection.pk)
        return row
    # A report is only ever about the connection its key names; anything else is not trusted.
    if not isinstance(report, dict) or report.get("connection") != connection.pk:
        log.warning("connection %s: WebSocket API live report of another shape", connection.pk)
        return row
    if report.get("connected") is False:
        return row
    row["state"] = "up"
    row.update({field: report.get(field) for field in WS_API_REPORT_FIELDS})
    return row


@functools.cache
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _sync_redis() -> redis.Redis:
    return _redis_for(settings.REDIS_URL)
