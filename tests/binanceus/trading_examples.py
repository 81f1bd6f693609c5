"""Trading and user-data-stream example payloads copied from the Binance.US API text
(binance-us-api.txt: Trade Order Endpoints, the cancel-replace WebSocket section for the
failure bodies, User Data Stream Payloads, Filters)."""

ORDER_RATE_LIMIT = [
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100, "count": 0},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000, "count": 0},
]

ALL_ORDERS = [
    {
        "symbol": "BTCUSD",
        "orderId": 221505,
        "orderListId": -1,
        "clientOrderId": "web_13fc402e44d2448c88c04ce4094fb9c6",
        "price": "0.00000000",
        "origQty": "1.00000000",
        "executedQty": "1.00000000",
        "cummulativeQuoteQty": "7155.37000000",
        "status": "FILLED",
        "timeInForce": "GTC",
        "type": "MARKET",
        "side": "BUY",
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": 1678951342382,
        "updateTime": 1678951342382,
        "isWorking": True,
        "workingTime": 1678951342382,
        "origQuoteOrderQty": "0.00000000",
        "selfTradePreventionMode": "NONE",
    }
]

CANCEL_OPEN_ORDERS = [
    {
        "symbol": "BTCUSDT",
        "origClientOrderId": "KZJijIsAFf5BU5oxkWTAU3",
        "orderId": 0,
        "orderListId": -1,
        "clientOrderId": "8epSIUMvNCknntXcSzWs7H",
        "price": "0.10000000",
        "origQty": "1.00000000",
        "executedQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
    }
]

MY_TRADES = [
    {
        "symbol": "BNBBTC",
        "id": 28457,
        "orderId": 100234,
        "orderListId": -1,
        "price": "4.00000100",
        "qty": "12.00000000",
        "quoteQty": "48.000012",
        "commission": "10.10000000",
        "commissionAsset": "BNB",
        "time": 1499865549590,
        "isBuyer": True,
        "isMaker": False,
        "isBestMatch": True,
    }
]

PREVENTED_MATCHES = [
    {
        "symbol": "BTCUSDT",
        "preventedMatchId": 1,
        "takerOrderId": 5,
        "makerOrderId": 3,
        "tradeGroupId": 1,
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "price": "1.100000",
        "makerPreventedQuantity": "1.300000",
        "transactTime": 1669101687094,
    }
]

CANCELED_LEG = {
    "symbol": "BTCUSDT",
    "origClientOrderId": "DnLo3vTAQcjha43lAZhZ0y",
    "orderId": 9,
    "orderListId": -1,
    "clientOrderId": "osxN3JXAtJvKvCqGeMWMVR",
    "price": "0.01000000",
    "origQty": "0.000100",
    "executedQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "CANCELED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "SELL",
    "selfTradePreventionMode": "NONE",
}

NEW_LEG = {
    "symbol": "BTCUSDT",
    "orderId": 10,
    "orderListId": -1,
    "clientOrderId": "wOceeeOzNORyLiQfw7jd8S",
    "transactTime": 1652928801803,
    "price": "0.02000000",
    "origQty": "0.040000",
    "executedQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "workingTime": 1652928801803,
    "fills": [],
    "selfTradePreventionMode": "NONE",
}

CANCEL_REPLACE_OK = {
    "cancelResult": "SUCCESS",
    "newOrderResult": "SUCCESS",
    "cancelResponse": CANCELED_LEG,
    "newOrderResponse": NEW_LEG,
}

# HTTP 409: the cancel succeeded, the new order failed (ALLOW_FAILURE or STOP_ON_FAILURE).
CANCEL_REPLACE_409_NEW_FAILED = {
    "code": -2021,
    "msg": "Order cancel-replace partially failed.",
    "data": {
        "cancelResult": "SUCCESS",
        "newOrderResult": "FAILURE",
        "cancelResponse": CANCELED_LEG,
        "newOrderResponse": {"code": -2010, "msg": "Order would immediately match and take."},
    },
}

