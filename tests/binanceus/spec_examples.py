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

# -- account area -------------------------------------------------------------------------

SYSTEM_STATUS = {"status": 0}

TRADE_FEE = [
    {"symbol": "1INCHUSD", "makerCommission": "0.004", "takerCommission": "0.006"},
    {"symbol": "1INCHUSDT", "makerCommission": "0.004", "takerCommission": "0.006"},
]

TRADING_VOLUME = {"past30DaysTradingVolume": 100}

ASSET_DISTRIBUTION_HISTORY = {
    "rows": [
        {
            "amount": "10.00000000",
            "asset": "BHFT",
            "divTime": 1563189166000,
            "category": "BHFT distribution",
            "tranId": 2968885920,
        },
        {
            "amount": "10.00000000",
            "asset": "BHFT",
            "divTime": 1563189165000,
            "category": "BHFT distribution",
            "tranId": 2968885920,
        },
    ],
    "total": 2,
}

# -- sub-accounts ---------------------------------------------------------------------------

SUB_ACCOUNT_LIST = {
    "success": True,
    "subAccounts": [
        {
            "email": "123@test.com",
            "status": "enabled",
            "activated": True,
            "mobile": "91605290",
            "gAuth": True,
            "createTime": 1544433328000,
        },
        {
            "email": "321@test.com",
            "status": "disabled",
            "activated": True,
            "mobile": "22501238",
            "gAuth": True,
            "createTime": 1544433328000,
        },
    ],
}

# Note: the spec prints "time" in seconds here (everything else is in milliseconds).
SUB_ACCOUNT_TRANSFER_HISTORY = {
    "msg": "string",
    "success": True,
    "transfers": [
        {
            "asset": "BNB",
            "from": "aa.email.com",
            "qty": "10",
            "time": 1637789299,
            "to": "bb.email.com",
        }
    ],
}

SUB_ACCOUNT_TRANSFER = {"msg": "Success", "success": True, "txnId": "2966662589"}

# Verbatim, including the "Free"/"Locked" spelling of the first row and bare numbers.
SUB_ACCOUNT_ASSETS = {
    "balances": [
        {"asset": "BTC", "Free": 0, "Locked": 0},
        {"asset": "BNB", "free": 98, "locked": 0},
        {"asset": "ETH", "free": 0, "locked": 0},
        {"asset": "LTC", "free": 0, "locked": 0},
        {"asset": "USDT", "free": 0, "locked": 0},
    ],
    "success": True,
}

SUB_ACCOUNT_SPOT_SUMMARY = {
    "totalCount": 2,
    "masterAccountTotalAsset": 401,
    "spotSubUserAssetBtcVoList": [
        {"email": "test001@123.com", "totalAsset": 201},
        {"email": "test002@123.com", "totalAsset": 200},
    ],
}

SUB_ACCOUNT_STATUS = [
    {
        "email": "test001@123.com",
        "insertTime": 1652944721676,
        "mobile": "XXXXXXXXXX",
        "isUserActive": True,
        "isMarginEnabled": True,
        "isSubUserEnabled": False,
        "isFutureEnabled": False,
    },
    {
        "email": "test002@123.com",
        "insertTime": 1652944721676,
        "mobile": "XXXXXXXXXX",
        "isUserActive": True,
        "isMarginEnabled": False,
        "isSubUserEnabled": True,
        "isFutureEnabled": False,
    },
]

SUB_ACCOUNT_DEPOSIT_ADDRESS = {
    "coin": "BNB",
    "address": "0xf79b6274f18425441b8f05c0a711d171c0fe119f",
    "tag": "",
    "url": "https://etherscan.io/address/0xf79b6274f18425441b8f05c0a711d171c0fe119f",
}

SUB_ACCOUNT_DEPOSIT_HISTORY = [
    {
        "amount": "9.9749",
        "coin": "BTC",
        "network": "btc",
        "status": 4,
        "address": "bc1qxurvdd7tzn09agdvg3j8xpm3f7e978y07wg83s",
        "addressTag": "",
        "txId": "0x1b4b8c8090d15e3c1b0476b1c19118b1f00066e01de567cd7bc5b6e9c100193f",
        "insertTime": 1652942429211,
        "transferType": 0,
        "confirmTimes": "0/0",
    }
]

# -- custodial solution ---------------------------------------------------------------------

CUSTODIAN_BALANCE = {
    "exchangeWalletBalance": [
        {"asset": "BNB", "free": "0.0083686", "locked": "0", "lastUpdatedTime": 1662535206000}
    ],
    "custodialAcctBalance": [
        {"asset": "BTC", "free": "9.02933865", "locked": "0", "lastUpdatedTime": 1658478839000},
        {
            "asset": "ETHT",
            "free": "61.00129998",
            "locked": "0",
            "inSettlement": "25.17",
            "lastUpdatedTime": 1663752210000,
        },
    ],
}

