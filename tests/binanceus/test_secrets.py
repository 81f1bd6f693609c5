from __future__ import annotations

import logging
import pickle
import traceback
from decimal import Decimal

import pytest
import requests

import binanceus as bu
from binanceus._signing import Secret

from .fakes import SPEC_API_KEY, SPEC_SECRET, make_client


def test_it_keeps_the_secret_out_of_reprs(fake, client):
    for text in (repr(client), str(client), repr(vars(client)), repr(client._secret)):
        assert SPEC_SECRET not in text
    assert SPEC_API_KEY not in repr(client)
    with pytest.raises(TypeError):
        pickle.dumps(Secret(SPEC_SECRET))


def test_it_keeps_secrets_and_signatures_out_of_errors_and_logs(fake, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(fake)
    fake.reply(
        "GET",
        "/api/v3/account",
        {"code": -1022, "msg": "Signature for this request is not valid."},
        status=400,
    )
    fake.fail("POST", "/api/v3/order", requests.ReadTimeout("read timed out"))
    fake.reply("GET", "/api/v3/openOrders", {"code": -1000, "msg": "x"}, status=500)
    fake.fail(
        "DELETE",
        "/api/v3/order",
        requests.ConnectionError("Max retries exceeded with url: /api/v3/order?signature=abc"),
    )
    errors: list[BaseException] = []
    calls = [
        client.account,
        lambda: client.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=Decimal(1)),
        lambda: client.open_orders(symbol="BTCUSD"),
        lambda: client.cancel_order(symbol="BTCUSD", order_id=1),
    ]
    for call in calls:
        with pytest.raises(bu.BinanceUSError) as info:
            call()
        errors.append(info.value)
    signatures = [r.params["signature"] for r in fake.requests if "signature" in r.params]
    assert len(signatures) == 4
    texts = [str(e) for e in errors] + [repr(e) for e in errors]
    texts += ["".join(traceback.format_exception(e)) for e in errors]
    texts += [r.getMessage() for r in caplog.records]
    texts += [str(r.args) for r in caplog.records]
    blob = "\n".join(texts)
    assert SPEC_SECRET not in blob
    assert "signature=" not in blob
    for sig in signatures:
        assert sig not in blob
    assert any("execution status unknown" in r.getMessage() for r in caplog.records)
