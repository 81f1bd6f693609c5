"""The symbols the sandbox lists, their filters and the exchangeInfo document.

Filter values are in the range of the real Binance.US USD/USDT markets, so that client-side
rounding code meets realistic tick and step sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .decimals import fmt8

D = Decimal


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    symbol: str
    base: str
    quote: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    min_price: Decimal
    max_price: Decimal
    # Market-flow tuning: starting mid, ticks between maker levels, maker/taker sizes in steps.
    start_mid: Decimal
    level_ticks: int
    maker_steps: tuple[int, int]
    taker_steps: tuple[int, int]

    @property
    def lower(self) -> str:
        return self.symbol.lower()


def _btc(symbol: str, quote: str, mid: str) -> SymbolSpec:
    return SymbolSpec(
        symbol,
        "BTC",
        quote,
        D("0.01"),
        D("0.00001"),
        D("0.00001"),
        D("9000"),
        D("100"),
        D("1"),
        D("0.01"),
        D("1000000"),
        D(mid),
        100,
        (500, 20000),
        (10, 800),
    )


def _eth(symbol: str, quote: str, mid: str) -> SymbolSpec:
    return SymbolSpec(
        symbol,
        "ETH",
        quote,
        D("0.01"),
        D("0.0001"),
        D("0.0001"),
        D("9000"),
        D("1000"),
        D("1"),
        D("0.01"),
        D("100000"),
        D(mid),
        20,
        (500, 60000),
        (10, 3000),
    )


SYMBOLS: dict[str, SymbolSpec] = {
    s.symbol: s
    for s in (
        _btc("BTCUSD", "USD", "60000.00"),
        _eth("ETHUSD", "USD", "3000.00"),
        SymbolSpec(
            "SOLUSD",
            "SOL",
            "USD",
            D("0.01"),
            D("0.001"),
            D("0.001"),
            D("90000"),
            D("10000"),
            D("1"),
            D("0.01"),
            D("10000"),
            D("150.00"),
            2,
            (1000, 200000),
            (10, 20000),
        ),
        _btc("BTCUSDT", "USDT", "60010.00"),
        _eth("ETHUSDT", "USDT", "3001.00"),
        SymbolSpec(
            "ETHBTC",
            "ETH",
            "BTC",
            D("0.00001"),
            D("0.0001"),
            D("0.0001"),
            D("100000"),
            D("1000"),
            D("0.0001"),
            D("0.00001"),
            D("1000"),
            D("0.05000"),
            2,
            (500, 60000),
            (10, 3000),
        ),
    )
}

ASSETS: tuple[str, ...] = tuple(sorted({a for s in SYMBOLS.values() for a in (s.base, s.quote)}))

# Spec "Rate limiters" / "Get Order Rate Limits": these are the limits the sandbox reports.
RATE_LIMITS: list[dict] = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 6100},
]

MAX_NUM_ORDERS = 200
PERCENT_PRICE_BY_SIDE = {
    "bidMultiplierUp": D("5"),
    "bidMultiplierDown": D("0.2"),
    "askMultiplierUp": D("5"),
    "askMultiplierDown": D("0.2"),
}
AVG_PRICE_MINS = 5

ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET"]
STP_MODES = ["EXPIRE_MAKER", "EXPIRE_TAKER", "EXPIRE_BOTH"]


def filters(spec: SymbolSpec) -> list[dict]:
    """The symbol's filters in exchangeInfo format (spec section "Filters")."""
    pps = {k: f"{v:f}" for k, v in PERCENT_PRICE_BY_SIDE.items()}
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": fmt8(spec.min_price),
            "maxPrice": fmt8(spec.max_price),
            "tickSize": fmt8(spec.tick),
        },
        {"filterType": "PERCENT_PRICE_BY_SIDE", **pps, "avgPriceMins": AVG_PRICE_MINS},
        {
            "filterType": "LOT_SIZE",
            "minQty": fmt8(spec.min_qty),
            "maxQty": fmt8(spec.max_qty),
            "stepSize": fmt8(spec.step),
        },
        {
            "filterType": "MIN_NOTIONAL",
            "minNotional": fmt8(spec.min_notional),
            "applyToMarket": True,
            "avgPriceMins": AVG_PRICE_MINS,
        },
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": fmt8(Decimal(0)),
            "maxQty": fmt8(spec.market_max_qty),
            "stepSize": fmt8(Decimal(0)),
        },
        {"filterType": "MAX_NUM_ORDERS", "limit": MAX_NUM_ORDERS},
    ]


def symbol_info(spec: SymbolSpec) -> dict:
    """One entry of exchangeInfo's `symbols`, fields in the spec's order."""
    return {
        "symbol": spec.symbol,
        "status": "TRADING",
        "baseAsset": spec.base,
        "baseAssetPrecision": 8,
        "quoteAsset": spec.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": list(ORDER_TYPES),
        "icebergAllowed": False,
        "ocoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": filters(spec),
        "permissions": ["SPOT"],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": list(STP_MODES),
    }


def exchange_info(specs: list[SymbolSpec], server_time: int) -> dict:
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": RATE_LIMITS,
        "exchangeFilters": [],
        "symbols": [symbol_info(s) for s in specs],
        # The spec's example prints these three at the top level (the live exchange repeats
        # them per symbol); we send both so either reading works.
        "permissions": ["SPOT"],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": list(STP_MODES),
    }
