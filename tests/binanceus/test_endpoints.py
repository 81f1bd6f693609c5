from __future__ import annotations

import inspect
import json
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

import binanceus as bu
from binanceus._endpoints import endpoint

from .fakes import make_client
from .spec_examples import ACCOUNT, DEPTH, EXCHANGE_INFO, ORDER_FULL

PKG = Path(bu.__file__).parent


def test_it_loads_the_packaged_endpoint_table():
    text = resources.files("binanceus").joinpath("endpoints.json").read_text("utf-8")
    rows = json.loads(text)["rest"]
    assert len(bu.ENDPOINTS) == len({(r["method"], r["path"]) for r in rows}) == 103
    ep = bu.ENDPOINTS["POST /api/v3/order"]
    assert (ep.method, ep.path, ep.security, ep.weight, ep.area) == (
        "POST",
        "/api/v3/order",
        "SIGNED",
        1,
        "trading",
    )
    assert "quantity" in ep.param_names and ep.mutating and ep.signed


def test_it_never_reads_the_shared_spec_at_run_time():
    for path in PKG.glob("*.py"):
        assert "/work/shared" not in path.read_text(), path


def test_it_types_methods_only_for_endpoints_in_the_table():
    cov = bu.coverage()
    assert set(cov.modeled) <= set(bu.ENDPOINTS)
    expected = {
        "GET /api/v3/ping": ("ping",),
        "GET /api/v3/time": ("server_time",),
        "GET /api/v3/exchangeInfo": ("exchange_info",),
        "GET /api/v3/depth": ("depth",),
        "GET /api/v3/trades": ("recent_trades",),
        "GET /api/v3/klines": ("klines",),
        "GET /api/v3/ticker/price": ("ticker_price",),
        "GET /api/v3/account": ("account",),
        "GET /sapi/v3/accountStatus": ("account_status",),
        "GET /sapi/v3/apiTradingStatus": ("api_trading_status",),
        "POST /api/v3/order": ("new_order",),
        "POST /api/v3/order/test": ("test_new_order",),
        "GET /api/v3/order": ("get_order",),
        "DELETE /api/v3/order": ("cancel_order",),
        "GET /api/v3/openOrders": ("open_orders",),
        "DELETE /api/v3/openOrders": ("cancel_open_orders",),
        "POST /api/v3/order/cancelReplace": ("cancel_replace",),
        "GET /api/v3/allOrders": ("all_orders",),
        "GET /api/v3/myTrades": ("my_trades",),
        "GET /api/v3/myPreventedMatches": ("my_prevented_matches",),
        "GET /api/v3/rateLimit/order": ("order_rate_limit",),
        "POST /api/v3/order/oco": ("new_oco",),
        "GET /api/v3/orderList": ("get_order_list",),
        "GET /api/v3/allOrderList": ("all_order_lists",),
        "GET /api/v3/openOrderList": ("open_order_lists",),
        "DELETE /api/v3/orderList": ("cancel_order_list",),
        "POST /api/v3/userDataStream": ("create_listen_key",),
        "PUT /api/v3/userDataStream": ("keepalive_listen_key",),
        "DELETE /api/v3/userDataStream": ("close_listen_key",),
        "GET /sapi/v1/system/status": ("system_status",),
        "GET /sapi/v1/asset/query/trading-fee": ("trade_fee",),
        "GET /sapi/v1/asset/query/trading-volume": ("trading_volume",),
        "GET /sapi/v1/asset/assetDistributionHistory": ("asset_distribution_history",),
        "GET /sapi/v3/sub-account/list": ("sub_accounts",),
        "GET /sapi/v1/sub-account/status": ("sub_account_status",),
        "GET /sapi/v3/sub-account/assets": ("sub_account_assets",),
        "GET /sapi/v1/sub-account/spotSummary": ("sub_account_spot_summary",),
        "POST /sapi/v3/sub-account/transfer": ("sub_account_transfer",),
        "GET /sapi/v3/sub-account/transfer/history": ("sub_account_transfer_history",),
        "GET /sapi/v1/capital/sub-account/deposit/address": ("sub_account_deposit_address",),
        "GET /sapi/v1/capital/sub-account/deposit/history": ("sub_account_deposit_history",),
        "GET /sapi/v1/custodian/balance": ("custodian_balance",),
        "GET /sapi/v1/custodian/supportedAssetList": ("custodian_supported_assets",),
        "POST /sapi/v1/custodian/walletTransfer": ("custodian_wallet_transfer",),
        "POST /sapi/v1/custodian/custodianTransfer": ("custodian_transfer",),
        "POST /sapi/v1/custodian/undoTransfer": ("custodian_undo_transfer",),
        "GET /sapi/v1/custodian/walletTransferHistory": ("custodian_wallet_transfer_history",),
        "GET /sapi/v1/custodian/custodianTransferHistory": ("custodian_transfer_history",),
        "GET /sapi/v1/custodian/settlementSetting": ("custodian_settlement_setting",),
        "GET /sapi/v1/custodian/settlementHistory": ("custodian_settlement_history",),
        "GET /sapi/v2/cl/account": ("credit_line_account",),
        "GET /sapi/v2/cl/alertHistory": ("credit_line_alert_history",),
        "GET /sapi/v1/cl/transferHistory": ("credit_line_transfer_history",),
        "POST /sapi/v1/cl/transfer": ("credit_line_transfer",),
        "GET /api/v3/historicalTrades": ("historical_trades",),
        "GET /api/v3/aggTrades": ("agg_trades",),
        "GET /api/v3/avgPrice": ("avg_price",),
        "GET /api/v3/ticker/bookTicker": ("book_ticker",),
        "GET /api/v3/ticker/24hr": ("ticker_24hr",),
        "GET /api/v3/ticker": ("ticker",),
    }
    assert dict(cov.modeled) == expected
    assert len(cov.unmodeled) == 103 - len(expected)
    assert "POST /sapi/v1/otc/orders" in cov.unmodeled
    assert "60/103" in str(cov)
    for area in ("subaccount", "credit_line", "trading", "account", "user_stream"):
        assert all(key in cov.modeled for key, ep in bu.ENDPOINTS.items() if ep.area == area), area


