"""The WebSocket API's 33 methods and the REST endpoint each one runs (ws_api.py).

A table of names only, importing nothing of the sandbox, so that clock.Faults can check the
"method" of a wsApi fault without an import cycle.
"""

from __future__ import annotations

METHODS: dict[str, tuple[str, str]] = {
    "ping": ("GET", "/api/v3/ping"),
    "time": ("GET", "/api/v3/time"),
    "exchangeInfo": ("GET", "/api/v3/exchangeInfo"),
    "depth": ("GET", "/api/v3/depth"),
    "trades.recent": ("GET", "/api/v3/trades"),
    "trades.historical": ("GET", "/api/v3/historicalTrades"),
    "trades.aggregate": ("GET", "/api/v3/aggTrades"),
    "klines": ("GET", "/api/v3/klines"),
    "avgPrice": ("GET", "/api/v3/avgPrice"),
    "ticker.24hr": ("GET", "/api/v3/ticker/24hr"),
    "ticker": ("GET", "/api/v3/ticker"),
    "ticker.price": ("GET", "/api/v3/ticker/price"),
    "ticker.book": ("GET", "/api/v3/ticker/bookTicker"),
    "order.place": ("POST", "/api/v3/order"),
    "order.test": ("POST", "/api/v3/order/test"),
    "order.status": ("GET", "/api/v3/order"),
    "order.cancel": ("DELETE", "/api/v3/order"),
    "order.cancelReplace": ("POST", "/api/v3/order/cancelReplace"),
    "openOrders.status": ("GET", "/api/v3/openOrders"),
    "openOrders.cancelAll": ("DELETE", "/api/v3/openOrders"),
    "orderList.place": ("POST", "/api/v3/order/oco"),
    "orderList.status": ("GET", "/api/v3/orderList"),
    "orderList.cancel": ("DELETE", "/api/v3/orderList"),
    "openOrderLists.status": ("GET", "/api/v3/openOrderList"),
    "account.status": ("GET", "/api/v3/account"),
    "account.rateLimits.orders": ("GET", "/api/v3/rateLimit/order"),
    "allOrders": ("GET", "/api/v3/allOrders"),
    "allOrderLists": ("GET", "/api/v3/allOrderList"),
    "myTrades": ("GET", "/api/v3/myTrades"),
    "myPreventedMatches": ("GET", "/api/v3/myPreventedMatches"),
    "userDataStream.start": ("POST", "/api/v3/userDataStream"),
    "userDataStream.ping": ("PUT", "/api/v3/userDataStream"),
    "userDataStream.stop": ("DELETE", "/api/v3/userDataStream"),
}
# The methods that place orders: their answers' rateLimits carry the account's ORDERS counts
# before REQUEST_WEIGHT, as the spec's examples of these three show.
ORDER_METHODS = frozenset({"order.place", "order.cancelReplace", "orderList.place"})
