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


# Filter values per market family: tick, step, minQty, maxQty, market maxQty, minNotional,
# minPrice, maxPrice.
_BTC_FILTERS = ("0.01", "0.00001", "0.00001", "9000", "100", "1", "0.01", "1000000")
_ETH_FILTERS = ("0.01", "0.0001", "0.0001", "9000", "1000", "1", "0.01", "100000")
_SOL_FILTERS = ("0.01", "0.001", "0.001", "90000", "10000", "1", "0.01", "10000")
_ETHBTC_FILTERS = ("0.00001", "0.0001", "0.0001", "100000", "1000", "0.0001", "0.00001", "1000")


def _spec(
    symbol: str,
    filters: tuple[str, ...],
    mid: str,
    level_ticks: int,
    maker_steps: tuple[int, int],
    taker_steps: tuple[int, int],
) -> SymbolSpec:
    base, quote = _split(symbol)
    amounts = (D(v) for v in filters)
    return SymbolSpec(symbol, base, quote, *amounts, D(mid), level_ticks, maker_steps, taker_steps)


def _split(symbol: str) -> tuple[str, str]:
    """BTCUSDT -> (BTC, USDT): the sandbox's bases are all three letters long."""
    return symbol[:3], symbol[3:]


SYMBOLS: dict[str, SymbolSpec] = {
    s.symbol: s
    for s in (
        _spec("BTCUSD", _BTC_FILTERS, "60000.00", 100, (500, 20000), (10, 800)),
        _spec("ETHUSD", _ETH_FILTERS, "3000.00", 20, (500, 60000), (10, 3000)),
        _spec("SOLUSD", _SOL_FILTERS, "150.00", 2, (1000, 200000), (10, 20000)),
        _spec("BTCUSDT", _BTC_FILTERS, "60010.00", 100, (500, 20000), (10, 800)),
        _spec("ETHUSDT", _ETH_FILTERS, "3001.00", 20, (500, 60000), (10, 3000)),
        _spec("ETHBTC", _ETHBTC_FILTERS, "0.05000", 2, (500, 60000), (10, 3000)),
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

PERCENT_PRICE_BY_SIDE = {
    "bidMultiplierUp": D("5"),
    "bidMultiplierDown": D("0.2"),
    "askMultiplierUp": D("5"),
    "askMultiplierDown": D("0.2"),
}
AVG_PRICE_MINS = 5

# The spec's order types enum for Binance.US (STOP_LOSS / TAKE_PROFIT are not in it).
ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]
STP_MODES = ["EXPIRE_MAKER", "EXPIRE_TAKER", "EXPIRE_BOTH"]
# Symbols with the spec's alternative filters (PERCENT_PRICE + NOTIONAL instead of
# PERCENT_PRICE_BY_SIDE + MIN_NOTIONAL) and a MAX_POSITION, so clients meet both forms.
NOTIONAL_SYMBOLS = frozenset({"ETHBTC"})
MAX_POSITION = {"ETHBTC": D("1000"), "SOLUSD": D("20000")}
ALGO_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})


def _lot(kind: str, min_qty: Decimal, max_qty: Decimal, step: Decimal) -> dict:
    return {
        "filterType": kind,
        "minQty": fmt8(min_qty),
        "maxQty": fmt8(max_qty),
        "stepSize": fmt8(step),
    }


def _price_and_notional(spec: SymbolSpec) -> list[dict]:
    if spec.symbol in NOTIONAL_SYMBOLS:
        return [
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": fmt8(D(5)),
                "multiplierDown": fmt8(D("0.2")),
                "avgPriceMins": AVG_PRICE_MINS,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": fmt8(spec.min_notional),
                "applyMinToMarket": True,
                "maxNotional": fmt8(spec.min_notional * 1_000_000),
                "applyMaxToMarket": False,
                "avgPriceMins": AVG_PRICE_MINS,
            },
        ]
    pps = {k: fmt8(v) for k, v in PERCENT_PRICE_BY_SIDE.items()}
    return [
        {"filterType": "PERCENT_PRICE_BY_SIDE", **pps, "avgPriceMins": AVG_PRICE_MINS},
        {
            "filterType": "MIN_NOTIONAL",
            "minNotional": fmt8(spec.min_notional),
            "applyToMarket": True,
            "avgPriceMins": AVG_PRICE_MINS,
        },
    ]


