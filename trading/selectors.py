"""Reads for the market pages: exchange metadata and candles through ``desk.exchange_reads``
(cached there), the stream process's health report from Redis."""

from __future__ import annotations

import functools
import logging

import orjson
import redis
from django.conf import settings

from desk import exchange_reads
from trading.market.keys import HEALTH_KEY

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
    """What the stream process last reported about its upstream sockets and books."""
    raw = _sync_redis().get(HEALTH_KEY)
    if raw is None:
        return {
            "generatedAt": None,
            "uptimeSeconds": None,
            "upstream": [],
            "symbols": [],
            "error": "the stream process has not reported in the last 30 s",
        }
    return orjson.loads(raw)


@functools.cache
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _sync_redis() -> redis.Redis:
    return _redis_for(settings.REDIS_URL)
