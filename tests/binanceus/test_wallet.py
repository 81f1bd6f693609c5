"""Wallet methods against the in-process fake, fed the spec's example responses."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests

import binanceus as bu

from .helpers import assert_signed, assert_typed, sent_params
from .wallet_staking_examples import (
    COIN_CONFIG,
    DEPOSIT_ADDRESS,
    DEPOSIT_HISTORY,
    FIAT_DEPOSIT_HISTORY,
    FIAT_WITHDRAW,
    FIAT_WITHDRAW_HISTORY,
    WITHDRAW,
    WITHDRAW_HISTORY,
)

WITHDRAW_PATH = "/sapi/v1/capital/withdraw/apply"
FIAT_WITHDRAW_PATH = "/sapi/v1/fiatpayment/withdraw/apply"
ADDRESS = "0xd709f9d0bbc6b0e746a13142dfe353086edf87c2"
UNKNOWN_500 = {"code": -1000, "msg": "An unknown error occurred while processing the request."}


def test_the_wallet_area_is_typed_whole_by_the_wallet_methods():
    wallet = {k for k, ep in bu.ENDPOINTS.items() if ep.area == "wallet"}
    assert len(wallet) == 10
    modeled = bu.coverage().modeled
    assert wallet <= set(modeled)
    assert all(getattr(bu.Client, modeled[k][0]).__endpoint__ == k for k in wallet)
    assert {bu.ENDPOINTS[k].weight for k in wallet} == {1}
    assert {bu.ENDPOINTS[k].security for k in wallet} == {"SIGNED"}


def test_it_reads_every_coins_flags_balances_and_networks(fake, client):
    fake.reply("GET", "/sapi/v1/capital/config/getall", COIN_CONFIG)
    coins = client.coin_config()
    (rec,) = fake.calls("GET", "/sapi/v1/capital/config/getall")
    assert_signed(rec)
    assert sent_params(rec) == {}
    assert [c.coin for c in coins] == ["BCH", "PAX"]
    bch, pax = coins
    assert bch.deposit_all_enable and bch.withdraw_all_enable and bch.trading
    assert not pax.trading and not bch.is_legal_money
    assert bch.free == 0 and type(bch.withdrawing) is Decimal and type(bch.freeze) is Decimal
    assert [n.network for n in bch.networks] == ["BCH", "BNB", "BSC"]
    default = bch.network()
    assert default is not None and default.network == "BCH" and default.name == "Bitcoin Cash"
    assert default.withdraw_integer_multiple == Decimal("0.00000001")
    assert type(default.withdraw_max) is Decimal and default.withdraw_max == Decimal(9999999)
    assert default.address_regex == "" and default.min_confirm is None
    bnb = bch.network("bnb")
    assert bnb is not None and bnb.address_regex == "^(bnb1)[0-9a-z]{38}$"
    assert bnb.memo_regex == "^[0-9A-Za-z\\-_]{1,120}$"
    assert (bnb.min_confirm, bnb.un_lock_confirm) == (15, 3)
    assert bch.network("ERC20") is None and pax.network() is None
    assert pax.networks[0].withdraw_integer_multiple == 0
    assert_typed(coins)


def test_it_posts_a_withdrawal_with_the_specs_names_and_the_callers_order_id(fake, client):
    fake.reply("POST", WITHDRAW_PATH, WITHDRAW)
    result = client.withdraw(
        coin="XRP",
        network="XRP",
        address="rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh",
        address_tag="12345",
        amount=Decimal("25.500"),
        withdraw_order_id="intent-42",
    )
    (rec,) = fake.calls("POST", WITHDRAW_PATH)
    assert_signed(rec)
    assert rec.query == "" and rec.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent_params(rec) == {
        "coin": "XRP",
        "network": "XRP",
        "withdrawOrderId": "intent-42",
        "address": "rEb8TK3gBgk5auZkwc6sHnwrGVJH8DuaLh",
        "addressTag": "12345",
        "amount": "25.500",
    }
    assert result == bu.Withdrawal(
        id="4e7f4f31560041ee880b5386f06d4053", withdraw_order_id="intent-42"
    )


def test_it_generates_a_withdraw_order_id_and_leaves_out_an_absent_tag(fake, client):
    fake.reply("POST", WITHDRAW_PATH, WITHDRAW)
    result = client.withdraw(coin="BNB", network="BSC", address=ADDRESS, amount=Decimal(1))
    params = sent_params(fake.calls("POST", WITHDRAW_PATH)[0])
    assert "addressTag" not in params
    assert re.fullmatch(r"[0-9a-f]{32}", params["withdrawOrderId"])
    assert result.withdraw_order_id == params["withdrawOrderId"]


@pytest.mark.parametrize("amount", [Decimal(0), Decimal("-0.1"), Decimal("Infinity")])
def test_it_refuses_a_non_positive_withdrawal_without_sending(fake, client, amount):
    with pytest.raises(ValueError, match="positive"):
        client.withdraw(coin="BNB", network="BSC", address=ADDRESS, amount=amount)
    with pytest.raises(TypeError, match="Decimal"):
        client.withdraw(coin="BNB", network="BSC", address=ADDRESS, amount=0.5)
    assert fake.calls("POST", WITHDRAW_PATH) == []


def test_a_500_on_withdraw_is_execution_unknown_with_the_order_id_and_not_resent(fake, client):
    fake.reply("POST", WITHDRAW_PATH, UNKNOWN_500, status=500)
    fake.reply("POST", WITHDRAW_PATH, WITHDRAW)
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.withdraw(
            coin="BNB",
            network="BSC",
            address=ADDRESS,
            amount=Decimal("0.9"),
            withdraw_order_id="intent-7",
        )
    err = info.value
    assert err.endpoint == "POST /sapi/v1/capital/withdraw/apply"
    assert (err.status, err.code) == (500, -1000)
    assert err.client_order_id == "intent-7"
    assert err.params == {
        "coin": "BNB",
        "network": "BSC",
        "withdrawOrderId": "intent-7",
        "address": ADDRESS,
        "amount": Decimal("0.9"),
    }
    assert len(fake.calls("POST", WITHDRAW_PATH)) == 1


def test_a_withdraw_timeout_is_execution_unknown(fake, client):
    fake.fail("POST", WITHDRAW_PATH, requests.ReadTimeout("read timed out"))
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.withdraw(
            coin="BNB", network="BSC", address=ADDRESS, amount=Decimal(1), withdraw_order_id="w1"
        )
    assert info.value.status is None and info.value.client_order_id == "w1"
    assert len(fake.calls("POST", WITHDRAW_PATH)) == 1


def test_the_documented_503_on_withdraw_is_not_executed_and_not_resent(fake, client):
    fake.reply("POST", WITHDRAW_PATH, text="Service Unavailable.", status=503)
    fake.reply("POST", WITHDRAW_PATH, WITHDRAW)
    with pytest.raises(bu.ServiceUnavailable) as info:
        client.withdraw(coin="BNB", network="BSC", address=ADDRESS, amount=Decimal(1))
    assert not isinstance(info.value, bu.ExecutionUnknown)
    assert len(fake.calls("POST", WITHDRAW_PATH)) == 1


def test_a_rejected_withdrawal_raises_the_typed_api_error(fake, client):
    fake.reply(
        "POST",
        WITHDRAW_PATH,
        {"code": -2010, "msg": "Account has insufficient balance for requested action."},
        status=400,
    )
    with pytest.raises(bu.InsufficientBalance) as info:
        client.withdraw(coin="BNB", network="BSC", address=ADDRESS, amount=Decimal(9))
    assert info.value.code == -2010


def test_it_reads_withdraw_history_with_a_date_string_apply_time_as_utc(fake, client):
    fake.reply("GET", "/sapi/v1/capital/withdraw/history", WITHDRAW_HISTORY)
    start = datetime(2022, 2, 1, tzinfo=UTC)
    rows = client.withdraw_history(
        coin="BNB",
        withdraw_order_id="intent-7",
        status=2,
        start_time=start,
        end_time=start + timedelta(days=30),
        offset=0,
        limit=1000,
    )
    (rec,) = fake.calls("GET", "/sapi/v1/capital/withdraw/history")
    assert_signed(rec)
    assert sent_params(rec) == {
        "coin": "BNB",
        "withdrawOrderId": "intent-7",
        "status": "2",
        "startTime": "1643673600000",
        "endTime": "1646265600000",
        "offset": "0",
        "limit": "1000",
    }
    (row,) = rows
    assert row.id == "4e7f4f31560041ee880b5386f06d4053"
    assert row.amount == Decimal("0.9") and type(row.amount) is Decimal
    assert row.transaction_fee == Decimal("0.1") and type(row.transaction_fee) is Decimal
    assert (row.coin, row.network, row.address) == ("BNB", "BSC", ADDRESS)
    assert row.status == 2 and row.status_text == "awaiting approval"
    assert row.apply_time == datetime(2022, 2, 18, 3, 36, 4, tzinfo=UTC)
    assert row.transfer_type == 0
    assert row.withdraw_order_id is None and row.tx_id is None and row.address_tag is None
    assert row.raw["applyTime"] == "2022-02-18 03:36:04"
    assert_typed(rows)


def test_it_reads_withdraw_order_id_tx_id_and_a_millisecond_apply_time_when_sent(fake, client):
    row = {
        **WITHDRAW_HISTORY[0],
        "applyTime": 1645155364000,
        "status": 6,
        "withdrawOrderId": "intent-7",
        "txId": "0xabc",
    }
    fake.reply("GET", "/sapi/v1/capital/withdraw/history", [row])
    (rec,) = client.withdraw_history(coin="BNB")
    assert sent_params(fake.calls("GET", "/sapi/v1/capital/withdraw/history")[0]) == {"coin": "BNB"}
    assert rec.apply_time == datetime(2022, 2, 18, 3, 36, 4, tzinfo=UTC)
    assert (rec.withdraw_order_id, rec.tx_id, rec.status_text) == ("intent-7", "0xabc", "completed")


def test_it_posts_a_fiat_withdrawal_via_bitgo_by_default(fake, client):
    fake.reply("POST", FIAT_WITHDRAW_PATH, FIAT_WITHDRAW)
    result = client.fiat_withdraw(payment_account="acct-1", amount=Decimal("100.00"))
    (rec,) = fake.calls("POST", FIAT_WITHDRAW_PATH)
    assert_signed(rec)
    assert rec.query == ""
    assert sent_params(rec) == {
        "paymentMethod": "BITGO",
        "paymentAccount": "acct-1",
        "amount": "100.00",
    }
    assert result.order_id == "6c2ff984890145fdac2b7160299062f0"
    assert (result.channel_code, result.currency_code, result.order_status) == (
        "BITGO",
        "USD",
        "INIT",
    )
    assert result.amount == Decimal(100) and type(result.amount) is Decimal
    fake.reply("POST", FIAT_WITHDRAW_PATH, FIAT_WITHDRAW)
    client.fiat_withdraw(
        payment_account="acct-1", amount=Decimal(5), payment_method="WIRE", fiat_currency="USD"
    )
    assert sent_params(fake.calls("POST", FIAT_WITHDRAW_PATH)[1]) == {
        "paymentMethod": "WIRE",
        "paymentAccount": "acct-1",
        "fiatCurrency": "USD",
        "amount": "5",
    }


def test_a_500_on_fiat_withdraw_is_execution_unknown_with_params(fake, client):
    fake.reply("POST", FIAT_WITHDRAW_PATH, UNKNOWN_500, status=500)
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.fiat_withdraw(payment_account="acct-1", amount=Decimal("12.5"))
    assert info.value.client_order_id is None
    assert info.value.params == {
        "paymentMethod": "BITGO",
        "paymentAccount": "acct-1",
        "amount": Decimal("12.5"),
    }
    assert len(fake.calls("POST", FIAT_WITHDRAW_PATH)) == 1


@pytest.mark.parametrize(
    ("method", "path", "example"),
    [
        (
            "fiat_withdraw_history",
            "/sapi/v1/fiatpayment/query/withdraw/history",
            FIAT_WITHDRAW_HISTORY,
        ),
        (
            "fiat_deposit_history",
            "/sapi/v1/fiatpayment/query/deposit/history",
            FIAT_DEPOSIT_HISTORY,
        ),
    ],
)
def test_it_reads_fiat_histories_from_their_record_list(fake, client, method, path, example):
    fake.reply("GET", path, example)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    rows = getattr(client, method)(
        fiat_currency="USD",
        order_id="o1",
        offset=0,
        payment_channel="PRIMETRUST",
        payment_method="WIRE_INTERNATIONAL",
        start_time=start,
        end_time=start + timedelta(days=89),
    )
    (rec,) = fake.calls("GET", path)
    assert_signed(rec)
    assert sent_params(rec) == {
        "fiatCurrency": "USD",
        "orderId": "o1",
        "offset": "0",
        "paymentChannel": "PRIMETRUST",
        "paymentMethod": "WIRE_INTERNATIONAL",
        "startTime": "1672531200000",
        "endTime": "1680220800000",
    }
    (row,) = rows
    wire_row = example["assetLogRecordList"][0]
    assert row.order_id == wire_row["orderId"] and row.order_status == wire_row["orderStatus"]
    assert row.amount == Decimal(wire_row["amount"]) and type(row.amount) is Decimal
    assert row.transaction_fee == Decimal(wire_row["transactionFee"])
    assert row.platform_fee == 0 and type(row.platform_fee) is Decimal
    assert row.payment_channel == wire_row["paymentChannel"]
    assert row.fiat_currency == wire_row.get("fiatCurrency")
    assert_typed(rows)


def test_the_fiat_histories_decode_the_spec_values():
    w = bu.FiatTransferRecord.from_api(FIAT_WITHDRAW_HISTORY["assetLogRecordList"][0])
    assert (w.amount, w.transaction_fee, w.order_status) == (Decimal(65), Decimal(20), "Processing")
    d = bu.FiatTransferRecord.from_api(FIAT_DEPOSIT_HISTORY["assetLogRecordList"][0])
    assert (d.amount, d.transaction_fee, d.fiat_currency) == (
        Decimal("0.99"),
        Decimal("0.01"),
        "USD",
    )
    assert d.order_status == "Successful" and d.payment_method == "ACH"


@pytest.mark.parametrize("days", [0, -1, 90, 120])
def test_it_refuses_a_fiat_history_window_outside_0_to_90_days_without_sending(fake, client, days):
    start = datetime(2023, 1, 1, tzinfo=UTC)
    for method in (client.fiat_withdraw_history, client.fiat_deposit_history):
        with pytest.raises(ValueError, match="90 days"):
            method(start_time=start, end_time=start + timedelta(days=days))
    assert fake.requests == []


def test_it_sends_a_one_sided_fiat_window_and_no_filters_when_none_are_given(fake, client):
    path = "/sapi/v1/fiatpayment/query/deposit/history"
    fake.reply("GET", path, {"assetLogRecordList": []})
    fake.reply("GET", path, {})
    assert client.fiat_deposit_history() == []
    assert client.fiat_deposit_history(start_time=datetime(2020, 1, 1, tzinfo=UTC)) == []
    first, second = fake.calls("GET", path)
    assert sent_params(first) == {} and sent_params(second) == {"startTime": "1577836800000"}


def test_it_reads_the_deposit_address(fake, client):
    fake.reply("GET", "/sapi/v1/capital/deposit/address", DEPOSIT_ADDRESS)
    addr = client.deposit_address(coin="BNB", network="BSC")
    (rec,) = fake.calls("GET", "/sapi/v1/capital/deposit/address")
    assert_signed(rec)
    assert sent_params(rec) == {"coin": "BNB", "network": "BSC"}
    assert addr == bu.DepositAddress(
        coin="BNB",
        address="0xcf1988d27e402086941284313b632466fdf28a22",
        tag="",
        url="0xcf1988d27e402086941284313b632466fdf28a22",
    )
    fake.reply("GET", "/sapi/v1/capital/deposit/address", {"coin": "XRP", "address": "r1"})
    assert client.deposit_address(coin="XRP").tag == ""
    assert sent_params(fake.calls("GET", "/sapi/v1/capital/deposit/address")[1]) == {"coin": "XRP"}


def test_it_reads_deposit_history(fake, client):
    fake.reply("GET", "/sapi/v1/capital/deposit/hisrec", DEPOSIT_HISTORY)
    rows = client.deposit_history(
        coin="BNB",
        status=1,
        start_time=datetime(2021, 11, 1, tzinfo=UTC),
        end_time=datetime(2021, 12, 31, tzinfo=UTC),
        offset=0,
        limit=50,
    )
    (rec,) = fake.calls("GET", "/sapi/v1/capital/deposit/hisrec")
    assert_signed(rec)
    assert sent_params(rec) == {
        "coin": "BNB",
        "status": "1",
        "startTime": "1635724800000",
        "endTime": "1640908800000",
        "offset": "0",
        "limit": "50",
    }
    (dep,) = rows
    assert dep.amount == Decimal("8.73234") and type(dep.amount) is Decimal
    assert dep.status == 1 and dep.status_text == "success"
    assert dep.insert_time == datetime(2021, 12, 1, 7, 5, 48, tzinfo=UTC)
    assert dep.tx_id.startswith("0xa9ebf3f4") and dep.address_tag == ""
    assert (dep.network, dep.transfer_type, dep.confirm_times) == ("BSC", 0, "0/0")
    assert bu.Deposit.from_api({**DEPOSIT_HISTORY[0], "status": 4}).status_text == "unknown (4)"
    assert_typed(rows)


def test_history_filters_refuse_naive_datetimes(fake, client):
    with pytest.raises(ValueError, match="naive"):
        client.deposit_history(coin="BNB", start_time=datetime(2021, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        client.fiat_withdraw_history(start_time=datetime(2021, 1, 1), end_time=datetime(2021, 1, 2))
    assert fake.requests == []