CUSTODIAN_SUPPORTED_ASSETS = {
    "transferEligible": [
        {"asset": "BTC", "precision": 8, "network": ["BTC"]},
        {"asset": "ETH", "precision": 8, "network": ["ETH"]},
    ],
    "settlementEligible": [
        {"asset": "BTC", "precision": 8, "network": ["BTC"]},
        {"asset": "ETH", "precision": 8, "network": ["ETH"]},
    ],
}

CUSTODIAN_WALLET_TRANSFER = {
    "asset": "BTC",
    "amount": 1,
    "clientOrderId": "1663752208086",
    "transferId": "2022092709232937542366",
    "status": "SUCCESS",
    "createTime": 1664276400000,
}

CUSTODIAN_TRANSFER = {
    "asset": "BTC",
    "amount": 1,
    "clientOrderId": "1663752208086",
    "transferId": "2022092709232937542366",
    "custodyAccountId": "custodyAccountId",
    "custodyAccountName": "custodyAccountName",
    "status": "Transfer request received ",
    "createTime": 1664276400000,
}

CUSTODIAN_UNDO_TRANSFER = {"transferId": "2022092709232937542366", "asset": "BTC", "amount": 1}

CUSTODIAN_WALLET_TRANSFER_HISTORY = {
    "data": [
        {
            "transferId": "2022092709232937542366",
            "clientOrderId": "1663752208086",
            "asset": "BTC",
            "amount": 1,
            "status": "SUCCESS",
            "createTime": 1664276400000,
            "updateTime": 1664276400000,
        }
    ],
    "total": 1,
}

# As the spec prints it (L8028): a bare upper-case FALSE, which is not JSON.
CUSTODIAN_TRANSFER_HISTORY_TEXT = """{
   "data": [
       {
            "transferId": "2022092709232937542366",
            "clientOrderId": "1663752208086",
            "asset": "BTC",
            "amount": 1,
            "status": "SUCCESS",
            "expressTrade": FALSE,
            "createTime": 1664276400000,
            "updateTime": 1664276400000
        }
   ],
   "total": 1
}"""

CUSTODIAN_SETTLEMENT_SETTING = {
    "settlementActive": True,
    "frequencyInHours": 24,
    "nextTriggerTime": 1646524800000,
}

CUSTODIAN_SETTLEMENT_HISTORY = {
    "records": [
        {
            "status": "PROCESS",
            "triggerTime": 1660074030009,
            "settlementId": "1a22baf2329845b997eff2bc9a700504",
            "settlementAssets": [
                {
                    "asset": "USDC_T",
                    "settleTo": "0xc80e62a4Bb86c42D1a0Cda3dCBcCb26830D92F2B",
                    "network": "ETH",
                    "amount": "10",
                }
            ],
        },
        {
            "status": "FAILURE",
            "triggerTime": 1659081889724,
            "settlementId": "d9e69bb7386f4ebaa1689559b549ef25",
            "settlementAssets": [],
        },
    ],
    "total": 4,
}

# -- credit line ----------------------------------------------------------------------------

CL_ACCOUNT = {
    "clAccountId": 351010000,
    "masterAccountId": 351010001,
    "notificationMailAddr": "email@binance.us",
    "currentLTV": "0.415",
    "initialLTV": "0.62",
    "marginCallLTV": "0.8",
    "liquidationLTV": "0.54",
    "interestRate": "0.01",
    "liquidationFeeRate": "0.02",
    "contractStartTime": 1676332800000,
    "contractEndTime": 1680220802000,
    "isActive": True,
    "canTrade": True,
    "canTransferIn": True,
    "canTransferOut": True,
    "requiredDepositAmount": "0",
    "availableAmountToTransferOut": "500",
    "loanAssets": [
        {
            "loanAsset": "BNB",
            "loanQuantity": "900000",
            "currentLoanQuantity": "5885.70162259",
            "reclaimSequence": 1,
        }
    ],
    "balances": [
        {"asset": "BNB", "free": "14227.31994203", "locked": "0"},
        {"asset": "USD", "free": "948.46", "locked": "0"},
    ],
}

CL_ALERT_HISTORY = [
    {
        "alertTime": 1672314507694,
        "alertType": "LIQUIDATION_CALL",
        "currentLTV": "9",
        "initialLTV": "0.62",
        "marginCallLTV": "0.8",
        "liquidationLTV": "0.54",
        "totalBalance": "3710355.24038655",
        "loanAssets": [
            {
                "loanAsset": "BNB",
                "loanQuantity": "900000",
                "currentLoanQuantity": "5885.70162259",
                "reclaimSequence": 1,
            }
        ],
        "balances": [
            {"asset": "BNB", "free": "14257.81994203", "locked": "0", "freeze": "0"},
            {"asset": "USD", "free": "48.46", "locked": "0", "freeze": "0"},
        ],
    }
]

