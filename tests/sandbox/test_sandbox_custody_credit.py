"""Custodial Solution and Credit Line endpoints: key-type gating, shapes, transfers."""

from __future__ import annotations

from tests.sandbox.sandbox_support import admin, balances, new_account, new_key, signed

REJECTED = {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}


def custodial(base: str) -> tuple[dict, dict]:
    acct = new_account(base, {"USD": "1000", "BTC": "2"})
    setup = admin(
        base,
        "POST",
        f"/accounts/{acct['email']}/custody",
        {
            "rail": "ANCHORAGE",
            "balances": {"BTC": "9.02933865"},
            "inSettlement": {"ETH": "25.17"},
            "partnerBalances": {"BTC": "100"},
            "transferEligible": ["BTC", "ETH"],
            "settlementEligible": ["BTC"],
            # A trigger far ahead: settlement runs at nextTriggerTime (test_sandbox_custody).
            "settlementSetting": {"frequencyInHours": 12, "nextTriggerTime": 4102444800000},
            "processingDelayMs": 0,  # custodianTransfers land by the next request
            "settlementRecords": [
                {"status": "FAILURE", "triggerTime": 1659081889724, "settlementId": "d9e6"},
                {
                    "status": "PROCESS",
                    "triggerTime": 1660074030009,
                    "settlementId": "1a22",
                    "settlementAssets": [
                        {"asset": "BTC", "settleTo": "0xc80e", "network": "BTC", "amount": "1"}
                    ],
                },
            ],
        },
    )
    assert setup.status_code == 200, setup.text
    return acct, new_key(base, acct, "custodial")


def test_it_serves_custody_reads_only_to_custodial_keys(quiet_url: str) -> None:
    acct, key = custodial(quiet_url)
    rail = {"rail": "ANCHORAGE"}
    for path in (
        "/sapi/v1/custodian/balance",
        "/sapi/v1/custodian/supportedAssetList",
        "/sapi/v1/custodian/walletTransferHistory",
        "/sapi/v1/custodian/custodianTransferHistory",
        "/sapi/v1/custodian/settlementSetting",
        "/sapi/v1/custodian/settlementHistory",
    ):
        refused = signed(quiet_url, "GET", path, acct, rail)  # the exchange key
        assert (refused.status_code, refused.json()) == (401, REJECTED), path
        assert signed(quiet_url, "GET", path, key, rail).status_code == 200, path
        wrong = signed(quiet_url, "GET", path, key, {"rail": "FIREBLOCKS"})
        assert wrong.status_code == 400 and wrong.json()["code"] == -1130, path
        missing = signed(quiet_url, "GET", path, key)
        assert missing.json()["code"] == -1102, path
    # ...and a custodial key cannot call exchange endpoints.
    assert signed(quiet_url, "GET", "/api/v3/account", key).json() == REJECTED

    bal = signed(quiet_url, "GET", "/sapi/v1/custodian/balance", key, rail).json()
    assert list(bal) == ["exchangeWalletBalance", "custodialAcctBalance"]
    wallet = {r["asset"]: r for r in bal["exchangeWalletBalance"]}
    assert list(wallet["BTC"]) == ["asset", "free", "locked", "lastUpdatedTime"]
    assert (wallet["BTC"]["free"], wallet["USD"]["free"]) == ("2", "1000")
    custody_rows = bal["custodialAcctBalance"]
    assert [(r["asset"], r["free"]) for r in custody_rows] == [
        ("BTC", "9.02933865"),
        ("ETH", "0"),
    ]
    assert list(custody_rows[1]) == ["asset", "free", "locked", "inSettlement", "lastUpdatedTime"]
    assert custody_rows[1]["inSettlement"] == "25.17"
    assert "inSettlement" not in custody_rows[0]

    assets = signed(quiet_url, "GET", "/sapi/v1/custodian/supportedAssetList", key, rail).json()
    assert assets == {
        "transferEligible": [
            {"asset": "BTC", "precision": 8, "network": ["BTC"]},
            {"asset": "ETH", "precision": 8, "network": ["ETH"]},
        ],
        "settlementEligible": [{"asset": "BTC", "precision": 8, "network": ["BTC"]}],
    }
    setting = signed(quiet_url, "GET", "/sapi/v1/custodian/settlementSetting", key, rail)
    assert setting.json() == {
        "settlementActive": True,
        "frequencyInHours": 12,
        "nextTriggerTime": 4102444800000,
    }
    history = signed(quiet_url, "GET", "/sapi/v1/custodian/settlementHistory", key, rail).json()
    assert history["total"] == 2
    assert [r["settlementId"] for r in history["records"]] == ["1a22", "d9e6"]
    assert list(history["records"][0]) == [
        "status",
        "triggerTime",
        "settlementId",
        "settlementAssets",
    ]


