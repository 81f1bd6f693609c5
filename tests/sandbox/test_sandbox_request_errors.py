"""Request errors (spec "Error Responses"): each case sends one bad request over HTTP and
expects the spec's code and message. Requests are built from raw query strings so that
duplicates, empty values and odd encodings reach the exchange exactly as written."""

from __future__ import annotations

import pytest
import requests

from tests.sandbox.sandbox_support import new_account, now_ms, sign

ORDER = "symbol=BTCUSD&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=50000"
MARKET = "symbol=BTCUSD&side=BUY&type=MARKET"
ILLEGAL_LONG = "the legal range is '^-?[0-9]{1,19}$'."
ILLEGAL_DECIMAL = "the legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'."


def mandatory(name: str) -> str:
    return f"Mandatory parameter '{name}' was not sent, was empty/null, or was malformed."


def call(
    base: str,
    acct: dict,
    method: str,
    path: str,
    query: str = "",
    *,
    signed: bool = True,
    timestamp_offset: int = 0,
    api_key: str | None = None,
    signature: str | None = None,
) -> requests.Response:
    """`query` as written, plus timestamp and signature when `signed`."""
    if signed:
        query = "&".join(p for p in (query, f"timestamp={now_ms() + timestamp_offset}") if p)
        query += "&signature=" + (signature or sign(acct["secretKey"], query))
    headers = {"X-MBX-APIKEY": acct["apiKey"] if api_key is None else api_key}
    url = f"{base}{path}?{query}" if query else f"{base}{path}"
    return requests.request(method, url, headers=headers, timeout=5)


