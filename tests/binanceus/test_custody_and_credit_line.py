"""Custodial Solution and Credit Line methods against the fake, with spec example responses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

import binanceus as bu

from .helpers import assert_signed, assert_typed, sent_params
from .spec_examples import (
    CL_ACCOUNT,
    CL_ALERT_HISTORY,
    CL_TRANSFER,
    CL_TRANSFER_HISTORY,
    CUSTODIAN_BALANCE,
    CUSTODIAN_SETTLEMENT_HISTORY,
    CUSTODIAN_SETTLEMENT_SETTING,
    CUSTODIAN_SUPPORTED_ASSETS,
    CUSTODIAN_TRANSFER,
    CUSTODIAN_TRANSFER_HISTORY_TEXT,
    CUSTODIAN_UNDO_TRANSFER,
    CUSTODIAN_WALLET_TRANSFER,
    CUSTODIAN_WALLET_TRANSFER_HISTORY,
)

UNKNOWN_500 = {"code": -1000, "msg": "An unknown error occurred while processing the request."}


def test_it_reads_the_custodian_balance(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/balance", CUSTODIAN_BALANCE)
    bal = client.custodian_balance(rail="ANCHORAGE")
    (rec,) = fake.calls("GET", "/sapi/v1/custodian/balance")
    assert_signed(rec)
    assert sent_params(rec) == {"rail": "ANCHORAGE"}
    (bnb,) = bal.exchange_wallet_balance
    assert bnb.free == Decimal("0.0083686") and bnb.in_settlement == 0
    assert bnb.last_updated_time == datetime(2022, 9, 7, 7, 20, 6, tzinfo=UTC)
    btc, etht = bal.custodial_account_balance
    assert btc.total == Decimal("9.02933865")
    assert etht.in_settlement == Decimal("25.17")
    assert_typed(bal)


def test_it_reads_supported_assets(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/supportedAssetList", CUSTODIAN_SUPPORTED_ASSETS)
    assets = client.custodian_supported_assets(rail="ANCHORAGE")
    assert sent_params(fake.calls("GET", "/sapi/v1/custodian/supportedAssetList")[0]) == {
        "rail": "ANCHORAGE"
    }
    assert [(a.asset, a.precision, a.networks) for a in assets.transfer_eligible] == [
        ("BTC", 8, ("BTC",)),
        ("ETH", 8, ("ETH",)),
    ]
    assert len(assets.settlement_eligible) == 2


def test_it_posts_a_wallet_transfer_with_a_generated_client_order_id(fake, client):
    fake.reply("POST", "/sapi/v1/custodian/walletTransfer", CUSTODIAN_WALLET_TRANSFER)
    t = client.custodian_wallet_transfer(rail="ANCHORAGE", asset="BTC", amount=Decimal("1"))
    (rec,) = fake.calls("POST", "/sapi/v1/custodian/walletTransfer")
    assert_signed(rec)
    params = sent_params(rec)
    coid = params.pop("clientOrderId")
    assert len(coid) == 32
    assert params == {"rail": "ANCHORAGE", "asset": "BTC", "amount": "1"}
    assert t.transfer_id == "2022092709232937542366" and t.status == "SUCCESS"
    assert t.amount == Decimal(1) and type(t.amount) is Decimal
    assert t.create_time == datetime(2022, 9, 27, 11, 0, tzinfo=UTC)


def test_it_posts_a_custodian_transfer_with_the_callers_client_order_id(fake, client):
    fake.reply("POST", "/sapi/v1/custodian/custodianTransfer", CUSTODIAN_TRANSFER)
    t = client.custodian_transfer(
        rail="ANCHORAGE", asset="BTC", amount=Decimal("1"), client_order_id="1663752208086"
    )
    rec = fake.calls("POST", "/sapi/v1/custodian/custodianTransfer")[0]
    assert sent_params(rec)["clientOrderId"] == "1663752208086"
    assert t.status == "Transfer request received"
    assert t.custody_account_id == "custodyAccountId"


@pytest.mark.parametrize(
    ("path", "call"),
    [
        (
            "/sapi/v1/custodian/walletTransfer",
            lambda c: c.custodian_wallet_transfer(
                rail="ANCHORAGE", asset="BTC", amount=Decimal("2"), client_order_id="mine-1"
            ),
        ),
        (
            "/sapi/v1/custodian/custodianTransfer",
            lambda c: c.custodian_transfer(
                rail="ANCHORAGE", asset="BTC", amount=Decimal("2"), client_order_id="mine-1"
            ),
        ),
    ],
)
def test_it_raises_execution_unknown_carrying_the_transfers_client_order_id(
    fake, client, path, call
):
    fake.reply("POST", path, UNKNOWN_500, status=500)
    with pytest.raises(bu.ExecutionUnknown) as info:
        call(client)
    assert info.value.client_order_id == "mine-1"
    assert info.value.params["amount"] == Decimal("2")
    assert len(fake.calls("POST", path)) == 1


def test_it_raises_execution_unknown_with_the_origin_id_when_an_undo_times_out(fake, client):
    fake.fail("POST", "/sapi/v1/custodian/undoTransfer", requests.ReadTimeout("timed out"))
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.custodian_undo_transfer(rail="ANCHORAGE", origin_transfer_id="2022092709")
    assert info.value.params == {"rail": "ANCHORAGE", "originTransferId": "2022092709"}


def test_it_undoes_a_transfer(fake, client):
    fake.reply("POST", "/sapi/v1/custodian/undoTransfer", CUSTODIAN_UNDO_TRANSFER)
    undo = client.custodian_undo_transfer(rail="ANCHORAGE", origin_transfer_id="x1")
    rec = fake.calls("POST", "/sapi/v1/custodian/undoTransfer")[0]
    assert_signed(rec)
    assert sent_params(rec) == {"rail": "ANCHORAGE", "originTransferId": "x1"}
    assert undo == bu.CustodianUndoTransfer("2022092709232937542366", "BTC", Decimal(1))


def test_it_reads_both_transfer_histories_with_filters(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/walletTransferHistory", CUSTODIAN_WALLET_TRANSFER_HISTORY)
    fake.reply(
        "GET", "/sapi/v1/custodian/custodianTransferHistory", text=CUSTODIAN_TRANSFER_HISTORY_TEXT
    )
    since = datetime(2022, 9, 1, tzinfo=UTC)
    wallet = client.custodian_wallet_transfer_history(
        rail="ANCHORAGE", client_order_id="1663752208086", start_time=since, limit=5
    )
    cust = client.custodian_transfer_history(
        rail="ANCHORAGE", express_trade_transfer=False, asset="BTC", page=2
    )
    w_rec = fake.calls("GET", "/sapi/v1/custodian/walletTransferHistory")[0]
    c_rec = fake.calls("GET", "/sapi/v1/custodian/custodianTransferHistory")[0]
    assert_signed(w_rec)
    assert sent_params(w_rec) == {
        "rail": "ANCHORAGE",
        "clientOrderId": "1663752208086",
        "startTime": "1661990400000",
        "limit": "5",
    }
    assert sent_params(c_rec) == {
        "rail": "ANCHORAGE",
        "expressTradeTransfer": "false",
        "asset": "BTC",
        "page": "2",
    }
    assert wallet[0].client_order_id == "1663752208086" and wallet[0].express_trade is None
    assert cust[0].express_trade is False and cust[0].amount == Decimal(1)
    assert_typed(wallet + cust)


def test_it_reads_settlement_setting_and_history(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/settlementSetting", CUSTODIAN_SETTLEMENT_SETTING)
    fake.reply("GET", "/sapi/v1/custodian/settlementHistory", CUSTODIAN_SETTLEMENT_HISTORY)
    setting = client.custodian_settlement_setting(rail="ANCHORAGE")
    history = client.custodian_settlement_history(rail="ANCHORAGE", limit=2, page=1)
    assert setting.settlement_active and setting.frequency_in_hours == 24
    assert setting.next_trigger_time == datetime(2022, 3, 6, tzinfo=UTC)
    assert sent_params(fake.calls("GET", "/sapi/v1/custodian/settlementHistory")[0]) == {
        "rail": "ANCHORAGE",
        "limit": "2",
        "page": "1",
    }
    first, second = history
    assert first.status == "PROCESS" and first.settlement_id.startswith("1a22")
    (asset,) = first.settlement_assets
    assert asset.amount == Decimal(10) and asset.network == "ETH"
    assert second.settlement_assets == []
    assert_typed(history)


def test_it_reads_the_credit_line_account(fake, client):
    fake.reply("GET", "/sapi/v2/cl/account", CL_ACCOUNT)
    cl = client.credit_line_account()
    assert_signed(fake.calls("GET", "/sapi/v2/cl/account")[0])
    assert cl.cl_account_id == 351010000 and cl.master_account_id == 351010001
    assert cl.current_ltv == Decimal("0.415") and cl.liquidation_ltv == Decimal("0.54")
    assert cl.available_amount_to_transfer_out == Decimal(500)
    assert cl.contract_start_time == datetime(2023, 2, 14, tzinfo=UTC)
    (loan,) = cl.loan_assets
    assert loan.current_loan_quantity == Decimal("5885.70162259") and loan.reclaim_sequence == 1
    assert cl.is_active and cl.can_transfer_in and cl.can_transfer_out
    assert_typed(cl)


def test_it_reads_credit_line_alerts_and_transfers(fake, client):
    fake.reply("GET", "/sapi/v2/cl/alertHistory", CL_ALERT_HISTORY)
    fake.reply("GET", "/sapi/v1/cl/transferHistory", CL_TRANSFER_HISTORY)
    alerts = client.credit_line_alert_history(alert_type="LIQUIDATION_CALL", limit=10)
    transfers = client.credit_line_transfer_history(transfer_type="TRANSFER_IN", asset="USD")
    assert sent_params(fake.calls("GET", "/sapi/v2/cl/alertHistory")[0]) == {
        "limit": "10",
        "alertType": "LIQUIDATION_CALL",
    }
    assert sent_params(fake.calls("GET", "/sapi/v1/cl/transferHistory")[0]) == {
        "transferType": "TRANSFER_IN",
        "asset": "USD",
    }
    (alert,) = alerts
    assert alert.alert_type == "LIQUIDATION_CALL" and alert.current_ltv == Decimal(9)
    assert alert.total_balance == Decimal("3710355.24038655")
    assert alert.balances[0].freeze == Decimal(0)
    assert [t.transfer_id for t in transfers] == ["t11119", "t11117"]
    assert transfers[0].amount == Decimal(10)
    assert transfers[0].transfer_time == datetime(2023, 2, 21, 5, 46, 43, 384000, tzinfo=UTC)
    assert_typed(alerts + transfers)


def test_it_posts_a_credit_line_transfer(fake, client):
    fake.reply("POST", "/sapi/v1/cl/transfer", CL_TRANSFER)
    t = client.credit_line_transfer(
        transfer_type="TRANSFER_IN", transfer_asset_type="USD", quantity=Decimal("10.5")
    )
    rec = fake.calls("POST", "/sapi/v1/cl/transfer")[0]
    assert_signed(rec)
    assert sent_params(rec) == {
        "transferType": "TRANSFER_IN",
        "transferAssetType": "USD",
        "quantity": "10.5",
    }
    assert t == bu.CreditLineTransfer(transfer_id="1331391", status="SUCCESS")


def test_it_raises_execution_unknown_with_params_for_a_credit_line_transfer(fake, client):
    fake.reply("POST", "/sapi/v1/cl/transfer", UNKNOWN_500, status=502)
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.credit_line_transfer(
            transfer_type="TRANSFER_OUT", transfer_asset_type="BTC", quantity=Decimal("0.5")
        )
    assert info.value.params == {
        "transferType": "TRANSFER_OUT",
        "transferAssetType": "BTC",
        "quantity": Decimal("0.5"),
    }


def test_it_types_every_field_the_spec_shows_on_the_credit_line_account(fake, client):
    fake.reply("GET", "/sapi/v2/cl/account", CL_ACCOUNT)
    cl = client.credit_line_account()
    expected = {  # one entry per key of the spec's example (L9365-9403)
        "cl_account_id": 351010000,
        "master_account_id": 351010001,
        "notification_mail_addr": "email@binance.us",
        "current_ltv": Decimal("0.415"),
        "initial_ltv": Decimal("0.62"),
        "margin_call_ltv": Decimal("0.8"),
        "liquidation_ltv": Decimal("0.54"),
        "interest_rate": Decimal("0.01"),
        "liquidation_fee_rate": Decimal("0.02"),
        "contract_start_time": datetime(2023, 2, 14, tzinfo=UTC),
        "contract_end_time": datetime(2023, 3, 31, 0, 0, 2, tzinfo=UTC),
        "is_active": True,
        "can_trade": True,
        "can_transfer_in": True,
        "can_transfer_out": True,
        "required_deposit_amount": Decimal(0),
        "available_amount_to_transfer_out": Decimal(500),
        "loan_assets": [bu.LoanAsset("BNB", Decimal(900000), Decimal("5885.70162259"), 1)],
        "balances": [
            bu.Balance(asset="BNB", free=Decimal("14227.31994203"), locked=Decimal(0)),
            bu.Balance(asset="USD", free=Decimal("948.46"), locked=Decimal(0)),
        ],
    }
    assert len(expected) == len(CL_ACCOUNT)
    assert {name: getattr(cl, name) for name in expected} == expected
    assert all(type(getattr(cl, n)) is Decimal for n, v in expected.items() if type(v) is Decimal)


@pytest.mark.parametrize("transfer_id", [1331391, "1331391"])
def test_it_reads_a_credit_line_transfer_id_as_text_in_either_spelling(transfer_id):
    # A number in the transfer answer (L9721), text in the history (L9618): the ids compare.
    row = {**CL_TRANSFER_HISTORY[0], "transferId": transfer_id}
    answer = bu.CreditLineTransfer.from_api({**CL_TRANSFER, "transferId": transfer_id})
    record = bu.CreditLineTransferRecord.from_api(row)
    assert answer.transfer_id == record.transfer_id == "1331391"


def test_it_signs_the_settlement_history_though_the_spec_lists_no_timestamp(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/settlementHistory", CUSTODIAN_SETTLEMENT_HISTORY)
    client.custodian_settlement_history(rail="ANCHORAGE")
    assert_signed(fake.calls("GET", "/sapi/v1/custodian/settlementHistory")[0])


@pytest.mark.parametrize(("sent", "read"), [("FALSE", False), ("TRUE", True), (False, False)])
def test_it_reads_express_trade_spelled_as_the_spec_spells_it(sent, read):
    row = {"transferId": "1", "asset": "BTC", "amount": 1, "expressTrade": sent}
    assert bu.CustodianTransferRecord.from_api(row).express_trade is read


def test_it_reads_upper_case_literals_but_not_inside_strings(fake, client):
    fake.reply(
        "GET",
        "/sapi/v1/custodian/walletTransferHistory",
        text='{"data": [{"transferId": "FALSE", "clientOrderId": "TRUE x", "asset": "BTC",'
        ' "amount": "1", "status": "SUCCESS", "expressTrade": TRUE}], "total": 1}',
    )
    (row,) = client.custodian_wallet_transfer_history(rail="ANCHORAGE")
    assert (row.transfer_id, row.client_order_id, row.express_trade) == ("FALSE", "TRUE x", True)


def test_an_answer_that_is_not_json_at_all_is_still_refused(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/walletTransferHistory", text="{data: FALSE")
    with pytest.raises(bu.InvalidResponse):
        client.custodian_wallet_transfer_history(rail="ANCHORAGE")