def default_filters(spec: SymbolSpec) -> list[dict]:
    """The symbol's filters in exchangeInfo format (spec section "Filters"), in the order
    the exchange checks them."""
    price_rule, notional_rule = _price_and_notional(spec)
    out = [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": fmt8(spec.min_price),
            "maxPrice": fmt8(spec.max_price),
            "tickSize": fmt8(spec.tick),
        },
        price_rule,
        _lot("LOT_SIZE", spec.min_qty, spec.max_qty, spec.step),
        notional_rule,
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        # minQty and stepSize 0 (disabled), as on the live exchange's USD markets.
        _lot("MARKET_LOT_SIZE", D(0), spec.market_max_qty, D(0)),
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        {"filterType": "MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 5},
        {
            "filterType": "TRAILING_DELTA",
            "minTrailingAboveDelta": 10,
            "maxTrailingAboveDelta": 2000,
            "minTrailingBelowDelta": 10,
            "maxTrailingBelowDelta": 2000,
        },
    ]
    if spec.symbol in MAX_POSITION:
        out.append({"filterType": "MAX_POSITION", "maxPosition": fmt8(MAX_POSITION[spec.symbol])})
    return out


def default_exchange_filters() -> list[dict]:
    return [
        {"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000},
        {"filterType": "EXCHANGE_MAX_ALGO_ORDERS", "maxNumAlgoOrders": 200},
        {"filterType": "EXCHANGE_MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 10000},
    ]


class FilterTable:
    """The filters in force, exchangeInfo-shaped: what exchangeInfo advertises is exactly what
    `filters.check` enforces. The admin API may change values (to reach an order-count limit
    with a few orders) or remove filters; `reset` restores the defaults. One per process, like
    the exchange itself, because `filters.check(spec, ...)` has no exchange to ask."""

    def __init__(self) -> None:
        self.symbols: dict[str, list[dict]] = {}
        self.exchange: list[dict] = []
        self.reset()

    def reset(self) -> None:
        self.symbols = {s.symbol: default_filters(s) for s in SYMBOLS.values()}
        self.exchange = default_exchange_filters()

    def of(self, symbol: str) -> list[dict]:
        return self.symbols[symbol]

    def update(self, doc: dict) -> None:
        """{"BTCUSD": {"MAX_NUM_ORDERS": {"limit": 3} | null}, "exchange": {...}}: changes the
        named fields of the named filters, null removes a filter. All or nothing: ValueError
        (nothing changed) on any bad entry."""
        staged = {name: [dict(f) for f in self._table(name)] for name in doc}
        for name, changes in doc.items():
            if not isinstance(changes, dict):
                raise ValueError(f"{name} must be an object of filterType -> fields or null")
            staged[name] = _apply(staged[name], changes)
        for name, table in staged.items():
            if name == "exchange":
                self.exchange = table
            else:
                self.symbols[name] = table

    def _table(self, name: str) -> list[dict]:
        if name == "exchange":
            return self.exchange
        if name not in self.symbols:
            raise ValueError(f'unknown symbol {name!r} (or use "exchange")')
        return self.symbols[name]

    def to_dict(self) -> dict:
        return {"symbols": self.symbols, "exchange": self.exchange}


def _apply(table: list[dict], changes: dict) -> list[dict]:
    by_type = {f["filterType"]: f for f in table}
    for kind, fields in changes.items():
        if kind not in by_type:
            raise ValueError(f"no {kind} filter here (known: {', '.join(by_type)})")
        if fields is None:
            del by_type[kind]
            continue
        if not isinstance(fields, dict):
            raise ValueError(f"{kind} must be an object of fields or null")
        for field_name, value in fields.items():
            current = by_type[kind].get(field_name)
            if current is None or field_name in ("filterType", "avgPriceMins"):
                raise ValueError(f"{kind}.{field_name} cannot be set")
            by_type[kind][field_name] = _typed(f"{kind}.{field_name}", current, value)
    return [f for f in table if f["filterType"] in by_type]


def _typed(name: str, current: object, value: object) -> object:
    """`value` in the type of the field it replaces (decimal string, integer, boolean)."""
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(current, int):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0")
        return value
    try:
        number = D(str(value)) if isinstance(value, str | int) else None
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or number < 0 or isinstance(value, bool):
        raise ValueError(f"{name} must be a decimal string >= 0")
    return fmt8(number)


FILTERS = FilterTable()


def filters(spec: SymbolSpec) -> list[dict]:
    """The symbol's filters in force, exchangeInfo format."""
    return FILTERS.of(spec.symbol)


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
        "icebergAllowed": True,
        "ocoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
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
        "exchangeFilters": FILTERS.exchange,
        "symbols": [symbol_info(s) for s in specs],
        # The spec's example prints these three at the top level (the live exchange repeats
        # them per symbol); we send both so either reading works.
        "permissions": ["SPOT"],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": list(STP_MODES),
    }
