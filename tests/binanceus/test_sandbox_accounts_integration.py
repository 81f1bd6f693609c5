"""Sub-accounts, key verification and transfer faults against the real sandbox over loopback."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests

import binanceus as bu
from tests.support import exchange_client

RAIL = "ANCHORAGE"


def admin(sandbox_url: str, method: str, path: str, doc: dict | None = None) -> dict:
    resp = requests.request(method, f"{sandbox_url}/sandbox/v1/{path}", json=doc, timeout=5)
    resp.raise_for_status()
    return resp.json()


def new_sub(sandbox_url: str, master: dict, balances: dict | None = None) -> dict:
    email = f"sub-{time.monotonic_ns()}@example.test"
    return admin(
        sandbox_url,
        "POST",
        "accounts",
        {"email": email, "master": master["email"], "balances": balances or {}},
    )


def new_key(sandbox_url: str, email: str, key_type: str) -> dict:
    return admin(sandbox_url, "POST", "keys", {"email": email, "type": key_type})


def requests_by(sandbox_url: str, api_key: str) -> int:
    return admin(sandbox_url, "GET", "requests")["byApiKey"].get(api_key, 0)


@pytest.fixture
def master(trader):
    """The account's own (master) key, beside the sub-accounts and the other kinds of key."""
    return trader


@pytest.fixture
def transfer_fault(sandbox_url):
    """Set a one-shot fault on sub-account transfers; always cleared afterwards."""

    def arm(mode: str, **extra) -> None:
        admin(sandbox_url, "POST", "faults", {"transfer": {"mode": mode, "count": 1, **extra}})

    yield arm
    admin(sandbox_url, "POST", "faults", {"transfer": None})


def test_it_lists_sub_accounts_with_status_assets_and_usd_summary(
    sandbox_url, sandbox_account, master
):
    first = new_sub(sandbox_url, sandbox_account, {"USD": "250.5", "BTC": "0.5"})
    second = new_sub(sandbox_url, sandbox_account)
    subs = master.sub_accounts()
    assert [s.email for s in subs] == [first["email"], second["email"]]
    assert all(s.enabled and s.status == "enabled" for s in subs)
    assert all(s.create_time is not None and s.create_time.tzinfo is not None for s in subs)
    assert [s.email for s in master.sub_accounts(email=second["email"])] == [second["email"]]
    assert master.sub_accounts(status="disabled") == []
    assert [s.email for s in master.sub_accounts(page=2, limit=1)] == [second["email"]]

    (status,) = master.sub_account_status(email=first["email"])
    assert status.email == first["email"] and status.is_user_active

    assets = master.sub_account_assets(email=first["email"])
    assert assets.balance("USD").free == Decimal("250.5")
    assert assets.balance("BTC").free == Decimal("0.5")
    assert all(type(b.free) is Decimal and type(b.locked) is Decimal for b in assets.balances)

    summary = master.sub_account_spot_summary()
    assert type(summary.master_account_total_asset) is Decimal
    assert summary.total_count == 2
    by_email = {s.email: s.total_asset for s in summary.sub_accounts}
    assert by_email[second["email"]] == 0 and by_email[first["email"]] > Decimal("250.5")
    assert summary.master_account_total_asset > Decimal(100000) + by_email[first["email"]]

    with pytest.raises(bu.ClientError):  # not one of this master's sub-accounts
        master.sub_account_assets(email="nobody@example.test")


