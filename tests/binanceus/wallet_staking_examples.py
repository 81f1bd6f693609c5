"""Wallet and staking example payloads copied from the Binance.US API text
(binance-us-api.txt: Wallet Endpoints, Staking Endpoints; kept apart from spec_examples.py so
no module passes 600 lines)."""

# -- wallet (binance-us-api.txt L5549-6460) -------------------------------------------------

COIN_CONFIG = [
    {
        "coin": "BCH",
        "depositAllEnable": True,
        "withdrawAllEnable": True,
        "name": "BCH",
        "free": "0",
        "locked": "0",
        "freeze": "0",
        "withdrawing": "0",
        "ipoing": "0",
        "ipoable": "0",
        "storage": "0",
        "isLegalMoney": False,
        "trading": True,
        "networkList": [
            {
                "network": "BCH",
                "coin": "BCH",
                "withdrawIntegerMultiple": "0.00000001",
                "isDefault": True,
                "depositEnable": True,
                "withdrawEnable": True,
                "depositDesc": "",
                "withdrawDesc": "",
                "name": "Bitcoin Cash",
                "resetAddressStatus": False,
                "withdrawFee": "0",
                "withdrawMin": "0",
                "withdrawMax": "9999999",
            },
            {
                "network": "BNB",
                "coin": "BCH",
                "withdrawIntegerMultiple": "0.00000001",
                "isDefault": False,
                "depositEnable": True,
                "withdrawEnable": True,
                "depositDesc": "",
                "withdrawDesc": "",
                "name": "BEP222ee",
                "resetAddressStatus": False,
                "addressRegex": "^(bnb1)[0-9a-z]{38}$",
                "memoRegex": "^[0-9A-Za-z\\-_]{1,120}$",
                "withdrawFee": "0",
                "withdrawMin": "0",
                "withdrawMax": "9999999",
                "minConfirm": 15,
                "unLockConfirm": 3,
            },
            {
                "network": "BSC",
                "coin": "BCH",
                "withdrawIntegerMultiple": "0.00000001",
                "isDefault": False,
                "depositEnable": True,
                "withdrawEnable": True,
                "depositDesc": "",
                "withdrawDesc": "",
                "name": "BSC (BEP20)",
                "resetAddressStatus": False,
                "addressRegex": "^(0x)[0-9A-Fa-f]{40}$",
                "memoRegex": "",
                "withdrawFee": "0",
                "withdrawMin": "0",
                "withdrawMax": "9999999",
                "minConfirm": 0,
                "unLockConfirm": 0,
            },
        ],
    },
    {
        "coin": "PAX",
        "depositAllEnable": True,
        "withdrawAllEnable": True,
        "name": "PAX",
        "free": "0",
        "locked": "0",
        "freeze": "0",
        "withdrawing": "0",
        "ipoing": "0",
        "ipoable": "0",
        "storage": "0",
        "isLegalMoney": False,
        "trading": False,
        "networkList": [
            {
                "network": "BNB",
                "coin": "PAX",
                "withdrawIntegerMultiple": "0",
                "isDefault": False,
                "depositEnable": True,
                "withdrawEnable": True,
                "depositDesc": "",
                "withdrawDesc": "",
                "specialTips": "",
                "name": "BEP222ee",
                "resetAddressStatus": False,
                "addressRegex": "^(bnb1)[0-9a-z]{38}$",
                "memoRegex": "^[0-9A-Za-z\\-_]{1,120}$",
                "withdrawFee": "0",
                "withdrawMin": "0",
                "withdrawMax": "9999999",
                "minConfirm": 15,
                "unLockConfirm": 3,
            }
        ],
    },
]

FIAT_WITHDRAW = {
    "orderId": "6c2ff984890145fdac2b7160299062f0",
    "channelCode": "BITGO",
    "currencyCode": "USD",
    "amount": "100.00000000",
    "orderStatus": "INIT",
}

WITHDRAW = {"id": "4e7f4f31560041ee880b5386f06d4053"}

