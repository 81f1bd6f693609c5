"""Every REST endpoint of the spec: (method, path) -> security, area, weight.

Trimmed from the spec's endpoint inventory (endpoints.json). `weight` is None where the spec
makes it depend on the parameters; `rest.py` computes those. Paths with `{param}` segments
are matched by `find`.
"""

from __future__ import annotations

from typing import NamedTuple


class Endpoint(NamedTuple):
    method: str
    path: str
    security: str
    area: str
    weight: int | None


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/v3/ping", "NONE", "system", 1),
    Endpoint("GET", "/api/v3/time", "NONE", "system", 1),
    Endpoint("GET", "/sapi/v1/system/status", "SIGNED", "system", 1),
    Endpoint("GET", "/api/v3/exchangeInfo", "NONE", "market", 10),
    Endpoint("GET", "/api/v3/trades", "NONE", "market", 1),
    Endpoint("GET", "/api/v3/historicalTrades", "MARKET_DATA", "market", 5),
    Endpoint("GET", "/api/v3/aggTrades", "NONE", "market", 1),
    Endpoint("GET", "/api/v3/depth", "NONE", "market", None),
    Endpoint("GET", "/api/v3/klines", "NONE", "market", 1),
    Endpoint("GET", "/api/v3/ticker/price", "NONE", "market", None),
    Endpoint("GET", "/api/v3/avgPrice", "NONE", "market", 1),
    Endpoint("GET", "/api/v3/ticker/bookTicker", "NONE", "market", None),
    Endpoint("GET", "/api/v3/ticker/24hr", "NONE", "market", None),
    Endpoint("GET", "/api/v3/ticker", "NONE", "market", None),
    Endpoint("GET", "/api/v3/account", "SIGNED", "account", 10),
    Endpoint("GET", "/sapi/v3/accountStatus", "SIGNED", "account", 1),
    Endpoint("GET", "/sapi/v3/apiTradingStatus", "SIGNED", "account", 1),
    Endpoint("GET", "/sapi/v1/asset/assetDistributionHistory", "SIGNED", "account", 1),
    Endpoint("GET", "/sapi/v1/asset/query/trading-fee", "SIGNED", "account", 1),
    Endpoint("GET", "/sapi/v1/asset/query/trading-volume", "SIGNED", "account", 1),
    Endpoint("GET", "/sapi/v3/sub-account/list", "SIGNED", "subaccount", 1),
    Endpoint("GET", "/sapi/v3/sub-account/transfer/history", "SIGNED", "subaccount", 1),
    Endpoint("POST", "/sapi/v3/sub-account/transfer", "SIGNED", "subaccount", 1),
    Endpoint("GET", "/sapi/v3/sub-account/assets", "SIGNED", "subaccount", 1),
    Endpoint("GET", "/sapi/v1/sub-account/spotSummary", "SIGNED", "subaccount", 1),
    Endpoint("GET", "/sapi/v1/sub-account/status", "SIGNED", "subaccount", 1),
    Endpoint("GET", "/api/v3/rateLimit/order", "SIGNED", "trading", 20),
    Endpoint("POST", "/api/v3/order", "SIGNED", "trading", 1),
    Endpoint("POST", "/api/v3/order/test", "SIGNED", "trading", 1),
    Endpoint("GET", "/api/v3/order", "SIGNED", "trading", 2),
    Endpoint("GET", "/api/v3/openOrders", "SIGNED", "trading", None),
    Endpoint("DELETE", "/api/v3/order", "SIGNED", "trading", 1),
    Endpoint("DELETE", "/api/v3/openOrders", "SIGNED", "trading", 1),
    Endpoint("GET", "/api/v3/myTrades", "SIGNED", "trading", 10),
    Endpoint("POST", "/api/v3/order/cancelReplace", "SIGNED", "trading", 1),
    Endpoint("GET", "/api/v3/myPreventedMatches", "SIGNED", "trading", None),
    Endpoint("GET", "/api/v3/allOrders", "SIGNED", "trading", 10),
    Endpoint("POST", "/api/v3/order/oco", "SIGNED", "trading", 1),
    Endpoint("GET", "/api/v3/orderList", "SIGNED", "trading", 2),
    Endpoint("GET", "/api/v3/allOrderList", "SIGNED", "trading", 10),
    Endpoint("GET", "/api/v3/openOrderList", "SIGNED", "trading", 3),
    Endpoint("DELETE", "/api/v3/orderList", "SIGNED", "trading", 1),
    Endpoint("GET", "/sapi/v1/otc/coinPairs", "SIGNED", "otc", 1),
    Endpoint("POST", "/sapi/v1/otc/quotes", "SIGNED", "otc", 1),
    Endpoint("POST", "/sapi/v1/otc/orders", "SIGNED", "otc", 1),
    Endpoint("GET", "/sapi/v1/otc/orders/{orderId}", "SIGNED", "otc", 1),
    Endpoint("GET", "/sapi/v1/otc/orders", "SIGNED", "otc", 1),
    Endpoint("GET", "/sapi/v1/ocbs/orders", "SIGNED", "otc", 1),
    Endpoint("GET", "/sapi/v1/capital/config/getall", "SIGNED", "wallet", 1),
    Endpoint("POST", "/sapi/v1/fiatpayment/withdraw/apply", "SIGNED", "wallet", 1),
    Endpoint("POST", "/sapi/v1/capital/withdraw/apply", "SIGNED", "wallet", 1),
    Endpoint("GET", "/sapi/v1/capital/withdraw/history", "SIGNED", "wallet", 1),
    Endpoint("GET", "/sapi/v1/fiatpayment/query/withdraw/history", "SIGNED", "wallet", 1),
    Endpoint("GET", "/sapi/v1/capital/deposit/address", "SIGNED", "wallet", 1),
    Endpoint("GET", "/sapi/v1/capital/deposit/hisrec", "SIGNED", "wallet", 1),
    Endpoint("GET", "/sapi/v1/fiatpayment/query/deposit/history", "SIGNED", "wallet", 1),
    Endpoint("GET", "/sapi/v1/capital/sub-account/deposit/address", "SIGNED", "wallet", 1),
    Endpoint("GET", "/sapi/v1/capital/sub-account/deposit/history", "SIGNED", "wallet", 1),
    Endpoint("POST", "/sapi/v1/asset/dust", "SIGNED", "dust", 10),
    Endpoint("GET", "/sapi/v1/asset/query/dust-logs", "SIGNED", "dust", 1),
    Endpoint("GET", "/sapi/v1/asset/query/dust-assets", "SIGNED", "dust", 1),
    Endpoint("GET", "/sapi/v1/marketing/referral/reward/history", "SIGNED", "referral", 1),
    Endpoint("GET", "/sapi/v1/staking/asset", "SIGNED", "staking", 1),
    Endpoint("POST", "/sapi/v1/staking/stake", "SIGNED", "staking", 1),
    Endpoint("POST", "/sapi/v1/staking/unstake", "SIGNED", "staking", 1),
    Endpoint("GET", "/sapi/v1/staking/stakingBalance", "SIGNED", "staking", 1),
    Endpoint("GET", "/sapi/v1/staking/history", "SIGNED", "staking", 1),
    Endpoint("GET", "/sapi/v1/staking/stakingRewardsHistory", "SIGNED", "staking", 1),
    Endpoint("GET", "/sapi/v1/custodian/balance", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v1/custodian/supportedAssetList", "SIGNED", "custody", 1),
    Endpoint("POST", "/sapi/v1/custodian/walletTransfer", "SIGNED", "custody", 1),
    Endpoint("POST", "/sapi/v1/custodian/custodianTransfer", "SIGNED", "custody", 1),
    Endpoint("POST", "/sapi/v1/custodian/undoTransfer", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v1/custodian/walletTransferHistory", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v1/custodian/custodianTransferHistory", "SIGNED", "custody", 1),
    Endpoint("POST", "/sapi/v1/custodian/order", "SIGNED", "custody", 1),
    Endpoint("POST", "/sapi/v1/custodian/ocoOrder", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v1/custodian/openOrders", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v1/custodian/order", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v1/custodian/orderHistory", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v1/custodian/tradeHistory", "SIGNED", "custody", 1),
    Endpoint("DELETE", "/sapi/v1/custodian/cancelOrder", "SIGNED", "custody", 1),
    Endpoint("DELETE", "/sapi/v1/custodian/cancelOrdersBySymbol", "SIGNED", "custody", 1),
    Endpoint("DELETE", "/sapi/v1/custodian/cancelOcoOrder", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v1/custodian/settlementSetting", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v1/custodian/settlementHistory", "SIGNED", "custody", 1),
    Endpoint("GET", "/sapi/v2/cl/account", "SIGNED", "credit_line", 10),
    Endpoint("GET", "/sapi/v2/cl/alertHistory", "SIGNED", "credit_line", 1),
    Endpoint("GET", "/sapi/v1/cl/transferHistory", "SIGNED", "credit_line", 1),
    Endpoint("POST", "/sapi/v1/cl/transfer", "SIGNED", "credit_line", 1),
    Endpoint("GET", "/sapi/v1/apipartner/checkEligibility", "SIGNED", "api_partner", 1),
    Endpoint("GET", "/sapi/v1/apipartner/rebateHistory", "SIGNED", "api_partner", 1),
    Endpoint("POST", "/api/v3/userDataStream", "USER_STREAM", "user_stream", 1),
    Endpoint("PUT", "/api/v3/userDataStream", "USER_STREAM", "user_stream", 1),
    Endpoint("DELETE", "/api/v3/userDataStream", "USER_STREAM", "user_stream", 1),
    Endpoint("GET", "/sapi/v1/apiReferral/ifNewUser", "SIGNED", "broker_referral", 1),
    Endpoint("POST", "/sapi/v1/apiReferral/customization", "SIGNED", "broker_referral", 1),
    Endpoint("GET", "/sapi/v1/apiReferral/customization", "SIGNED", "broker_referral", 1),
    Endpoint("POST", "/sapi/v1/apiReferral/userCustomization", "SIGNED", "broker_referral", 1),
    Endpoint("GET", "/sapi/v1/apiReferral/userCustomization", "SIGNED", "broker_referral", 1),
    Endpoint("GET", "/sapi/v1/apiReferral/rebate/recentRecord", "SIGNED", "broker_referral", 1),
    Endpoint("GET", "/sapi/v1/apiReferral/kickback/recentRecord", "SIGNED", "broker_referral", 1),
    Endpoint(
        "POST", "/sapi/v1/apiReferral/kickback/historicalRecord", "SIGNED", "broker_referral", 1
    ),
    Endpoint(
        "GET", "/sapi/v1/apiReferral/kickback/historicalRecord", "SIGNED", "broker_referral", 1
    ),
)

_EXACT = {(e.method, e.path): e for e in ENDPOINTS}
_PATHS = {e.path for e in ENDPOINTS}


def find(method: str, path: str) -> Endpoint | None:
    """The endpoint for `method path`, also matching `{param}` path segments."""
    hit = _EXACT.get((method, path))
    if hit is not None:
        return hit
    parts = path.split("/")
    for e in ENDPOINTS:
        if "{" in e.path and e.method == method:
            pattern = e.path.split("/")
            if len(pattern) == len(parts) and all(
                p == q or p.startswith("{") for p, q in zip(pattern, parts, strict=True)
            ):
                return e
    return None


def path_known(path: str) -> bool:
    return path in _PATHS
