"""Names shared by the stream process (publisher) and the socket servers (subscribers)."""

import re
import time

SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,20}$")
# The markets overview page watches this pseudo-symbol: it wants the all-symbols mini tickers.
OVERVIEW_WATCH = "!MINITICKERS"
OVERVIEW_GROUP = "market.overview"
OVERVIEW_CACHE_KEY = "desk:market:minitickers"
HEALTH_KEY = "desk:market:health"  # one report per stream process: HEALTH_KEY:<its name>
# A report outlives its process by this long (each is rewritten every second): a killed process
# leaves the stream-health page within seconds, its items shown once, by their new holder.
HEALTH_SECONDS = 5


# The names of the processes that reported, each scored with when its report expires: the page
# reads them here rather than scanning the whole keyspace for reports.
HEALTH_INDEX_KEY = f"{HEALTH_KEY}s"


def health_key(process: str) -> str:
    return f"{HEALTH_KEY}:{process}"


def health_report(pipe, process: str, report: bytes) -> None:
    """Queue one process's report on ``pipe`` (a sync or an asyncio pipeline)."""
    pipe.set(health_key(process), report, ex=HEALTH_SECONDS)
    pipe.zadd(HEALTH_INDEX_KEY, {process: time.time() + HEALTH_SECONDS})


def cache_key(symbol: str, kind: str) -> str:
    return f"desk:market:{kind}:{symbol}"


def book_cache_key(symbol: str) -> str:
    return cache_key(symbol, "book")


def trades_cache_key(symbol: str) -> str:
    return cache_key(symbol, "trades")


def market_group(symbol: str) -> str:
    return f"market.{symbol}"


def cached_keys(symbol: str) -> list[str]:
    """What a page opening ``symbol`` is sent first, in this order."""
    return [cache_key(symbol, kind) for kind in ("book", "trades", "ticker", "kline")]
