"""Example responses copied from the Binance.US API documentation (binance-us-api.txt)."""

EXCHANGE_INFO = {
    "timezone": "UTC",
    "serverTime": 1565246363776,
    "rateLimits": [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    ],
    "exchangeFilters": [],
    "symbols": [
        {
            "symbol": "ETHBTC",
            "status": "TRADING",
            "baseAsset": "ETH",
            "baseAssetPrecision": 8,
            "quoteAsset": "BTC",
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT"],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False,
            "cancelReplaceAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
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
                    "filterType": "LOT_SIZE",
                    "minQty": "0.00100000",
                    "maxQty": "100000.00000000",
                    "stepSize": "0.00100000",
                },
            ],
        }
    ],
    "permissions": ["SPOT"],
}

DEPTH = {
    "lastUpdateId": 1027024,
    "bids": [["0.00379200", "31.26000000"]],
    "asks": [["0.00380100", "32.37000000"]],
}

TRADES = [
    {
        "id": 981492,
        "price": "0.00380100",
        "qty": "0.22000000",
        "quoteQty": "0.00083622",
        "time": 1637128016269,
        "isBuyerMaker": False,
        "isBestMatch": True,
    }
]

KLINES = [
    [
        1499040000000,
        "0.00386200",
        "0.00386200",
        "0.00386200",
        "0.00386200",
        "0.47000000",
        1499644799999,
        "0.00181514",
        1,
        "0.47000000",
        "0.00181514",
        "0",
    ]
]

ACCOUNT = {
    "makerCommission": 15,
    "takerCommission": 15,
    "buyerCommission": 0,
    "sellerCommission": 0,
    "commissionRates": {
        "maker": "0.00150000",
        "taker": "0.00150000",
        "buyer": "0.00000000",
        "seller": "0.00000000",
    },
    "canTrade": True,
    "canWithdraw": True,
    "canDeposit": True,
    "brokered": False,
    "requireSelfTradePrevention": False,
    "updateTime": 123456789,
    "accountType": "SPOT",
    "balances": [
        {"asset": "BTC", "free": "4723846.89208129", "locked": "0.00000000"},
        {"asset": "LTC", "free": "4763368.68006011", "locked": "0.00000000"},
        {"asset": "DOGE", "free": "0.00000000", "locked": "0.00000000"},
    ],
    "permissions": ["SPOT"],
}

ACCOUNT_STATUS = {"msg": "Normal", "success": True}

# The spec prints bare decimals (0.05, 0.995) here: parsed with parse_float=Decimal.
API_TRADING_STATUS_TEXT = """{
    "success": true,
    "status": {
        "isLocked": false,
        "plannedRecoverTime": 0,
        "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
        "indicators": {
           "BTCUSDT": [
            {"i": "UFR", "c": 20, "v": 0.05, "t": 0.995},
            {"i": "IFER", "c": 20, "v": 0.99, "t": 0.99},
            {"i": "GCR", "c": 20, "v": 0.99, "t": 0.99}
            ]
        },
        "updateTime": 1547630471725
    }
}"""

ORDER_FULL = {
    "symbol": "BTCUSDT",
    "orderId": 28,
    "orderListId": -1,
    "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
    "transactTime": 1507725176595,
    "price": "0.00000000",
    "origQty": "10.00000000",
    "executedQty": "10.00000000",
    "cummulativeQuoteQty": "10.00000000",
    "status": "FILLED",
    "timeInForce": "GTC",
    "type": "MARKET",
    "side": "SELL",
    "workingTime": 1507725176595,
    "selfTradePreventionMode": "NONE",
    "fills": [
        {
            "price": "4000.00000000",
            "qty": "1.00000000",
            "commission": "4.00000000",
            "commissionAsset": "USDT",
            "tradeId": 56,
        },
        {
            "price": "3999.00000000",
            "qty": "5.00000000",
            "commission": "19.99500000",
            "commissionAsset": "USDT",
            "tradeId": 57,
        },
    ],
}

ORDER_ACK = {
    "symbol": "BTCUSDT",
    "orderId": 28,
    "orderListId": -1,
    "clientOrderId": "6gCrw2kRUAF9CvJDGP16IP",
    "transactTime": 1507725176595,
}

ORDER_QUERY = {
    "symbol": "LTCBTC",
    "orderId": 1,
    "orderListId": -1,
    "clientOrderId": "myOrder1",
    "price": "0.1",
    "origQty": "1.0",
    "executedQty": "0.0",
    "cummulativeQuoteQty": "0.0",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "stopPrice": "0.0",
    "icebergQty": "0.0",
    "time": 1499827319559,
    "updateTime": 1499827319559,
    "isWorking": True,
    "origQuoteOrderQty": "0.000000",
    "workingTime": 1507725176595,
    "selfTradePreventionMode": "NONE",
}

ORDER_CANCELED = {
    "symbol": "LTCBTC",
    "origClientOrderId": "myOrder1",
    "orderId": 4,
    "orderListId": -1,
    "clientOrderId": "cancelMyOrder1",
    "price": "2.00000000",
    "origQty": "1.00000000",
    "executedQty": "0.00000000",
    "cummulativeQuoteQty": "0.00000000",
    "status": "CANCELED",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "selfTradePreventionMode": "NONE",
}