def test_it_moves_custody_funds_and_lists_the_transfers(quiet_url: str) -> None:
    acct, key = custodial(quiet_url)
    rail = {"rail": "ANCHORAGE"}
    out = signed(
        quiet_url,
        "POST",
        "/sapi/v1/custodian/walletTransfer",
        key,
        {**rail, "asset": "BTC", "amount": "0.5", "clientOrderId": "w-1"},
    )
    assert out.status_code == 200, out.text
    body = out.json()
    assert list(body) == ["asset", "amount", "clientOrderId", "transferId", "status", "createTime"]
    assert (body["asset"], body["amount"], body["clientOrderId"], body["status"]) == (
        "BTC",
        0.5,
        "w-1",
        "SUCCESS",
    )
    assert balances(quiet_url, acct)["BTC"] == ("1.50000000", "0.00000000")
    dup = signed(
        quiet_url,
        "POST",
        "/sapi/v1/custodian/walletTransfer",
        key,
        {**rail, "asset": "BTC", "amount": "0.1", "clientOrderId": "w-1"},
    )
    assert dup.json()["code"] == -1130
    too_much = signed(
        quiet_url,
        "POST",
        "/sapi/v1/custodian/walletTransfer",
        key,
        {**rail, "asset": "BTC", "amount": "5"},
    )
    assert too_much.json()["code"] == -2010
    not_eligible = signed(
        quiet_url,
        "POST",
        "/sapi/v1/custodian/walletTransfer",
        key,
        {**rail, "asset": "USD", "amount": "5"},
    )
    assert not_eligible.json()["code"] == -1130

    partner = signed(
        quiet_url,
        "POST",
        "/sapi/v1/custodian/custodianTransfer",
        key,
        {**rail, "asset": "BTC", "amount": "3"},
    ).json()
    assert list(partner) == [
        "asset",
        "amount",
        "clientOrderId",
        "transferId",
        "custodyAccountId",
        "custodyAccountName",
        "status",
        "createTime",
    ]
    custody_btc = signed(quiet_url, "GET", "/sapi/v1/custodian/balance", key, rail).json()[
        "custodialAcctBalance"
    ][0]
    assert custody_btc["free"] == "12.52933865"  # 9.02933865 + 0.5 + 3

    hist = signed(quiet_url, "GET", "/sapi/v1/custodian/walletTransferHistory", key, rail).json()
    assert hist["total"] == 1
    assert list(hist["data"][0]) == [
        "transferId",
        "clientOrderId",
        "asset",
        "amount",
        "status",
        "createTime",
        "updateTime",
    ]
    assert hist["data"][0]["transferId"] == body["transferId"]
    by_id = signed(
        quiet_url,
        "GET",
        "/sapi/v1/custodian/walletTransferHistory",
        key,
        {**rail, "clientOrderId": "nope"},
    ).json()
    assert by_id == {"data": [], "total": 0}
    chist = signed(
        quiet_url, "GET", "/sapi/v1/custodian/custodianTransferHistory", key, rail
    ).json()
    assert chist["total"] == 1 and chist["data"][0]["expressTrade"] is False
    assert chist["data"][0]["transferId"] == partner["transferId"]

    # undoTransfer reverses a transfer from the partner (L7849), never a walletTransfer.
    def undo(origin: str) -> dict:
        path = "/sapi/v1/custodian/undoTransfer"
        return signed(quiet_url, "POST", path, key, {**rail, "originTransferId": origin}).json()

    assert undo(body["transferId"])["code"] == -1130
    undone = undo(partner["transferId"])
    assert (undone["asset"], undone["amount"]) == ("BTC", 3)
    assert balances(quiet_url, acct)["BTC"] == ("1.50000000", "0.00000000")
    assert undo(partner["transferId"])["code"] == -1130


