from __future__ import annotations

from decimal import Decimal

import pytest

from binanceus import format_decimal, sign
from binanceus._signing import encode_params, total_params

from .fakes import SPEC_SECRET, SPEC_TIMESTAMP


def test_it_signs_spec_example_1_request_body():
    body = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    assert sign(SPEC_SECRET, body) == (
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )


def test_it_signs_spec_example_2_query_string_with_the_true_hmac():
    # The spec prints Example 1's signature again for Example 2 (a copy-paste error); this is
    # the real HMAC-SHA256 of the query string, which `openssl dgst -sha256 -hmac` also gives.
    query = "symbol=BTCUSDT&timestamp=1499827319559"
    assert sign(SPEC_SECRET, query) == (
        "d97112c82a46aae604c384663068433947147d01a3c8cfad4a53903682ec2eca"
    )
    assert sign(SPEC_SECRET, query) != (
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )


def test_it_signs_spec_example_3_query_plus_body_concatenated_without_separator():
    query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
    body = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    assert total_params(query, body) == query + body
    assert sign(SPEC_SECRET, total_params(query, body)) == (
        "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
    )


def test_it_reproduces_example_1_on_the_wire(fake, client):
    fake.reply("POST", "/api/v3/order/test", {})
    client._call(
        "POST /api/v3/order/test",
        {
            "symbol": "LTCBTC",
            "side": "BUY",
            "type": "LIMIT",
            "timeInForce": "GTC",
            "quantity": Decimal("1"),
            "price": Decimal("0.1"),
        },
    )
    (sent,) = fake.calls("POST", "/api/v3/order/test")
    assert sent.query == ""
    assert sent.body == (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        f"&recvWindow=5000&timestamp={SPEC_TIMESTAMP}"
        "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.signature_valid(SPEC_SECRET)


def test_it_sends_get_params_in_the_query_string_with_the_signature_last(fake, client):
    fake.reply("GET", "/api/v3/openOrders", [])
    client.open_orders(symbol="BTCUSDT")
    (sent,) = fake.calls("GET", "/api/v3/openOrders")
    assert sent.body == ""
    assert sent.query == (
        f"symbol=BTCUSDT&recvWindow=5000&timestamp={SPEC_TIMESTAMP}"
        "&signature="
        + sign(SPEC_SECRET, f"symbol=BTCUSDT&recvWindow=5000&timestamp={SPEC_TIMESTAMP}")
    )
    assert sent.signature_valid(SPEC_SECRET)


def test_it_sends_delete_params_in_the_query_string(fake, client):
    from .spec_examples import ORDER_CANCELED

    fake.reply("DELETE", "/api/v3/order", ORDER_CANCELED)
    client.cancel_order(symbol="LTCBTC", order_id=4)
    (sent,) = fake.calls("DELETE", "/api/v3/order")
    assert sent.body == ""
    assert sent.query.startswith("symbol=LTCBTC&orderId=4&recvWindow=5000&timestamp=")
    assert sent.signature_valid(SPEC_SECRET)


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("1E-8"), "0.00000001"),
        (Decimal("1E+3"), "1000"),
        (Decimal("0.10000000"), "0.10000000"),
        (Decimal("123456789.123456789"), "123456789.123456789"),
        (Decimal("-0"), "0"),
    ],
)
def test_it_formats_decimals_without_exponent_notation(value, wire):
    assert format_decimal(value) == wire


def test_it_refuses_floats_on_the_wire():
    with pytest.raises(TypeError):
        encode_params({"price": 0.1})
    with pytest.raises(ValueError):
        format_decimal(Decimal("NaN"))


def test_it_encodes_symbol_lists_as_json_arrays():
    assert encode_params({"symbols": ["BTCUSDT", "BNBBTC"]}) == (
        "symbols=%5B%22BTCUSDT%22%2C%22BNBBTC%22%5D"
    )