WITHDRAW_HISTORY = [
    {
        "id": "4e7f4f31560041ee880b5386f06d4053",
        "amount": "0.9",
        "transactionFee": "0.1",
        "coin": "BNB",
        "status": 2,
        "address": "0xd709f9d0bbc6b0e746a13142dfe353086edf87c2",
        "applyTime": "2022-02-18 03:36:04",
        "network": "BSC",
        "transferType": 0,
    }
]

FIAT_WITHDRAW_HISTORY = {
    "assetLogRecordList": [
        {
            "orderId": "6c2ff984890145fdac2b7160299062f0",
            "paymentAccount": "4a992541-c12d-4cca-bbd6-df637f801526",
            "paymentChannel": "PRIMETRUST",
            "paymentMethod": "WIRE_INTERNATIONAL",
            "orderStatus": "Processing",
            "amount": "65",
            "transactionFee": "20",
            "platformFee": "0",
        }
    ]
}

DEPOSIT_ADDRESS = {
    "coin": "BNB",
    "address": "0xcf1988d27e402086941284313b632466fdf28a22",
    "tag": "",
    "url": "0xcf1988d27e402086941284313b632466fdf28a22",
}

DEPOSIT_HISTORY = [
    {
        "amount": "8.73234",
        "coin": "BNB",
        "network": "BSC",
        "status": 1,
        "address": "0xd709f9d0bbc6b0e746a13142dfe353086edf87c2",
        "addressTag": "",
        "txId": "0xa9ebf3f4f60bc18bd6bdf4616ff8ffa14ef93a08fe79cad40519b31ea1044290",
        "insertTime": 1638342348000,
        "transferType": 0,
        "confirmTimes": "0/0",
    }
]

FIAT_DEPOSIT_HISTORY = {
    "assetLogRecordList": [
        {
            "orderId": "c3415d574fa747df88a75c66c037f890",
            "paymentAccount": "ab13f629-b074-470a-bc80-b830e169691f",
            "paymentChannel": "MODERNTREASURY",
            "paymentMethod": "ACH",
            "orderStatus": "Successful",
            "fiatCurrency": "USD",
            "amount": "0.99",
            "transactionFee": "0.01",
            "platformFee": "0",
        }
    ]
}

# -- staking (binance-us-api.txt L6898-7390) ------------------------------------------------

STAKING_ASSET = [
    {
        "stakingAsset": "BNB",
        "rewardAsset": "BNB",
        "apr": "0.0517",
        "apy": "0.04",
        "unstakingPeriod": 168,
        "minStakingLimit": "0.01",
        "maxStakingLimit": "10000",
        "autoRestake": True,
    }
]

STAKE = {
    "code": "000000",
    "message": "success",
    "data": {"result": "SUCCESS", "purchaseRecordId": "111"},
    "success": True,
}

UNSTAKE = {"code": "000000", "message": "success", "data": {"result": "SUCCESS"}, "success": True}

STAKING_BALANCE = {
    "code": "000000",
    "message": "success",
    "data": [
        {
            "asset": "BNB",
            "stakingAmount": "3882.50133916",
            "rewardAsset": "BNB",
            "apr": "0.0517",
            "apy": "0.0869",
            "autoRestake": True,
        }
    ],
    "status": ["holding"],
    "success": True,
}

STAKING_HISTORY = [
    {
        "asset": "ETH",
        "amount": "2500",
        "type": "staked",
        "initiatedTime": 1663096490748,
        "status": "SUCCESS",
    },
    {
        "asset": "ETH",
        "amount": "1",
        "type": "staked",
        "initiatedTime": 1665462088011,
        "status": "SUCCESS",
    },
]

STAKING_REWARDS_HISTORY = {
    "code": "000000",
    "message": "success",
    "data": [
        {
            "asset": "BNB",
            "amount": "0.03371769",
            "usdValue": "20.23",
            "time": 1658475133009,
            "tranId": 3123201,
            "autoRestaked": False,
        }
    ],
    "total": 1,
    "success": True,
}
