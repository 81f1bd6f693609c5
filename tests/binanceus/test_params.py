"""The keyword-parameter groups (``**params: Unpack[Group]``): mapped to the wire like any
other keyword, and a keyword a group does not declare fails as Python fails it."""

from __future__ import annotations

import inspect
import typing
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

import binanceus as bu
from binanceus._params import IdWindow, OrderParams, PagedWindow, group_keys, keywords

from .helpers import sent_params
from .spec_examples import ORDER_FULL

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def test_it_maps_a_group_to_camel_case_wire_names_and_drops_what_is_not_given(fake, client):
    fake.reply("GET", "/sapi/v1/staking/history", [])
    client.staking_history(asset="ETH", start_time=T0, page=2)
    assert sent_params(fake.requests[-1]) == {
        "asset": "ETH",
        "startTime": "1709294400000",
        "page": "2",
    }


def test_it_refuses_a_keyword_no_group_declares_as_python_does(fake, client):
    with pytest.raises(
        TypeError, match=r"all_orders\(\) got an unexpected keyword argument 'limt'"
    ):
        client.all_orders(symbol="BTCUSD", limt=5)
    with pytest.raises(TypeError, match="unexpected keyword argument 'page'"):
        client.agg_trades("BTCUSD", page=1)  # IdWindow pages by id, not by page
    with pytest.raises(TypeError, match=r"new_order\(\) got an unexpected keyword argument"):
        client.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantiy=D(1))
    with pytest.raises(TypeError, match=r"check_order\(\) got an unexpected keyword argument"):
        bu.check_order(None, side="BUY", type="MARKET", qty=D(1))  # type: ignore[arg-type]
    assert fake.requests == []


def test_it_still_requires_what_the_group_requires(fake, client):
    with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'type'"):
        client.new_order(symbol="BTCUSD", side="BUY", quantity=D(1))
    with pytest.raises(TypeError, match=r"missing 2 required .*: 'price' and 'stop_price'"):
        client.new_oco(symbol="BTCUSD", side="SELL", quantity=D(1))
    assert fake.requests == []


def test_it_keeps_the_checks_the_methods_make(client):
    with pytest.raises(ValueError, match="from_id cannot be combined"):
        client.agg_trades("BTCUSD", from_id=1, start_time=T0)
    with pytest.raises(ValueError, match="naive datetime"):
        client.all_orders(symbol="BTCUSD", start_time=datetime(2024, 3, 1))
    with pytest.raises(ValueError, match="less than 90 days"):
        client.fiat_deposit_history(start_time=T0, end_time=T0)


def test_it_places_an_order_from_the_shared_order_parameters(fake, client):
    fake.reply("POST", "/api/v3/order", ORDER_FULL)
    client.new_order(
        symbol="BTCUSD",
        side="buy",
        type="limit",
        time_in_force="gtc",
        quantity=D("0.5"),
        price=D("20000"),
        new_client_order_id="desk-9",
    )
    assert list(sent_params(fake.requests[-1])) == [
        "symbol",
        "side",
        "type",
        "timeInForce",
        "quantity",
        "price",
        "newClientOrderId",
        "newOrderRespType",
    ]
    assert sent_params(fake.requests[-1])["timeInForce"] == "GTC"


def test_each_group_method_annotates_its_group():
    hints = typing.get_type_hints(bu.Client.all_orders, include_extras=True)
    assert hints["window"] == typing.Unpack[bu._params.Window]
    assert group_keys(IdWindow) == {"start_time", "end_time", "limit", "from_id"}
    assert group_keys(PagedWindow) == {"start_time", "end_time", "limit", "page"}
    assert {"side", "type", "quantity", "new_client_order_id"} <= group_keys(OrderParams)
    kind = inspect.signature(bu.Client.new_order).parameters["order"].kind
    assert kind is inspect.Parameter.VAR_KEYWORD


def test_keywords_words_its_errors_as_python():
    def f(*, side: str, type: str) -> None: ...

    with pytest.raises(TypeError) as python:
        f()  # type: ignore[call-arg]
    with pytest.raises(TypeError) as ours:
        keywords(f.__qualname__, bu._params.OrderShape, {})
    assert str(ours.value) == str(python.value)


def test_streams_and_errors_refuse_unknown_options():
    with pytest.raises(TypeError, match=r"MarketStream.__init__\(\) got an unexpected keyword"):
        bu.MarketStream("ws://x", ping_intervall=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'streams'"):
        bu.UserStream("ws://x", "key", streams=["a"])
    with pytest.raises(TypeError, match=r"MarketStreamPool.__init__\(\) got an unexpected"):
        bu.MarketStreamPool("ws://x", reconect=False)
    err = bu.ExecutionUnknown("m", endpoint="POST /api/v3/order", client_order_id="c", code=-1007)
    assert (err.client_order_id, err.code, err.status, err.params) == ("c", -1007, None, {})
    with pytest.raises(TypeError, match="unexpected keyword argument 'coid'"):
        bu.ExecutionUnknown("m", endpoint="e", coid="c")
    limited = bu.RateLimited(429, -1003, "slow down", endpoint="GET /x", retry_after=2.0)
    assert (limited.status, limited.code, limited.retry_after) == (429, -1003, 2.0)
    named = bu.IPBanned(status=418, code=None, msg="banned", retry_after=60.0)
    assert (named.status, named.msg, named.endpoint, named.retry_after) == (418, "banned", None, 60)
    with pytest.raises(TypeError, match="missing 2 required positional arguments"):
        bu.RateLimited(429, retry_after=1.0)