def test_it_transfers_to_a_sub_account_and_back_and_reads_the_history(
    sandbox_url, sandbox_account, master
):
    sub = new_sub(sandbox_url, sandbox_account)
    before = datetime.now(UTC) - timedelta(seconds=5)
    out = master.sub_account_transfer(
        from_email=sandbox_account["email"],
        to_email=sub["email"],
        asset="BTC",
        amount=Decimal("1.5"),
    )
    assert out.success and out.txn_id
    assert master.sub_account_assets(email=sub["email"]).balance("BTC").free == Decimal("1.5")
    assert master.account().balance("BTC").free == Decimal("3.5")
    back = master.sub_account_transfer(
        from_email=sub["email"],
        to_email=sandbox_account["email"],
        asset="BTC",
        amount=Decimal("0.25"),
    )
    assert back.txn_id != out.txn_id
    assert master.account().balance("BTC").free == Decimal("3.75")

    history = master.sub_account_transfer_history(email=sub["email"])
    assert [(h.from_email, h.to_email, h.asset, h.qty) for h in history] == [
        (sandbox_account["email"], sub["email"], "BTC", Decimal("1.5")),
        (sub["email"], sandbox_account["email"], "BTC", Decimal("0.25")),
    ]
    for h in history:
        assert type(h.qty) is Decimal
        assert before <= h.time <= datetime.now(UTC) + timedelta(seconds=5)
    assert master.sub_account_transfer_history(email=sub["email"], page=1, limit=1) == history[:1]

    with pytest.raises(bu.InsufficientBalance):
        master.sub_account_transfer(
            from_email=sandbox_account["email"],
            to_email=sub["email"],
            asset="BTC",
            amount=Decimal("50"),
        )


def test_it_reads_a_sub_accounts_deposit_address_and_history(sandbox_url, sandbox_account, master):
    sub = new_sub(sandbox_url, sandbox_account)
    admin(sandbox_url, "POST", "deposit", {"email": sub["email"], "asset": "BTC", "amount": "0.25"})
    addr = master.sub_account_deposit_address(email=sub["email"], coin="BTC")
    assert addr.coin == "BTC" and addr.address
    (dep,) = master.sub_account_deposit_history(email=sub["email"], coin="BTC")
    assert dep.amount == Decimal("0.25") and type(dep.amount) is Decimal
    assert dep.coin == "BTC" and dep.status == 1
    assert dep.insert_time is not None and dep.insert_time.tzinfo is not None


def test_it_raises_execution_unknown_when_a_transfer_executes_then_fails_with_500(
    sandbox_url, sandbox_account, master, transfer_fault
):
    sub = new_sub(sandbox_url, sandbox_account)
    master.sync_time()
    transfer_fault("execute_then_500")
    sent_before = requests_by(sandbox_url, sandbox_account["apiKey"])
    with pytest.raises(bu.ExecutionUnknown) as info:
        master.sub_account_transfer(
            from_email=sandbox_account["email"],
            to_email=sub["email"],
            asset="USD",
            amount=Decimal("10"),
        )
    assert requests_by(sandbox_url, sandbox_account["apiKey"]) == sent_before + 1  # not retried
    err = info.value
    assert err.status == 500 and err.endpoint == "POST /sapi/v3/sub-account/transfer"
    assert err.params == {
        "fromEmail": sandbox_account["email"],
        "toEmail": sub["email"],
        "asset": "USD",
        "amount": Decimal("10"),
    }
    # It did execute: the history is where to confirm.
    (row,) = master.sub_account_transfer_history(email=sub["email"])
    assert (row.to_email, row.asset, row.qty) == (sub["email"], "USD", err.params["amount"])


def test_it_raises_execution_unknown_when_a_transfer_times_out(
    sandbox_url, sandbox_account, transfer_fault
):
    sub = new_sub(sandbox_url, sandbox_account)
    with exchange_client(
        sandbox_account["apiKey"], sandbox_account["secretKey"], base_url=sandbox_url, timeout=0.5
    ) as client:
        client.sync_time()
        transfer_fault("execute_then_timeout", holdSeconds=3)
        sent_before = requests_by(sandbox_url, sandbox_account["apiKey"])
        with pytest.raises(bu.ExecutionUnknown) as info:
            client.sub_account_transfer(
                from_email=sandbox_account["email"],
                to_email=sub["email"],
                asset="ETH",
                amount=Decimal("2"),
            )
        assert requests_by(sandbox_url, sandbox_account["apiKey"]) == sent_before + 1
        assert info.value.status is None
        assert info.value.params["toEmail"] == sub["email"]
        assert client.sub_account_assets(email=sub["email"]).balance("ETH").free == Decimal(2)


