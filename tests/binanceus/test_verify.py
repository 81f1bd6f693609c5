"""Client.verify(key_type): which endpoints it calls and what it reports (fake exchange)."""

from __future__ import annotations

from decimal import Decimal

import pytest

import binanceus as bu

from .helpers import assert_signed, assert_typed, sent_params
from .spec_examples import (
    ACCOUNT,
    ACCOUNT_STATUS,
    API_TRADING_STATUS_TEXT,
    CL_ACCOUNT,
    CUSTODIAN_BALANCE,
)

REJECTED = {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}


def paths(fake) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests if r.path != "/api/v3/time"]


def test_it_verifies_an_exchange_key_with_account_status_and_trading_status(fake, client):
    fake.reply("GET", "/api/v3/account", ACCOUNT)
    fake.reply("GET", "/sapi/v3/accountStatus", ACCOUNT_STATUS)
    fake.reply("GET", "/sapi/v3/apiTradingStatus", text=API_TRADING_STATUS_TEXT)
    v = client.verify("exchange")
    assert paths(fake) == [
        "GET /api/v3/account",
        "GET /sapi/v3/accountStatus",
        "GET /sapi/v3/apiTradingStatus",
    ]
    for rec in fake.requests[1:]:
        assert_signed(rec)
    assert v.key_type == "exchange"
    assert (v.can_trade, v.can_withdraw, v.can_deposit) == (True, True, True)
    assert v.permissions == ["SPOT"]
    assert v.account_status == "Normal"
    assert v.trading_locked is False
    ufr = v.trading_indicators["BTCUSDT"][0]
    assert (ufr.indicator, ufr.count) == ("UFR", 20)
    assert ufr.current_value == Decimal("0.05") and ufr.trigger_value == Decimal("0.995")
    assert type(ufr.current_value) is Decimal
    assert v.balances[0] == bu.Balance("BTC", Decimal("4723846.89208129"), Decimal(0))
    assert {b.asset for b in v.nonzero_balances()} == {"BTC", "LTC"}
    assert set(v.raw) == {
        "GET /api/v3/account",
        "GET /sapi/v3/accountStatus",
        "GET /sapi/v3/apiTradingStatus",
    }
    assert v.raw["GET /sapi/v3/accountStatus"] == ACCOUNT_STATUS
    assert v.account is not None and v.account.brokered is False
    assert v.account.require_self_trade_prevention is False
    assert_typed(v)


def test_it_reports_a_locked_exchange_key(fake, client):
    fake.reply("GET", "/api/v3/account", {**ACCOUNT, "canTrade": False, "canWithdraw": False})
    fake.reply(
        "GET",
        "/sapi/v3/accountStatus",
        {
            "msg": "Order failed:Low Order fill rate! Will be reactivated after 5 minutes.",
            "success": True,
            "objs": ["5"],
        },
    )
    fake.reply(
        "GET",
        "/sapi/v3/apiTradingStatus",
        {"success": True, "status": {"isLocked": True, "plannedRecoverTime": 1700000000000}},
    )
    v = client.verify("exchange")
    assert v.can_trade is False and v.can_withdraw is False and v.can_deposit is True
    assert v.account_status.startswith("Order failed")
    assert v.trading_locked is True and v.trading_indicators == {}


def test_it_propagates_an_authentication_error_from_the_first_call(fake, client):
    fake.reply("GET", "/api/v3/account", REJECTED, status=401)
    with pytest.raises(bu.AuthenticationError):
        client.verify("exchange")
    assert paths(fake) == ["GET /api/v3/account"]


def test_it_verifies_a_custodial_key_with_the_custodian_balance(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/balance", CUSTODIAN_BALANCE)
    v = client.verify("custodial", rail="anchorage")
    (rec,) = fake.calls("GET", "/sapi/v1/custodian/balance")
    assert_signed(rec)
    assert sent_params(rec) == {"rail": "ANCHORAGE"}
    assert paths(fake) == ["GET /sapi/v1/custodian/balance"]
    assert v.key_type == "custodial" and v.rail == "ANCHORAGE"
    assert v.can_trade is None and v.can_withdraw is None and v.account_status is None
    assert v.balances == [bu.Balance("BNB", Decimal("0.0083686"), Decimal(0))]
    assert [b.asset for b in v.custodial_balances] == ["BTC", "ETHT"]
    assert v.custodian_balance.custodial_account_balance[1].in_settlement == Decimal("25.17")
    assert v.raw == {"GET /sapi/v1/custodian/balance": CUSTODIAN_BALANCE}
    assert_typed(v)


def test_it_uses_the_specs_example_rail_when_none_is_given(fake, client):
    fake.reply("GET", "/sapi/v1/custodian/balance", CUSTODIAN_BALANCE)
    v = client.verify("custodial")
    (rec,) = fake.calls("GET", "/sapi/v1/custodian/balance")
    assert sent_params(rec) == {"rail": bu.DEFAULT_CUSTODIAL_RAIL} == {"rail": "ANCHORAGE"}
    assert v.rail == "ANCHORAGE"


def test_it_verifies_a_credit_line_key_with_the_cl_account(fake, client):
    fake.reply("GET", "/sapi/v2/cl/account", CL_ACCOUNT)
    v = client.verify("credit_line")
    (rec,) = fake.calls("GET", "/sapi/v2/cl/account")
    assert_signed(rec)
    assert paths(fake) == ["GET /sapi/v2/cl/account"]
    assert v.key_type == "credit_line" and v.can_trade is True
    assert [b.asset for b in v.balances] == ["BNB", "USD"]
    assert v.balances[1].free == Decimal("948.46")
    assert v.credit_line_account.current_ltv == Decimal("0.415")
    assert_typed(v)


def test_it_propagates_a_rejection_of_a_credit_line_key(fake, client):
    fake.reply("GET", "/sapi/v2/cl/account", REJECTED, status=401)
    with pytest.raises(bu.AuthenticationError) as info:
        client.verify("credit_line")
    assert info.value.code == -2015


def test_it_refuses_an_unknown_key_type_without_sending(fake, client):
    with pytest.raises(ValueError, match="key_type"):
        client.verify("margin")  # type: ignore[arg-type]
    assert fake.requests == []