# (method, path, query, call options, HTTP status, code, message)
CASES = [
    ("GET", "/api/v3/ping", "a=1", {"signed": False}, 400, -1101, None),
    ("GET", "/api/v3/depth", "symbol=BTCUSD&symbol=ETHUSD", {"signed": False}, 400, -1101, None),
    ("GET", "/api/v3/depth", "symbol=BTCUSD&lmit=5", {"signed": False}, 400, -1104, None),
    ("GET", "/api/v3/depth", "", {"signed": False}, 400, -1102, mandatory("symbol")),
    ("GET", "/api/v3/depth", "symbol=", {"signed": False}, 400, -1102, mandatory("symbol")),
    (
        "GET",
        "/api/v3/depth",
        "symbol=BTCUSD&limit=",
        {"signed": False},
        400,
        -1105,
        "Parameter 'limit' was empty.",
    ),
    (
        "GET",
        "/api/v3/trades",
        "symbol=BTCUSD&limit=ten",
        {"signed": False},
        400,
        -1100,
        f"Illegal characters found in parameter 'limit'; {ILLEGAL_LONG}",
    ),
    (
        "GET",
        "/api/v3/trades",
        "symbol=BTCUSD&limit=9999999999999999999",
        {"signed": False},
        400,
        -1108,
        "Parameter 'limit' overflowed.",
    ),
    (
        "GET",
        "/api/v3/klines",
        "symbol=BTCUSD&interval=2m",
        {"signed": False},
        400,
        -1120,
        "Invalid interval.",
    ),
    ("GET", "/api/v3/depth", "symbol=NOPE", {"signed": False}, 400, -1121, "Invalid symbol."),
    (
        "GET",
        "/api/v3/ticker",
        "symbols=BTCUSD",
        {"signed": False},
        400,
        -1135,
        "JSON sent for parameter 'symbols' is not valid",
    ),
    (
        "GET",
        "/api/v3/ticker",
        "symbol=BTCUSD&windowSize=9x",
        {"signed": False},
        400,
        -1130,
        "Data sent for parameter 'windowSize' is not valid.",
    ),
    (
        "GET",
        "/api/v3/ticker/24hr",
        'symbol=BTCUSD&symbols=["ETHUSD"]',
        {"signed": False},
        400,
        -1128,
        "Combination of optional parameters invalid.",
    ),
    ("GET", "/api/v3/nope", "", {"signed": False}, 404, -1020, "This operation is not supported."),
    # Signed requests: keys, signature and timing.
    ("GET", "/api/v3/account", "", {"api_key": "short"}, 401, -2014, "API-key format invalid."),
    (
        "GET",
        "/api/v3/account",
        "",
        {"api_key": "A" * 64},
        401,
        -2015,
        "Invalid API-key, IP, or permissions for action.",
    ),
    (
        "GET",
        "/api/v3/account",
        "",
        {"signature": "0" * 64},
        400,
        -1022,
        "Signature for this request is not valid.",
    ),
    (
        "GET",
        "/api/v3/account",
        "",
        {"timestamp_offset": -6000},
        400,
        -1021,
        "Timestamp for this request is outside of the recvWindow.",
    ),
    (
        "GET",
        "/api/v3/account",
        "recvWindow=10000",
        {"timestamp_offset": 1500},
        400,
        -1021,
        "Timestamp for this request was 1000ms ahead of the server's time.",
    ),
    (
        "GET",
        "/api/v3/account",
        "recvWindow=60001",
        {},
        400,
        -1130,
        "Data sent for parameter 'recvWindow' is not valid.",
    ),
    ("GET", "/api/v3/account", "", {"signed": False}, 400, -1102, mandatory("timestamp")),
    ("GET", "/api/v3/account", "junk=1", {}, 400, -1104, None),
    (
        "GET",
        "/api/v3/account",
        "recvWindow=",
        {},
        400,
        -1105,
        "Parameter 'recvWindow' was empty.",
    ),
    # Orders.
    ("POST", "/api/v3/order", ORDER.replace("BUY", "UP"), {}, 400, -1117, "Invalid side."),
    ("POST", "/api/v3/order", ORDER.replace("LIMIT", "FOO"), {}, 400, -1116, "Invalid orderType."),
    (
        "POST",
        "/api/v3/order",
        ORDER.replace("GTC", "GTX"),
        {},
        400,
        -1115,
        "Invalid timeInForce.",
    ),
    (
        "POST",
        "/api/v3/order",
        ORDER.replace("type=LIMIT", "type=LIMIT_MAKER"),
        {},
        400,
        -1114,
        "TimeInForce parameter sent when not required.",
    ),
    (
        "POST",
        "/api/v3/order",
        f"{MARKET}&quantity=0.001&price=50000",
        {},
        400,
        -1106,
        "Parameter 'price' sent when not required.",
    ),
    (
        "POST",
        "/api/v3/order",
        ORDER.replace("0.001", "0.000000001"),
        {},
        400,
        -1111,
        "Precision is over the maximum defined for this asset.",
    ),
    (
        "POST",
        "/api/v3/order",
        ORDER.replace("0.001", "100000000000"),
        {},
        400,
        -1108,
        "Parameter 'quantity' overflowed.",
    ),
    (
        "POST",
        "/api/v3/order",
        ORDER.replace("0.001", "1e-3"),
        {},
        400,
        -1100,
        f"Illegal characters found in parameter 'quantity'; {ILLEGAL_DECIMAL}",
    ),
    (
        "POST",
        "/api/v3/order",
        f"{MARKET}&quantity=0.001&quoteOrderQty=50",
        {},
        400,
        -1128,
        "Combination of optional parameters invalid.",
    ),
    (
        "POST",
        "/api/v3/order",
        MARKET,
        {},
        400,
        -1102,
        "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null.",
    ),
    (
        "POST",
        "/api/v3/order",
        f"{ORDER}&newClientOrderId=",
        {},
        400,
        -1118,
        "New client order ID was empty.",
    ),
    (
        "POST",
        "/api/v3/order",
        ORDER.replace("0.001", "2"),
        {},
        400,
        -2010,
        "Account has insufficient balance for requested action.",
    ),
    (
        "POST",
        "/api/v3/order",
        ORDER.replace("50000", "50000.001"),
        {},
        400,
        -1013,
        "Filter failure: PRICE_FILTER",
    ),
    (
        "GET",
        "/api/v3/order",
        "symbol=BTCUSD&orderId=987654321",
        {},
        400,
        -2013,
        "Order does not exist.",
    ),
    (
        "GET",
        "/api/v3/order",
        "symbol=BTCUSD&origClientOrderId=",
        {},
        400,
        -1119,
        "Original client order ID was empty.",
    ),
    (
        "DELETE",
        "/api/v3/order",
        "symbol=BTCUSD&orderId=987654321",
        {},
        400,
        -2011,
        "Unknown order sent.",
    ),
    (
        "DELETE",
        "/api/v3/order",
        "symbol=BTCUSD&orderId=1&cancelRestrictions=ONLY_OLD",
        {},
        400,
        -1145,
        "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED.",
    ),
    (
        "PUT",
        "/api/v3/userDataStream",
        "listenKey=" + "x" * 60,
        {"signed": False},
        400,
        -1125,
        "This listenKey does not exist.",
    ),
]


@pytest.fixture(scope="module")
def acct(quiet_url: str) -> dict:
    return new_account(quiet_url, {"USD": "1000", "BTC": "1"})


@pytest.mark.parametrize(
    ("method", "path", "query", "options", "status", "code", "msg"),
    CASES,
    ids=[f"{c[5]}-{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_it_answers_the_spec_error(
    quiet_url: str,
    acct: dict,
    method: str,
    path: str,
    query: str,
    options: dict,
    status: int,
    code: int,
    msg: str | None,
) -> None:
    resp = call(quiet_url, acct, method, path, query, **options)
    body = resp.json()
    assert (resp.status_code, body["code"]) == (status, code), body
    if msg is not None:
        assert body["msg"] == msg


def test_it_counts_read_and_sent_parameters_in_the_unread_message(
    quiet_url: str, acct: dict
) -> None:
    resp = call(quiet_url, acct, "GET", "/api/v3/depth", "symbol=BTCUSD&lmit=5", signed=False)
    assert resp.json()["msg"] == (
        "Not all sent parameters were read; read '1' parameter(s) but was sent '2'."
    )
    ping = call(quiet_url, acct, "GET", "/api/v3/ping", "a=1&b=2", signed=False)
    assert ping.json()["msg"] == "Too many parameters; expected '0' and received '2'."
    dup = call(quiet_url, acct, "GET", "/api/v3/ping", "a=1&a=2", signed=False)
    assert dup.json() == {"code": -1101, "msg": "Duplicate values for a parameter detected."}