def test_it_raises_service_unavailable_on_a_503_and_nothing_moves(
    sandbox_url, sandbox_account, master, transfer_fault
):
    sub = new_sub(sandbox_url, sandbox_account)
    master.sync_time()
    transfer_fault("unavailable_503")
    sent_before = requests_by(sandbox_url, sandbox_account["apiKey"])
    with pytest.raises(bu.ServiceUnavailable) as info:
        master.sub_account_transfer(
            from_email=sandbox_account["email"],
            to_email=sub["email"],
            asset="USD",
            amount=Decimal("10"),
        )
    assert not isinstance(info.value, bu.ExecutionUnknown)
    assert info.value.status == 503
    assert requests_by(sandbox_url, sandbox_account["apiKey"]) == sent_before + 1  # no auto-retry
    assert master.sub_account_transfer_history(email=sub["email"]) == []
    assert master.sub_account_assets(email=sub["email"]).balance("USD").free == 0
    # The failure is definite, so trying again is safe and succeeds.
    again = master.sub_account_transfer(
        from_email=sandbox_account["email"],
        to_email=sub["email"],
        asset="USD",
        amount=Decimal("10"),
    )
    assert again.success
    assert master.sub_account_assets(email=sub["email"]).balance("USD").free == Decimal(10)


def test_it_verifies_an_exchange_key(master):
    v = master.verify("exchange")
    assert v.key_type == "exchange"
    assert v.can_trade is True and v.can_withdraw is True and v.can_deposit is True
    assert v.account_status == "Normal" and v.trading_locked is False
    assert "SPOT" in v.permissions
    assert {b.asset: b.free for b in v.nonzero_balances()}["USD"] == Decimal("100000")
    assert set(v.raw) == {
        "GET /api/v3/account",
        "GET /sapi/v3/accountStatus",
        "GET /sapi/v3/apiTradingStatus",
    }


def test_it_rejects_a_wrong_secret_during_verification(sandbox_url, sandbox_account):
    with (
        exchange_client(sandbox_account["apiKey"], "y" * 64, base_url=sandbox_url) as c,
        pytest.raises(bu.InvalidSignature),
    ):
        c.verify("exchange")


@pytest.fixture
def custodial(sandbox_url, sandbox_account):
    """A custodial key of an account set up for custody with partner RAIL."""
    admin(
        sandbox_url,
        "POST",
        f"accounts/{sandbox_account['email']}/custody",
        {
            "rail": RAIL,
            "balances": {"BTC": "2"},
            "partnerBalances": {"ETH": "10"},
            "processingDelayMs": 0,
        },
    )
    key = new_key(sandbox_url, sandbox_account["email"], "custodial")
    assert key["type"] == "custodial"
    with exchange_client(key["apiKey"], key["secretKey"], base_url=sandbox_url, timeout=5) as c:
        yield c


@pytest.fixture
def credit_line(sandbox_url, sandbox_account):
    """A credit_line key of an account with a credit line holding 1000 USD."""
    admin(
        sandbox_url,
        "POST",
        f"accounts/{sandbox_account['email']}/credit-line",
        {
            "balances": {"USD": "1000"},
            "currentLTV": "0.415",
            "loanAssets": [{"loanAsset": "BTC", "loanQuantity": "1", "currentLoanQuantity": "1"}],
            "alert": {"alertType": "MARGIN_CALL", "currentLTV": "0.81"},
        },
    )
    key = new_key(sandbox_url, sandbox_account["email"], "credit_line")
    assert key["type"] == "credit_line"
    with exchange_client(key["apiKey"], key["secretKey"], base_url=sandbox_url, timeout=5) as c:
        yield c