CL_TRANSFER_HISTORY = [
    {
        "transferId": "t11119",
        "transferType": "TRANSFER_IN",
        "asset": "USD",
        "amount": "10",
        "status": "SUCCESS",
        "transferTime": 1676958403384,
    },
    {
        "transferId": "t11117",
        "transferType": "TRANSFER_IN",
        "asset": "USD",
        "amount": "10",
        "status": "SUCCESS",
        "transferTime": 1676676502389,
    },
]

CL_TRANSFER = {"transferId": 1331391, "status": "SUCCESS"}

# -- OTC (the responses after L4993, L5092, L5177, L5253, L5335, L5440) ---------------------
# Kept as the spec's JSON text: its numbers (0.00001978, 50550.26) are read as Decimal exactly.

OTC_COIN_PAIRS_TEXT = """[
    {
        "fromCoin": "BTC",
        "toCoin": "USDT",
        "fromCoinMinAmount": 0.1,
        "fromCoinMaxAmount": 100,
        "toCoinMinAmount": 1000,
        "toCoinMaxAmount": 500000
    },
    {
        "fromCoin": "USDT",
        "toCoin": "BNB",
        "fromCoinMinAmount": 2000,
        "fromCoinMaxAmount": 600000,
        "toCoinMinAmount": 10,
        "toCoinMaxAmount": 4000
    }
]"""

OTC_QUOTE_TEXT = """{
    "symbol": "BTCUSDT",
    "ratio": 50550.26,
    "inverseRatio": 0.00001978,
    "validTimestamp": 1641806714,
    "toAmount": 50550.26,
    "fromAmount": 1
}"""

OTC_QUOTE_ID = "4e5446f2cc6f44ab86ab02abf19a2fd2"
"""The place-order example's ``quoteId`` (L5171), which the sandbox adds to the quote."""

OTC_ORDER_ACK_TEXT = """{
    "orderId": "10002349",
    "createTime": 1641906714,
    "orderStatus": "PROCESS"
}"""
"""L5178-5182 without its ``// Status: PROCESS / ACCEPT_SUCCESS / SUCCESS / FAIL`` comment."""

OTC_ORDER_TEXT = """{
    "quoteId": "4e5446f2cc6f44ab86ab02abf19a2fd2",
    "orderId": "10002349",
    "orderStatus": "SUCCESS",
    "fromCoin": "BTC",
    "fromAmount": 1,
    "toCoin": "USDT",
    "toAmount": 50550.26,
    "ratio": 50550.26,
    "inverseRatio": 0.00001978,
    "createTime": 1641806714
}"""

OTC_ORDERS_TEXT = """{
  "total": 2,
  "rows": [
            {
                "quoteId": "4e5446f2cc6f44ab86ab02abf19a2fd2",
                "orderId": "10002349",
                "orderStatus": "SUCCESS",
                "fromCoin": "BTC",
                "fromAmount": 1,
                "toCoin": "USDT",
                "toAmount": 50550.26,
                "ratio": 50550.26,
                "inverseRatio": 0.00001978,
              "createTime": 1641806714
          },
          {
              "quoteId": "15848645308",
              "orderId": "10002380",
              "orderStatus": "PROCESS",
              "fromCoin": "SHIB",
              "fromAmount": 10000,
              "toCoin": "KSHIB",
              "toAmount": 10,
              "ratio": 0.001,
              "inverseRatio": 1000,
              "createTime": 1641916714
          }
      ]
}"""

OCBS_ORDERS_TEXT = """{
   "total": 2,
   "dataList": [
      {
        "quoteId": "4e5446f2cc6f44ab86ab02abf19a7654",
        "orderId": "10090821212",
        "orderStatus": "SUCCESS",
        "fromCoin": "BTC",
        "fromAmount": 1,
        "toCoin": "USD",
        "toAmount": 50550.26,
        "feeCoin": "USD",
        "feeAmount": 0.26,
        "ratio": 50550.26,
        "createTime": 1641806714
      },
      {
        "quoteId": "4e5446f2cc6f44ab86ab02abf19abvd",
        "orderId": "1000238000",
        "orderStatus": "FAIL",
        "fromCoin": "USD",
        "fromAmount": 1000.5,
        "toCoin": "ETH",
        "toAmount": 0.5,
        "feeCoin": "USD",
        "feeAmount": 0.5,
        "ratio": 2000,
        "createTime": 1641916714
      }
  ]
}"""

# -- dust (the responses after L6535, L6620, L6713) ---------------------------------------

