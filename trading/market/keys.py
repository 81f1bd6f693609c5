"""Names shared by the stream process (publisher) and the consumers (subscribers)."""

import re

SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,20}$")


def book_cache_key(symbol: str) -> str:
    return f"desk:market:book:{symbol}"


def trades_cache_key(symbol: str) -> str:
    return f"desk:market:trades:{symbol}"


def market_group(symbol: str) -> str:
    return f"market.{symbol}"
