"""Sub-account methods against the in-process fake, fed the spec's example responses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

import binanceus as bu

from .fakes import make_client
from .helpers import assert_signed, assert_typed, sent_params
from .spec_examples import (
    SUB_ACCOUNT_ASSETS,
    SUB_ACCOUNT_DEPOSIT_ADDRESS,
    SUB_ACCOUNT_DEPOSIT_HISTORY,
    SUB_ACCOUNT_LIST,
    SUB_ACCOUNT_SPOT_SUMMARY,
    SUB_ACCOUNT_STATUS,
    SUB_ACCOUNT_TRANSFER,
    SUB_ACCOUNT_TRANSFER_HISTORY,
)

TRANSFER = "/sapi/v3/sub-account/transfer"


def test_it_lists_sub_accounts_with_filters_on_a_signed_get(fake, client):
    fake.reply("GET", "/sapi/v3/sub-account/list", SUB_ACCOUNT_LIST)
    subs = client.sub_accounts(email="123@test.com", status="enabled", page=1, limit=10)
    (rec,) = fake.calls("GET", "/sapi/v3/sub-account/list")
    assert_signed(rec)
    assert rec.body == ""
    assert sent_params(rec) == {
        "email": "123@test.com",
        "status": "enabled",
        "page": "1",
        "limit": "10",
    }
    assert [s.email for s in subs] == ["123@test.com", "321@test.com"]
    first = subs[0]
    assert first.enabled and not subs[1].enabled
    assert first.activated is True and first.g_auth is True and first.mobile == "91605290"
    assert first.create_time == datetime(2018, 12, 10, 9, 15, 28, tzinfo=UTC)
    assert_typed(subs)


def test_it_sends_no_optional_filters_when_none_are_given(fake, client):
    fake.reply("GET", "/sapi/v3/sub-account/list", {"success": True, "subAccounts": []})
    assert client.sub_accounts() == []
    (rec,) = fake.calls("GET", "/sapi/v3/sub-account/list")
    assert sent_params(rec) == {}


def test_it_reads_sub_account_status_list(fake, client):
    fake.reply("GET", "/sapi/v1/sub-account/status", SUB_ACCOUNT_STATUS)
    rows = client.sub_account_status(email="test001@123.com")
    (rec,) = fake.calls("GET", "/sapi/v1/sub-account/status")
    assert_signed(rec)
    assert sent_params(rec) == {"email": "test001@123.com"}
    assert [r.email for r in rows] == ["test001@123.com", "test002@123.com"]
    assert rows[0].is_user_active and rows[0].is_margin_enabled
    assert not rows[0].is_sub_user_enabled and rows[1].is_sub_user_enabled
    assert rows[0].insert_time == datetime(2022, 5, 19, 7, 18, 41, 676000, tzinfo=UTC)
    assert_typed(rows)


def test_it_reads_sub_account_assets_as_decimals_despite_the_capitalised_keys(fake, client):
    fake.reply("GET", "/sapi/v3/sub-account/assets", SUB_ACCOUNT_ASSETS)
    assets = client.sub_account_assets(email="ios@mt.com")
    (rec,) = fake.calls("GET", "/sapi/v3/sub-account/assets")
    assert_signed(rec)
    assert sent_params(rec) == {"email": "ios@mt.com"}
    assert [b.asset for b in assets.balances] == ["BTC", "BNB", "ETH", "LTC", "USDT"]
    assert assets.balance("BTC").free == Decimal(0)
    assert assets.balance("BNB").free == Decimal(98)
    assert type(assets.balance("BNB").free) is Decimal
    assert assets.balance("DOGE").total == 0
    assert_typed(assets)


def test_it_reads_the_master_accounts_total_usd_value(fake, client):
    fake.reply("GET", "/sapi/v1/sub-account/spotSummary", SUB_ACCOUNT_SPOT_SUMMARY)
    summary = client.sub_account_spot_summary()
    (rec,) = fake.calls("GET", "/sapi/v1/sub-account/spotSummary")
    assert_signed(rec)
    assert sent_params(rec) == {}
    assert summary.master_account_total_asset == Decimal(401)
    assert type(summary.master_account_total_asset) is Decimal
    assert summary.total_count == 2
    assert [(s.email, s.total_asset) for s in summary.sub_accounts] == [
        ("test001@123.com", Decimal(201)),
        ("test002@123.com", Decimal(200)),
    ]
    fake.reply("GET", "/sapi/v1/sub-account/spotSummary", SUB_ACCOUNT_SPOT_SUMMARY)
    client.sub_account_spot_summary(email="test001@123.com", page=2, size=5)
    assert sent_params(fake.calls("GET", "/sapi/v1/sub-account/spotSummary")[1]) == {
        "email": "test001@123.com",
        "page": "2",
        "size": "5",
    }


def test_it_posts_a_signed_transfer_with_the_specs_param_names(fake, client):
    fake.reply("POST", TRANSFER, SUB_ACCOUNT_TRANSFER)
    result = client.sub_account_transfer(
        from_email="master@x.test", to_email="sub@x.test", asset="BTC", amount=Decimal("0.10")
    )
    (rec,) = fake.calls("POST", TRANSFER)
    assert_signed(rec)
    assert rec.query == "" and rec.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent_params(rec) == {
        "fromEmail": "master@x.test",
        "toEmail": "sub@x.test",
        "asset": "BTC",
        "amount": "0.10",
    }
    assert result == bu.SubAccountTransfer(txn_id="2966662589", success=True, msg="Success")


@pytest.mark.parametrize("amount", [Decimal(0), Decimal("-1"), Decimal("NaN")])
def test_it_refuses_a_non_positive_transfer_amount_without_sending(fake, client, amount):
    with pytest.raises(ValueError, match="positive"):
        client.sub_account_transfer(from_email="a", to_email="b", asset="BTC", amount=amount)
    assert fake.calls("POST", TRANSFER) == []


def test_it_refuses_a_float_amount(fake, client):
    with pytest.raises(TypeError, match="Decimal"):
        client.sub_account_transfer(from_email="a", to_email="b", asset="BTC", amount=0.1)
    assert fake.calls("POST", TRANSFER) == []


def test_it_raises_execution_unknown_with_params_on_a_500_transfer(fake):
    client = make_client(fake)
    fake.reply(
        "POST",
        TRANSFER,
        {"code": -1000, "msg": "An unknown error occurred while processing the request."},
        status=500,
    )
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.sub_account_transfer(
            from_email="m@x.test", to_email="s@x.test", asset="USD", amount=Decimal("25.5")
        )
    err = info.value
    assert err.endpoint == "POST /sapi/v3/sub-account/transfer"
    assert err.status == 500 and err.code == -1000
    assert err.client_order_id is None
    assert err.params == {
        "fromEmail": "m@x.test",
        "toEmail": "s@x.test",
        "asset": "USD",
        "amount": Decimal("25.5"),
    }
    assert "timestamp" not in err.params and "signature" not in err.params
    assert len(fake.calls("POST", TRANSFER)) == 1  # never retried


def test_it_raises_execution_unknown_with_params_on_a_transfer_timeout(fake):
    client = make_client(fake)
    fake.fail("POST", TRANSFER, requests.ReadTimeout("read timed out"))
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.sub_account_transfer(
            from_email="m@x.test", to_email="s@x.test", asset="BTC", amount=Decimal("1")
        )
    assert info.value.params["toEmail"] == "s@x.test"
    assert info.value.params["amount"] == Decimal("1")
    assert info.value.status is None
    assert len(fake.calls("POST", TRANSFER)) == 1


def test_it_raises_service_unavailable_on_the_documented_503_and_does_not_retry(fake):
    client = make_client(fake)
    fake.reply("POST", TRANSFER, text="Service Unavailable.", status=503)
    fake.reply("POST", TRANSFER, SUB_ACCOUNT_TRANSFER)
    with pytest.raises(bu.ServiceUnavailable) as info:
        client.sub_account_transfer(
            from_email="m@x.test", to_email="s@x.test", asset="BTC", amount=Decimal("1")
        )
    assert not isinstance(info.value, bu.ExecutionUnknown)
    assert info.value.status == 503
    assert len(fake.calls("POST", TRANSFER)) == 1


def test_it_treats_an_unknown_503_on_a_transfer_as_execution_unknown(fake, client):
    fake.reply(
        "POST",
        TRANSFER,
        {"code": -1000, "msg": "Unknown error, please check your request or try again later."},
        status=503,
    )
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.sub_account_transfer(
            from_email="m@x.test", to_email="s@x.test", asset="BTC", amount=Decimal("1")
        )
    assert info.value.params["fromEmail"] == "m@x.test"


def test_it_reads_transfer_history_with_second_resolution_times(fake, client):
    fake.reply("GET", "/sapi/v3/sub-account/transfer/history", SUB_ACCOUNT_TRANSFER_HISTORY)
    start = datetime(2021, 11, 1, tzinfo=UTC)
    end = datetime(2021, 12, 1, tzinfo=UTC)
    rows = client.sub_account_transfer_history(
        email="aa.email.com", start_time=start, end_time=end, page=1, limit=50
    )
    (rec,) = fake.calls("GET", "/sapi/v3/sub-account/transfer/history")
    assert_signed(rec)
    assert sent_params(rec) == {
        "email": "aa.email.com",
        "startTime": "1635724800000",
        "endTime": "1638316800000",
        "page": "1",
        "limit": "50",
    }
    (row,) = rows
    assert (row.from_email, row.to_email, row.asset) == ("aa.email.com", "bb.email.com", "BNB")
    assert row.qty == Decimal(10) and type(row.qty) is Decimal
    assert row.time == datetime(2021, 11, 24, 21, 28, 19, tzinfo=UTC)
    assert row.txn_id is None and row.status is None
    assert_typed(rows)


def test_it_reads_txn_id_status_and_millisecond_times_when_present(fake, client):
    body = {
        "success": True,
        "transfers": [
            {
                "txnId": 77,
                "from": "m@x",
                "to": "s@x",
                "asset": "USD",
                "qty": "1.25",
                "time": 1700000000123,
                "status": "SUCCESS",
            }
        ],
    }
    fake.reply("GET", "/sapi/v3/sub-account/transfer/history", body)
    (row,) = client.sub_account_transfer_history()
    assert row.txn_id == "77" and row.status == "SUCCESS"
    assert row.time == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)


def test_it_rejects_naive_datetimes_for_history_filters(fake, client):
    with pytest.raises(ValueError, match="naive"):
        client.sub_account_transfer_history(start_time=datetime(2021, 1, 1))


def test_it_reads_a_sub_accounts_deposit_address_and_history(fake, client):
    fake.reply("GET", "/sapi/v1/capital/sub-account/deposit/address", SUB_ACCOUNT_DEPOSIT_ADDRESS)
    fake.reply("GET", "/sapi/v1/capital/sub-account/deposit/history", SUB_ACCOUNT_DEPOSIT_HISTORY)
    addr = client.sub_account_deposit_address(email="ios@mt.com", coin="BNB", network="BSC")
    hist = client.sub_account_deposit_history(
        email="ios@mt.com", coin="BTC", status=1, limit=10, offset=0
    )
    a_rec = fake.calls("GET", "/sapi/v1/capital/sub-account/deposit/address")[0]
    h_rec = fake.calls("GET", "/sapi/v1/capital/sub-account/deposit/history")[0]
    assert_signed(a_rec)
    assert_signed(h_rec)
    assert sent_params(a_rec) == {"email": "ios@mt.com", "coin": "BNB", "network": "BSC"}
    assert sent_params(h_rec) == {
        "email": "ios@mt.com",
        "coin": "BTC",
        "status": "1",
        "limit": "10",
        "offset": "0",
    }
    assert addr.address == "0xf79b6274f18425441b8f05c0a711d171c0fe119f" and addr.tag == ""
    (dep,) = hist
    assert dep.amount == Decimal("9.9749") and type(dep.amount) is Decimal
    assert dep.status == 4 and dep.transfer_type == 0 and dep.confirm_times == "0/0"
    assert dep.insert_time == datetime(2022, 5, 19, 6, 40, 29, 211000, tzinfo=UTC)
    assert_typed(hist)
