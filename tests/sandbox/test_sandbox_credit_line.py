"""The credit line's computed LTV, automatic alerts, transfer-out limit, and the admin price
shock that drives them, over real HTTP against a sandbox of this module's own (the shocks
move exchange-wide prices).

Expected values come from the formula creditline.py documents (the spec gives none), fed with
balances and loans read back from GET /sapi/v2/cl/account and prices read back from the public
GET /api/v3/ticker/price."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

import requests

from tests.sandbox.sandbox_support import admin, balances, new_account, new_key, signed

D = Decimal
INSUFFICIENT = {"code": -2010, "msg": "Account has insufficient balance for requested action."}
UNKNOWN = {
    "code": -1007,
    "msg": "Timeout waiting for a response from the backend server. Send status unknown; "
    "execution status unknown.",
}


def shock(base: str, symbol: str, price: str) -> dict:
    resp = admin(base, "POST", "/prices", {"symbol": symbol, "price": price})
    assert resp.status_code == 200, resp.text
    return resp.json()


def ticker(base: str, symbol: str) -> Decimal:
    resp = requests.get(f"{base}/api/v3/ticker/price", params={"symbol": symbol}, timeout=5)
    return D(resp.json()["price"])


def credit_line(base: str, setup: dict, wallet: dict | None = None) -> tuple[dict, dict]:
    acct = new_account(base, wallet or {"USD": "100000", "BTC": "5"})
    resp = admin(base, "POST", f"/accounts/{acct['email']}/credit-line", setup)
    assert resp.status_code == 200, resp.text
    return acct, new_key(base, acct, "credit_line")


def cl_account(base: str, key: dict) -> dict:
    resp = signed(base, "GET", "/sapi/v2/cl/account", key)
    assert resp.status_code == 200, resp.text
    return resp.json()


def alerts(base: str, key: dict, **params: object) -> list[dict]:
    resp = signed(base, "GET", "/sapi/v2/cl/alertHistory", key, params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def transfer(base: str, key: dict, kind: str, asset: str, quantity: str) -> requests.Response:
    params = {"transferType": kind, "transferAssetType": asset, "quantity": quantity}
    return signed(base, "POST", "/sapi/v1/cl/transfer", key, params, in_body=True)


def usd_price(base: str, asset: str) -> Decimal:
    return D(1) if asset == "USD" else ticker(base, asset + "USD")


def expected(base: str, doc: dict) -> dict[str, Decimal]:
    """currentLTV, availableAmountToTransferOut and requiredDepositAmount by the documented
    formula, from the account document and the public ticker."""
    collateral = sum(
        (D(b["free"]) + D(b["locked"])) * usd_price(base, b["asset"]) for b in doc["balances"]
    )
    loans = sum(
        D(loan["currentLoanQuantity"]) * usd_price(base, loan["loanAsset"])
        for loan in doc["loanAssets"]
    )
    backing = loans / D(doc["initialLTV"])
    return {
        "currentLTV": (loans / collateral).quantize(D("0.0001"), ROUND_HALF_UP),
        "availableAmountToTransferOut": max(D(0), collateral - backing).quantize(
            D("1e-8"), ROUND_DOWN
        ),
        "requiredDepositAmount": max(D(0), backing - collateral).quantize(D("1e-8"), ROUND_UP),
    }


def figures(doc: dict) -> dict[str, Decimal]:
    names = ("currentLTV", "availableAmountToTransferOut", "requiredDepositAmount")
    return {name: D(doc[name]) for name in names}


def test_it_moves_a_market_with_a_price_shock(private_url: str) -> None:
    moved = shock(private_url, "BTCUSD", "42000")
    assert moved == {"symbol": "BTCUSD", "price": "42000.00000000"}
    assert ticker(private_url, "BTCUSD") == D(42000)
    book = requests.get(
        f"{private_url}/api/v3/ticker/bookTicker", params={"symbol": "BTCUSD"}, timeout=5
    ).json()
    assert D(book["bidPrice"]) < D(42000) < D(book["askPrice"])
    assert D(book["askPrice"]) - D(book["bidPrice"]) < D(10)  # re-quoted around it

    relative = admin(private_url, "POST", "/prices", {"symbol": "BTCUSD", "changePercent": "-30"})
    assert relative.json() == {"symbol": "BTCUSD", "price": "29400.00000000"}
    assert ticker(private_url, "BTCUSD") == D(29400)

    for bad in (
        {"symbol": "DOGEUSD", "price": "1"},
        {"symbol": "BTCUSD"},
        {"symbol": "BTCUSD", "price": "20000", "changePercent": "5"},
        {"symbol": "BTCUSD", "price": 20000},
        {"symbol": "BTCUSD", "price": "20000.001"},  # off the 0.01 tick grid
        {"symbol": "BTCUSD", "price": "-5"},
        {"symbol": "BTCUSD", "price": "1"},  # too low to quote 60 levels under
        {"symbol": "BTCUSD", "changePercent": "-100"},
        {"symbol": "BTCUSD", "changePercent": "lots"},
    ):
        resp = admin(private_url, "POST", "/prices", bad)
        assert resp.status_code == 400 and resp.json()["error"], bad
    assert ticker(private_url, "BTCUSD") == D(29400)


def test_it_computes_the_ltv_from_pledged_balances_and_live_prices(private_url: str) -> None:
    shock(private_url, "BTCUSD", "50000")
    shock(private_url, "ETHUSD", "2500")
    acct, key = credit_line(
        private_url,
        {
            "balances": {"BTC": "1", "ETH": "4", "USD": "1000"},
            "loanAssets": [
                {"loanAsset": "USD", "loanQuantity": "50000", "currentLoanQuantity": "10000"},
                {"loanAsset": "BTC", "loanQuantity": "1", "currentLoanQuantity": "0.2"},
            ],
        },
    )
    doc = cl_account(private_url, key)
    assert (doc["initialLTV"], doc["marginCallLTV"], doc["liquidationLTV"]) == (
        "0.62",
        "0.8",
        "0.9",
    )
    assert all(isinstance(doc[name], str) for name in ("currentLTV", "requiredDepositAmount"))
    # (10000 + 0.2 x 50000) / (50000 + 4 x 2500 + 1000)
    assert doc["currentLTV"] == "0.3279"
    assert figures(doc) == expected(private_url, doc)

    shock(private_url, "BTCUSD", "30000")
    doc = cl_account(private_url, key)
    assert figures(doc) == expected(private_url, doc)
    assert D(doc["currentLTV"]) > D("0.38")  # (10000 + 6000) / 41000

    # A loan much larger than the collateral: the LTV passes initialLTV and a deposit is due.
    admin(
        private_url,
        "POST",
        f"/accounts/{acct['email']}/credit-line",
        {"loanAssets": [{"loanAsset": "USD", "currentLoanQuantity": "30000"}]},
    )
    doc = cl_account(private_url, key)
    assert figures(doc) == expected(private_url, doc)
    assert doc["availableAmountToTransferOut"] == "0" and D(doc["requiredDepositAmount"]) > 0


def test_it_shows_a_pinned_ltv_until_the_pin_is_removed(private_url: str) -> None:
    shock(private_url, "BTCUSD", "50000")
    acct, key = credit_line(
        private_url,
        {
            "currentLTV": "0.415",
            "balances": {"BTC": "1"},
            "loanAssets": [{"loanAsset": "USD", "currentLoanQuantity": "25000"}],
        },
    )
    assert cl_account(private_url, key)["currentLTV"] == "0.415"
    url = f"/accounts/{acct['email']}/credit-line"
    assert admin(private_url, "POST", url, {"currentLTV": None}).status_code == 200
    assert cl_account(private_url, key)["currentLTV"] == "0.5"


def test_it_raises_each_alert_once_per_upward_crossing(private_url: str) -> None:
    shock(private_url, "BTCUSD", "50000")
    _, key = credit_line(
        private_url,
        {
            "balances": {"BTC": "1"},
            "loanAssets": [{"loanAsset": "USD", "currentLoanQuantity": "35000"}],
        },
    )
    assert cl_account(private_url, key)["currentLTV"] == "0.7"
    assert alerts(private_url, key) == []

    shock(private_url, "BTCUSD", "43000")  # 35000 / 43000 = 0.81395...
    (margin_call,) = alerts(private_url, key)
    assert list(margin_call) == [
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
    assert (margin_call["alertType"], margin_call["currentLTV"]) == ("MARGIN_CALL", "0.814")
    assert margin_call["totalBalance"] == "43000"
    assert margin_call["balances"] == [{"asset": "BTC", "free": "1", "locked": "0", "freeze": "0"}]
    assert margin_call["loanAssets"][0]["currentLoanQuantity"] == "35000"

    shock(private_url, "BTCUSD", "42000")  # further up, still under liquidation: no new alert
    assert len(alerts(private_url, key)) == 1

    shock(private_url, "BTCUSD", "38000")  # 0.92105...: past liquidation
    rows = alerts(private_url, key)
    assert [(r["alertType"], r["currentLTV"]) for r in rows] == [
        ("LIQUIDATION_CALL", "0.9211"),
        ("MARGIN_CALL", "0.814"),
    ]

    shock(private_url, "BTCUSD", "50000")  # back under both: re-armed, nothing raised
    assert len(alerts(private_url, key)) == 2
    shock(private_url, "BTCUSD", "43000")
    rows = alerts(private_url, key)
    assert [r["alertType"] for r in rows] == ["MARGIN_CALL", "LIQUIDATION_CALL", "MARGIN_CALL"]

    only = alerts(private_url, key, alertType="MARGIN_CALL")
    assert [r["alertTime"] for r in only] == [rows[0]["alertTime"], rows[2]["alertTime"]]
    assert alerts(private_url, key, limit=1) == rows[:1]
    since = rows[1]["alertTime"]
    window = alerts(private_url, key, startTime=since)
    assert window == [r for r in rows if r["alertTime"] >= since]


def test_it_limits_transfers_out_to_what_keeps_the_ltv_at_initial(private_url: str) -> None:
    shock(private_url, "BTCUSD", "50000")
    acct, key = credit_line(
        private_url,
        {
            "balances": {"BTC": "0.5", "USD": "10000"},
            "loanAssets": [{"loanAsset": "USD", "currentLoanQuantity": "6200"}],
        },
    )
    before = cl_account(private_url, key)
    available = D(before["availableAmountToTransferOut"])
    assert available == expected(private_url, before)["availableAmountToTransferOut"]
    assert available == D(25000)  # 35000 - 6200 / 0.62
    wallet = balances(private_url, acct)

    too_much = available / ticker(private_url, "BTCUSD") + D("0.00001")
    refused = transfer(private_url, key, "TRANSFER_OUT", "BTC", str(too_much))
    assert (refused.status_code, refused.json()) == (400, INSUFFICIENT)
    assert cl_account(private_url, key)["balances"] == before["balances"]
    assert balances(private_url, acct) == wallet

    moved = transfer(private_url, key, "TRANSFER_OUT", "BTC", "0.2")
    assert moved.status_code == 200, moved.text
    assert balances(private_url, acct)["BTC"][0] == "5.20000000"
    after = cl_account(private_url, key)
    assert after["balances"][0] == {"asset": "BTC", "free": "0.3", "locked": "0"}
    assert D(after["availableAmountToTransferOut"]) == D(15000)
    (row,) = signed(private_url, "GET", "/sapi/v1/cl/transferHistory", key).json()
    assert (row["transferId"], row["transferType"], row["asset"], row["amount"]) == (
        str(moved.json()["transferId"]),
        "TRANSFER_OUT",
        "BTC",
        "0.2",
    )
    assert transfer(private_url, key, "TRANSFER_OUT", "USD", "10000").status_code == 200
    assert cl_account(private_url, key)["availableAmountToTransferOut"] == "5000"
    over = transfer(private_url, key, "TRANSFER_OUT", "BTC", "0.10001")
    assert over.json() == INSUFFICIENT


def test_it_refuses_thresholds_out_of_order(private_url: str) -> None:
    acct, key = credit_line(private_url, {"balances": {"USD": "100"}})
    url = f"/accounts/{acct['email']}/credit-line"
    for bad in (
        {"initialLTV": "0.62", "marginCallLTV": "0.8", "liquidationLTV": "0.54"},  # L9370-9372
        {"marginCallLTV": "0.95"},
        {"initialLTV": "0.8"},
        {"initialLTV": "zero"},
        {"liquidationLTV": "-1"},
        {"currentLTV": 0.5},
    ):
        resp = admin(private_url, "POST", url, bad)
        assert resp.status_code == 400 and resp.json()["error"], bad
    doc = cl_account(private_url, key)
    assert (doc["initialLTV"], doc["marginCallLTV"], doc["liquidationLTV"]) == (
        "0.62",
        "0.8",
        "0.9",
    )
    ok = admin(
        private_url,
        "POST",
        url,
        {"initialLTV": "0.5", "marginCallLTV": "0.7", "liquidationLTV": "0.85"},
    )
    assert ok.status_code == 200, ok.text
    doc = cl_account(private_url, key)
    assert (doc["initialLTV"], doc["marginCallLTV"], doc["liquidationLTV"]) == (
        "0.5",
        "0.7",
        "0.85",
    )


def test_it_applies_the_credit_line_transfer_fault(private_url: str) -> None:
    acct, key = credit_line(private_url, {"balances": {"USD": "100"}}, {"USD": "1000"})
    set_ = admin(
        private_url, "POST", "/faults", {"creditLineTransfer": {"mode": "execute_then_500"}}
    )
    assert set_.status_code == 200, set_.text
    try:
        resp = transfer(private_url, key, "TRANSFER_IN", "USD", "25")
    finally:
        admin(private_url, "DELETE", "/faults")
    assert (resp.status_code, resp.json()) == (500, UNKNOWN)
    assert balances(private_url, acct)["USD"][0] == "975.00000000"
    assert cl_account(private_url, key)["balances"] == [
        {"asset": "USD", "free": "125", "locked": "0"}
    ]
    (row,) = signed(private_url, "GET", "/sapi/v1/cl/transferHistory", key).json()
    assert (row["transferType"], row["amount"]) == ("TRANSFER_IN", "25")