def test_it_fails_loudly_on_an_endpoint_typo():
    with pytest.raises(KeyError, match="not in the endpoint table"):
        endpoint("GET /api/v3/acount")


def test_each_typed_method_calls_the_endpoint_it_declares():
    for name, member in inspect.getmembers(bu.Client, inspect.isfunction):
        key = getattr(member, "__endpoint__", None)
        if key is None:
            continue
        assert f'"{key}"' in inspect.getsource(member), name


def test_it_lets_security_decide_signing_and_api_key(fake, client):
    fake.reply("GET", "/api/v3/depth", DEPTH)
    fake.reply("GET", "/api/v3/account", ACCOUNT)
    fake.reply("POST", "/api/v3/userDataStream", {"listenKey": "k"})
    client.depth("LTCBTC")
    client.account()
    client.create_listen_key()
    depth, _time, account, listen = fake.requests
    assert "X-MBX-APIKEY" not in depth.headers and "signature" not in depth.params  # NONE
    assert account.headers["X-MBX-APIKEY"] and "signature" in account.params  # SIGNED
    assert listen.headers["X-MBX-APIKEY"] and "signature" not in listen.params  # USER_STREAM
    assert "timestamp" not in listen.params


def test_it_resolves_variable_weights():
    depth = bu.ENDPOINTS["GET /api/v3/depth"]
    assert [depth.weight_for({"limit": n}) for n in (5, 100, 101, 500, 1000, 5000)] == [
        1,
        1,
        5,
        5,
        10,
        50,
    ]
    assert bu.ENDPOINTS["GET /api/v3/openOrders"].weight_for({"symbol": "BTCUSD"}) == 3
    assert bu.ENDPOINTS["GET /api/v3/openOrders"].weight_for({}) == 40
    assert bu.ENDPOINTS["GET /api/v3/exchangeInfo"].weight_for({}) == 10
    assert bu.ENDPOINTS["GET /api/v3/myTrades"].weight_for({}) == 10


def test_it_records_used_weight_headers_and_spends_local_weight(fake):
    now = [600.0]
    budget = bu.InMemoryWeightBudget(limit_per_minute=20, headroom=1.0, clock=lambda: now[0])
    client = make_client(fake, weight_budget=budget)
    fake.reply(
        "GET",
        "/api/v3/depth",
        DEPTH,
        headers={"x-mbx-used-weight-1m": "7", "X-MBX-USED-WEIGHT-1S": "2"},
    )
    fake.reply(
        "POST",
        "/api/v3/order",
        ORDER_FULL,
        headers={
            "X-MBX-USED-WEIGHT-1M": "9",
            "X-MBX-ORDER-COUNT-10S": "1",
            "X-MBX-ORDER-COUNT-1D": "12",
        },
    )
    client.depth("BTCUSD", limit=500)
    assert client.used_weight == {"X-MBX-USED-WEIGHT-1M": 7, "X-MBX-USED-WEIGHT-1S": 2}
    assert budget.spent == 7  # max(local 5, reported 7)
    client.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=Decimal(1))
    assert client.used_weight["X-MBX-ORDER-COUNT-1D"] == 12
    assert client.used_weight["X-MBX-USED-WEIGHT-1M"] == 9
    assert budget.spent == 9
    fake.reply("GET", "/api/v3/exchangeInfo", EXCHANGE_INFO)
    client.exchange_info()  # max(local 7, reported 9) + 10 = 19 <= 20
    sent = len(fake.requests)
    with pytest.raises(bu.WeightLimitExceeded) as info:
        client.exchange_info()  # local 17 + 10 > 20: refused before sending
    assert len(fake.requests) == sent
    assert 0 < info.value.retry_after <= 60
    now[0] += 60  # next minute: budget refills
    fake.reply("GET", "/api/v3/depth", DEPTH)
    client.depth("BTCUSD")


def test_it_keeps_the_in_memory_budget_under_90_percent_by_default():
    budget = bu.InMemoryWeightBudget(limit_per_minute=100, clock=lambda: 30.0)
    budget.acquire(90)
    with pytest.raises(bu.WeightLimitExceeded) as info:
        budget.acquire(1)
    assert "90+1 > 90" in str(info.value) and info.value.retry_after == 30
    with pytest.raises(ValueError):
        bu.InMemoryWeightBudget(headroom=1.5)


def test_weight_budget_protocol_is_satisfied_by_the_in_memory_budget():
    assert isinstance(bu.InMemoryWeightBudget(), bu.WeightBudget)
