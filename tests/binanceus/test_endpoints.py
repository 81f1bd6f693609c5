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
    assert len(bu.ENDPOINTS) == len({(r["method"], r["path"]) for r in rows}) == 104
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


def _area_classes() -> list[type]:
    """The per-area methods classes composed into Client (each declares its ``areas``)."""
    return [c for c in bu.Client.__mro__ if vars(c).get("areas")]


def test_it_types_methods_only_for_endpoints_in_the_table():
    cov = bu.coverage()
    assert set(cov.modeled) <= set(bu.ENDPOINTS)
    assert set(cov.modeled) | set(cov.unmodeled) == set(bu.ENDPOINTS)
    assert not set(cov.modeled) & set(cov.unmodeled)
    assert f"{len(cov.modeled)}/{len(bu.ENDPOINTS)} endpoints typed" in str(cov)
    assert cov.ratio == len(cov.modeled) / len(bu.ENDPOINTS)


def test_it_types_every_endpoint_of_each_area_the_client_covers():
    cov = bu.coverage()
    classes = _area_classes()
    covered = {area for c in classes for area in c.areas}
    not_typed = {key for c in classes for key in c.not_typed}
    assert covered <= {ep.area for ep in bu.ENDPOINTS.values()}
    for key, ep in bu.ENDPOINTS.items():
        if ep.area in covered:
            assert (key in cov.modeled) != (key in not_typed), key
    # The areas the desk relies on are whole: no declared gaps.
    whole = ("system", "market", "account", "subaccount", "trading", "credit_line")
    whole += ("otc", "dust", "referral", "api_partner", "broker_referral")
    for area in whole:
        assert area in covered and not any(bu.ENDPOINTS[k].area == area for k in not_typed)
    assert "user_stream" in covered


def test_each_area_class_binds_endpoints_of_its_areas_or_of_uncovered_ones():
    """A method may type an endpoint ahead of its whole area (the sub-account deposit calls
    are ``wallet`` endpoints), never one of an area another class covers."""
    classes = _area_classes()
    covered = {area for c in classes for area in c.areas}
    for cls in classes:
        for name, member in vars(cls).items():
            key = getattr(member, "__endpoint__", None)
            if key is not None:
                area = bu.ENDPOINTS[key].area
                assert area in cls.areas or area not in covered, (cls.__name__, name, key)
        assert all(bu.ENDPOINTS[key].area in cls.areas for key in cls.not_typed), cls


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