# HTTP 409: the cancel failed, the new order was placed (ALLOW_FAILURE).
CANCEL_REPLACE_409_CANCEL_FAILED = {
    "code": -2021,
    "msg": "Order cancel-replace partially failed.",
    "data": {
        "cancelResult": "FAILURE",
        "newOrderResult": "SUCCESS",
        "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
        "newOrderResponse": NEW_LEG,
    },
}

# HTTP 400: STOP_ON_FAILURE and the cancel failed.
CANCEL_REPLACE_400 = {
    "code": -2022,
    "msg": "Order cancel-replace failed.",
    "data": {
        "cancelResult": "FAILURE",
        "newOrderResult": "NOT_ATTEMPTED",
        "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
        "newOrderResponse": None,
    },
}

OCO_NEW = {
    "orderListId": 0,
    "contingencyType": "OCO",
    "listStatusType": "EXEC_STARTED",
    "listOrderStatus": "EXECUTING",
    "listClientOrderId": "JYVpp3F0f5CAG15DhtrqLp",
    "transactionTime": 1563417480525,
    "symbol": "LTCBTC",
    "orders": [
        {"symbol": "LTCBTC", "orderId": 2, "clientOrderId": "Kk7sqHb9J6mJWTMDVW7Vos"},
        {"symbol": "LTCBTC", "orderId": 3, "clientOrderId": "xTXKaGYd4bluPVp78IVRvl"},
    ],
    "orderReports": [
        {
            "symbol": "LTCBTC",
            "orderId": 2,
            "orderListId": 0,
            "clientOrderId": "Kk7sqHb9J6mJWTMDVW7Vos",
            "transactTime": 1563417480525,
            "price": "0.000000",
            "origQty": "0.624363",
            "executedQty": "0.000000",
            "cummulativeQuoteQty": "0.000000",
            "status": "NEW",
            "timeInForce": "GTC",
            "type": "STOP_LOSS",
            "side": "BUY",
            "stopPrice": "0.960664",
            "workingTime": -1,
            "selfTradePreventionMode": "NONE",
        },
        {
            "symbol": "LTCBTC",
            "orderId": 3,
            "orderListId": 0,
            "clientOrderId": "xTXKaGYd4bluPVp78IVRvl",
            "transactTime": 1563417480525,
            "price": "0.036435",
            "origQty": "0.624363",
            "executedQty": "0.000000",
            "cummulativeQuoteQty": "0.000000",
            "status": "NEW",
            "timeInForce": "GTC",
            "type": "LIMIT_MAKER",
            "side": "BUY",
            "workingTime": 1563417480525,
            "selfTradePreventionMode": "NONE",
        },
    ],
}

ORDER_LIST_QUERY = {
    "orderListId": 27,
    "contingencyType": "OCO",
    "listStatusType": "EXEC_STARTED",
    "listOrderStatus": "EXECUTING",
    "listClientOrderId": "h2USkA5YQpaXHPIrkd96xE",
    "transactionTime": 1565245656253,
    "symbol": "LTCBTC",
    "orders": [
        {"symbol": "LTCBTC", "orderId": 4, "clientOrderId": "qD1gy3kc3Gx0rihm9Y3xwS"},
        {"symbol": "LTCBTC", "orderId": 5, "clientOrderId": "ARzZ9I00CPM8i3NhmU9Ega"},
    ],
}

