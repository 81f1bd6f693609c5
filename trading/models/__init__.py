"""Trading records of one exchange connection: orders (our intents and the exchange's),
OCO lists, account trades, prevented matches, and how far history is synced."""

from trading.models.history import HistoryKind, HistorySync
from trading.models.orders import (
    AccountTrade,
    Order,
    OrderList,
    OrderOrigin,
    OrderStatus,
    OrderTransport,
    PreventedMatch,
    TradingPreference,
)

__all__ = [
    "AccountTrade",
    "HistoryKind",
    "HistorySync",
    "Order",
    "OrderList",
    "OrderOrigin",
    "OrderStatus",
    "OrderTransport",
    "PreventedMatch",
    "TradingPreference",
]