DUST_CONVERT = {
    "totalTransferred": "0.00289855",
    "totalServiceCharge": "0.00005797",
    "transferResult": [
        {
            "tranId": 28822799,
            "fromAsset": "LTC",
            "toAsset": "BTC",
            "amount": "0.2",
            "transferredAmount": "0.00289855",
            "serviceChargeAmount": "0.00005797",
            "operateTime": 1659583487273,
            "result": "S",
        }
    ],
}

DUST_LOGS = {
    "total": 1,
    "userDustConvertHistory": [
        {
            "operateTime": 1659583487000,
            "totalServiceChargeAmount": "0.00005797",
            "totalTransferredAmount": "0.00284058",
            "userAssetDribbletDetails": [
                {
                    "fromAsset": "LTC",
                    "toAsset": "BTC",
                    "amount": "0.2",
                    "transferredAmount": "0.00284058",
                    "serviceChargeAmount": "0.00005797",
                    "operateTime": 1659583487000,
                    "tranId": 28822799,
                }
            ],
        }
    ],
}

DUST_ASSETS = {
    "convertibleAssets": [
        {
            "fromAsset": "BTC",
            "toAsset": "BNB",
            "availableBalance": "0.0001",
            "convertedAsset": "0.0028987",
            "usdValueConvertedAsset": "2.0001",
            "conversionFee": "0.00005797",
            "receivedAsset": "0.00284073",
        },
        {
            "fromAsset": "USDT",
            "toAsset": "BNB",
            "availableBalance": "14.286",
            "convertedAsset": "0.02029026",
            "usdValueConvertedAsset": "14.00028",
            "conversionFee": "0.00040581",
            "receivedAsset": "0.01988445",
        },
    ],
    "totalConvertedAsset": "0.02318896",
    "usdValueTotalConvertedAsset": "16.00038",
    "totalConversionFee": "0.00046378",
    "totalReceivedAsset": "0.02272518",
    "feeRate": "0.02",
    "withinRestrictedTime": False,
}

# -- referral (after L6821), API partner (L9798-9803, L9874-9885) ------------------------------

REFERRAL_REWARD_HISTORY = {
    "total": 1,
    "rows": [
        {
            "userId": 350991652,
            "rewardAmount": "8",
            "receiveDateTime": 1651131084091,
            "rewardType": "USD",
        }
    ],
}

PARTNER_ELIGIBILITY = {
    "isEligible": False,  # If the user is eligible for rebate (true or false)
    "ifNewUser": True,  # true: new, false: old,
    "vipLevel": 1,
    "referrerId": 39472261,
}

PARTNER_REBATE_HISTORY = [
    {"qty": "0.02063898", "asset": "BTC", "date": 1676585861493},
    {"qty": "1.2063898", "asset": "USDT", "date": 1676585861493},
]

# -- broker referral (api-referral.txt, R = its lines) -----------------------------------------

BROKER_IF_NEW_USER = {  # R17-22
    "apiAgentCode": "ABCD1234",
    "rebateWorking": False,  # If the apiAgentCode is working ( true or false)
    "ifNewUser": True,  # true: new, false: old
    "referrerId": 39472261,
}

BROKER_CUSTOMIZATION = {"customerId": "abc123", "email": "test12345@126.com"}  # R40-43

BROKER_CUSTOMIZATIONS = [  # R61-76
    {"customerId": "abc123", "email": "testABCD@gmail.com"},
    {"customerId": "abc345", "email": "testABCD@gmail.com"},
]

BROKER_USER_CUSTOMIZATION = {"customerId": "abc123"}  # R91-93, R109-111

BROKER_REBATE_RECENT_RECORD = [  # R134-155
    {
        "customerId": "",
        "email": "test*****@126.com",
        "income": "0.02063898",
        "asset": "BTC",
        "symbol": "ETHBTC",
        "time": 1544433328000,
        "orderId": 10491232,
        "tradeId": 611123,
    },
    {
        "customerId": "abd433",
        "email": "abcd*****@gmail.com",
        "income": "1.2063898",
        "asset": "USDT",
        "symbol": "BTCUSDT",
        "time": 1581580800000,
        "orderId": 10500242,
        "tradeId": 612323,
    },
]

BROKER_KICKBACK_RECENT_RECORD = [  # R173-189
    {"income": "0.02063898", "asset": "BTC", "symbol": "ETHBTC", "time": 1544433328000},
    {"income": "1.2063898", "asset": "USDT", "symbol": "BTCUSDT", "time": 1581580800000},
]

BROKER_KICKBACK_EXPORT_START_TEXT = """{
    code: 200
    msg: "Historical data is collecting"

}"""
"""R207-211 as printed: not JSON (bare keys, no comma)."""

BROKER_KICKBACK_EXPORT_TEXT = "url to the data"
"""R226: the whole documented answer."""