EXECUTION_REPORT = {
    "e": "executionReport",
    "E": 1499405658658,
    "s": "ETHBTC",
    "c": "mUvoqJxFIILMdfAW5iGSOW",
    "S": "BUY",
    "o": "LIMIT",
    "f": "GTC",
    "q": "1.00000000",
    "p": "0.10264410",
    "P": "0.00000000",
    "d": 4,
    "F": "0.00000000",
    "g": -1,
    "C": "",
    "x": "NEW",
    "X": "NEW",
    "r": "NONE",
    "i": 4293153,
    "l": "0.00000000",
    "z": "0.00000000",
    "L": "0.00000000",
    "n": "0",
    "N": None,
    "T": 1499405658657,
    "t": -1,
    "I": 8641984,
    "w": True,
    "m": False,
    "M": False,
    "O": 1499405658657,
    "Z": "0.00000000",
    "Y": "0.00000000",
    "Q": "0.00000000",
    "V": "EXPIRE_MAKER",
    "W": 1499405658657,
}

LIST_STATUS = {
    "e": "listStatus",
    "E": 1564035303637,
    "s": "ETHBTC",
    "g": 2,
    "c": "OCO",
    "l": "EXEC_STARTED",
    "L": "EXECUTING",
    "r": "NONE",
    "C": "F4QN4G8DlFATFlIUQ0cjdD",
    "T": 1564035303625,
    "O": [
        {"s": "ETHBTC", "i": 17, "c": "AJYsMjErWJesZvqlJCTUgL"},
        {"s": "ETHBTC", "i": 18, "c": "bfYPSQdLoqAJeNrOr9adzq"},
    ],
}

ACCOUNT_POSITION = {
    "e": "outboundAccountPosition",
    "E": 1564034571105,
    "u": 1564034571073,
    "B": [{"a": "ETH", "f": "10000.000000", "l": "0.000000"}],
}

BALANCE_UPDATE = {
    "e": "balanceUpdate",
    "E": 1573200697110,
    "a": "BTC",
    "d": "100.00000000",
    "T": 1573200697068,
}

# One symbol carrying every symbol filter of the spec's Filters section (their examples).
SYMBOL_WITH_ALL_FILTERS = {
    "symbol": "ETHBTC",
    "status": "TRADING",
    "baseAsset": "ETH",
    "quoteAsset": "BTC",
    "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
    "icebergAllowed": True,
    "ocoAllowed": True,
    "quoteOrderQtyMarketAllowed": True,
    "filters": [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": "0.00000100",
            "maxPrice": "100000.00000000",
            "tickSize": "0.00000100",
        },
        {
            "filterType": "PERCENT_PRICE",
            "multiplierUp": "1.3000",
            "multiplierDown": "0.7000",
            "avgPriceMins": 5,
        },
        {
            "filterType": "PERCENT_PRICE_BY_SIDE",
            "bidMultiplierUp": "1.2",
            "bidMultiplierDown": "0.2",
            "askMultiplierUp": "5",
            "askMultiplierDown": "0.8",
            "avgPriceMins": 1,
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": "0.00100000",
            "maxQty": "100000.00000000",
            "stepSize": "0.00100000",
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": "10.00000000",
            "applyMinToMarket": False,
            "maxNotional": "10000.00000000",
            "applyMaxToMarket": False,
            "avgPriceMins": 5,
        },
        {
            "filterType": "MIN_NOTIONAL",
            "minNotional": "0.00100000",
            "applyToMarket": True,
            "avgPriceMins": 5,
        },
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": "0.00100000",
            "maxQty": "100000.00000000",
            "stepSize": "0.00100000",
        },
        {"filterType": "MAX_NUM_ORDERS", "limit": 25},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        {"filterType": "MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 5},
        {"filterType": "MAX_POSITION", "maxPosition": "10.00000000"},
        {
            "filterType": "TRAILING_DELTA",
            "minTrailingAboveDelta": 10,
            "maxTrailingAboveDelta": 2000,
            "minTrailingBelowDelta": 10,
            "maxTrailingBelowDelta": 2000,
        },
    ],
}

EXCHANGE_FILTERS = [
    {"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": 1000},
    {"filterType": "EXCHANGE_MAX_ALGO_ORDERS", "maxNumAlgoOrders": 200},
    {"filterType": "EXCHANGE_MAX_NUM_ICEBERG_ORDERS", "maxNumIcebergOrders": 10000},
]