def test_it_verifies_a_custodial_key(custodial):
    v = custodial.verify("custodial", rail=RAIL)
    assert v.key_type == "custodial" and v.rail == RAIL
    assert v.custodian_balance is not None
    assert {b.asset: b.free for b in v.custodial_balances} == {"BTC": Decimal(2)}
    assert {b.asset: b.free for b in v.balances}["USD"] == Decimal(100000)
    assert all(type(b.free) is Decimal for b in v.balances + v.custodial_balances)
    assert set(v.raw) == {"GET /sapi/v1/custodian/balance"}
    # A custodial key may call custodial endpoints only.
    with pytest.raises(bu.AuthenticationError):
        custodial.verify("exchange")
    with pytest.raises(bu.ClientError):  # not this account's custodial partner
        custodial.verify("custodial", rail="OTHERPARTNER")


def test_it_moves_funds_through_the_custodial_endpoints(custodial):
    supported = custodial.custodian_supported_assets(rail=RAIL)
    assert "BTC" in {a.asset for a in supported.transfer_eligible}
    out = custodial.custodian_wallet_transfer(
        rail=RAIL, asset="BTC", amount=Decimal("0.5"), client_order_id="itest-wt-1"
    )
    assert out.client_order_id == "itest-wt-1" and out.amount == Decimal("0.5")
    balance = custodial.custodian_balance(rail=RAIL)
    assert {b.asset: b.free for b in balance.custodial_account_balance}["BTC"] == Decimal("2.5")
    assert {b.asset: b.free for b in balance.exchange_wallet_balance}["BTC"] == Decimal("4.5")
    (row,) = custodial.custodian_wallet_transfer_history(rail=RAIL, client_order_id="itest-wt-1")
    assert row.transfer_id == out.transfer_id and row.status == "SUCCESS"
    incoming = custodial.custodian_transfer(rail=RAIL, asset="ETH", amount=Decimal("3"))
    assert incoming.client_order_id and incoming.status == "Transfer request received"
    (hist,) = custodial.custodian_transfer_history(rail=RAIL, asset="ETH")
    assert hist.transfer_id == incoming.transfer_id and hist.amount == Decimal(3)
    # Undo applies to a transfer from the custodial partner (spec L7849), as a row of its own.
    undo = custodial.custodian_undo_transfer(rail=RAIL, origin_transfer_id=incoming.transfer_id)
    assert undo.transfer_id != incoming.transfer_id and undo.amount == Decimal("3")
    setting = custodial.custodian_settlement_setting(rail=RAIL)
    assert isinstance(setting.settlement_active, bool)
    assert custodial.custodian_settlement_history(rail=RAIL) == []


def test_it_verifies_a_credit_line_key(credit_line):
    v = credit_line.verify("credit_line")
    assert v.key_type == "credit_line"
    cl = v.credit_line_account
    assert cl is not None and cl.current_ltv == Decimal("0.415")
    assert v.can_trade is cl.can_trade is True
    assert {b.asset: b.free for b in v.balances} == {"USD": Decimal(1000)}
    (loan,) = cl.loan_assets
    assert loan.loan_asset == "BTC" and loan.current_loan_quantity == Decimal(1)
    with pytest.raises(bu.AuthenticationError):
        credit_line.verify("exchange")


def test_it_transfers_into_the_credit_line_and_reads_its_history(credit_line):
    t = credit_line.credit_line_transfer(
        transfer_type="TRANSFER_IN", transfer_asset_type="USD", quantity=Decimal("250.25")
    )
    assert t.status == "SUCCESS" and t.transfer_id
    assert credit_line.credit_line_account().balances[0].free == Decimal("1250.25")
    (row,) = credit_line.credit_line_transfer_history(asset="USD")
    assert row.transfer_id == t.transfer_id and row.amount == Decimal("250.25")
    assert row.transfer_type == "TRANSFER_IN" and row.transfer_time is not None
    (alert,) = credit_line.credit_line_alert_history(alert_type="MARGIN_CALL")
    assert alert.current_ltv == Decimal("0.81") and alert.alert_time.tzinfo is not None


def test_an_exchange_key_cannot_verify_as_custodial_or_credit_line(master):
    with pytest.raises(bu.AuthenticationError):
        master.verify("custodial", rail=RAIL)
    with pytest.raises(bu.AuthenticationError):
        master.verify("credit_line")