def test_it_serves_the_credit_line_only_to_credit_line_keys(quiet_url: str) -> None:
    acct = new_account(quiet_url, {"USD": "5000", "BTC": "1"})
    key = new_key(quiet_url, acct, "credit_line")
    # A credit_line key without a credit line agreement is refused.
    assert signed(quiet_url, "GET", "/sapi/v2/cl/account", key).json() == REJECTED
    setup = admin(
        quiet_url,
        "POST",
        f"/accounts/{acct['email']}/credit-line",
        {
            "currentLTV": "0.415",
            "contractStartTime": 1676332800000,
            "availableAmountToTransferOut": "500",
            "balances": {"BNB": "14227.31994203", "USD": "948.46"},
            "loanAssets": [
                {"loanAsset": "BNB", "loanQuantity": "900000", "currentLoanQuantity": "5885.7"}
            ],
        },
    )
    assert setup.status_code == 200, setup.text
    refused = signed(quiet_url, "GET", "/sapi/v2/cl/account", acct)
    assert (refused.status_code, refused.json()) == (401, REJECTED)
    doc = signed(quiet_url, "GET", "/sapi/v2/cl/account", key).json()
    assert list(doc) == [
        "clAccountId",
        "masterAccountId",
        "notificationMailAddr",
        "currentLTV",
        "initialLTV",
        "marginCallLTV",
        "liquidationLTV",
        "interestRate",
        "liquidationFeeRate",
        "contractStartTime",
        "contractEndTime",
        "isActive",
        "canTrade",
        "canTransferIn",
        "canTransferOut",
        "requiredDepositAmount",
        "availableAmountToTransferOut",
        "loanAssets",
        "balances",
    ]
    assert doc["masterAccountId"] == acct["accountId"] != doc["clAccountId"]
    assert (doc["currentLTV"], doc["availableAmountToTransferOut"]) == ("0.415", "500")
    assert doc["loanAssets"] == [
        {
            "loanAsset": "BNB",
            "loanQuantity": "900000",
            "currentLoanQuantity": "5885.7",
            "reclaimSequence": 1,
        }
    ]
    assert doc["balances"] == [
        {"asset": "BNB", "free": "14227.31994203", "locked": "0"},
        {"asset": "USD", "free": "948.46", "locked": "0"},
    ]

    moved = signed(
        quiet_url,
        "POST",
        "/sapi/v1/cl/transfer",
        key,
        {"transferType": "TRANSFER_IN", "transferAssetType": "USD", "quantity": "51.54"},
        in_body=True,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "SUCCESS" and isinstance(moved.json()["transferId"], int)
    assert balances(quiet_url, acct)["USD"] == ("4948.46000000", "0.00000000")
    cl_usd = signed(quiet_url, "GET", "/sapi/v2/cl/account", key).json()["balances"][1]
    assert cl_usd == {"asset": "USD", "free": "1000", "locked": "0"}
    signed(
        quiet_url,
        "POST",
        "/sapi/v1/cl/transfer",
        key,
        {"transferType": "TRANSFER_OUT", "transferAssetType": "USD", "quantity": "10"},
    )
    rows = signed(quiet_url, "GET", "/sapi/v1/cl/transferHistory", key).json()
    assert [(r["transferType"], r["amount"]) for r in rows] == [
        ("TRANSFER_OUT", "10"),
        ("TRANSFER_IN", "51.54"),
    ]
    assert list(rows[0]) == [
        "transferId",
        "transferType",
        "asset",
        "amount",
        "status",
        "transferTime",
    ]
    assert rows[1]["transferId"] == str(moved.json()["transferId"])
    broke = signed(
        quiet_url,
        "POST",
        "/sapi/v1/cl/transfer",
        key,
        {"transferType": "TRANSFER_OUT", "transferAssetType": "USD", "quantity": "99999"},
    )
    assert broke.json() == {
        "code": -2010,
        "msg": "Account has insufficient balance for requested action.",
    }
    admin(quiet_url, "POST", f"/accounts/{acct['email']}/credit-line", {"canTransferOut": False})
    blocked = signed(
        quiet_url,
        "POST",
        "/sapi/v1/cl/transfer",
        key,
        {"transferType": "TRANSFER_OUT", "transferAssetType": "USD", "quantity": "1"},
    )
    assert blocked.json() == {"code": -2010, "msg": "This action is disabled on this account."}
    bad_type = signed(
        quiet_url,
        "POST",
        "/sapi/v1/cl/transfer",
        key,
        {"transferType": "SIDEWAYS", "transferAssetType": "USD", "quantity": "1"},
    )
    assert bad_type.json()["code"] == -1130


def test_it_records_credit_line_alerts(quiet_url: str) -> None:
    acct = new_account(quiet_url)
    key = new_key(quiet_url, acct, "credit_line")
    url = f"/accounts/{acct['email']}/credit-line"
    admin(quiet_url, "POST", url, {"balances": {"USD": "48.46"}})
    admin(quiet_url, "POST", url, {"alert": {"alertType": "MARGIN_CALL", "currentLTV": "0.81"}})
    admin(quiet_url, "POST", url, {"alert": {"alertType": "LIQUIDATION_CALL", "currentLTV": "9"}})
    rows = signed(quiet_url, "GET", "/sapi/v2/cl/alertHistory", key).json()
    assert [(r["alertType"], r["currentLTV"]) for r in rows] == [
        ("LIQUIDATION_CALL", "9"),
        ("MARGIN_CALL", "0.81"),
    ]
    assert list(rows[0]) == [
        "alertTime",
        "alertType",
        "currentLTV",
        "initialLTV",
        "marginCallLTV",
        "liquidationLTV",
        "totalBalance",
        "loanAssets",
        "balances",
    ]
    assert rows[0]["totalBalance"] == "48.46"
    assert rows[0]["balances"] == [{"asset": "USD", "free": "48.46", "locked": "0", "freeze": "0"}]
    only = signed(
        quiet_url, "GET", "/sapi/v2/cl/alertHistory", key, {"alertType": "MARGIN_CALL"}
    ).json()
    assert [r["alertType"] for r in only] == ["MARGIN_CALL"]
    bad = admin(quiet_url, "POST", url, {"alert": {"alertType": "PANIC"}})
    assert bad.status_code == 400
    assert admin(quiet_url, "POST", url, {"ltv": "1"}).status_code == 400
