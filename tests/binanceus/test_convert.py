"""OTC and dust methods against the in-process fake, fed the spec's example responses."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests

import binanceus as bu

from .fakes import SPEC_SECRET, SPEC_TIMESTAMP
from .helpers import assert_signed, assert_typed, sent_params
from .spec_examples import (
    DUST_ASSETS,
    DUST_CONVERT,
    DUST_LOGS,
    OCBS_ORDERS_TEXT,
    OTC_COIN_PAIRS_TEXT,
    OTC_ORDER_ACK_TEXT,
    OTC_ORDER_TEXT,
    OTC_ORDERS_TEXT,
    OTC_QUOTE_ID,
    OTC_QUOTE_TEXT,
)

QUOTES = "/sapi/v1/otc/quotes"
ORDERS = "/sapi/v1/otc/orders"
DUST = "/sapi/v1/asset/dust"
UNKNOWN_500 = {"code": -1000, "msg": "An unknown error occurred while processing the request."}


def _with(text: str, **extra: object) -> str:
    return json.dumps({**json.loads(text), **extra})


def test_the_otc_and_dust_areas_are_typed_whole_by_the_convert_methods():
    modeled = bu.coverage().modeled
    otc = {k for k, ep in bu.ENDPOINTS.items() if ep.area == "otc"}
    dust = {k for k, ep in bu.ENDPOINTS.items() if ep.area == "dust"}
    assert (len(otc), len(dust)) == (6, 3)
    assert otc | dust <= set(modeled)
    assert {bu.ENDPOINTS[k].security for k in otc | dust} == {"SIGNED"}
    assert bu.ENDPOINTS["POST /sapi/v1/asset/dust"].weight_for({}) == 10  # Weight(UID): 10


def test_it_reads_the_coin_pairs_and_their_bounds(fake, client):
    fake.reply("GET", "/sapi/v1/otc/coinPairs", text=OTC_COIN_PAIRS_TEXT)
    pairs = client.otc_coin_pairs(from_coin="BTC", to_coin="USDT")
    (rec,) = fake.calls("GET", "/sapi/v1/otc/coinPairs")
    assert_signed(rec)
    assert sent_params(rec) == {"fromCoin": "BTC", "toCoin": "USDT"}
    btc, usdt = pairs
    assert (btc.from_coin, btc.to_coin) == ("BTC", "USDT")
    assert btc.from_coin_min_amount == Decimal("0.1") and btc.from_coin_max_amount == 100
    assert (btc.to_coin_min_amount, btc.to_coin_max_amount) == (1000, 500000)
    assert (usdt.from_coin, usdt.to_coin, usdt.to_coin_max_amount) == ("USDT", "BNB", 4000)
    assert_typed(pairs)
    assert all(type(v) is Decimal for v in (btc.from_coin_min_amount, usdt.to_coin_min_amount))
    fake.reply("GET", "/sapi/v1/otc/coinPairs", text="[]")
    assert client.otc_coin_pairs() == []
    assert sent_params(fake.calls("GET", "/sapi/v1/otc/coinPairs")[1]) == {}


def test_it_asks_for_a_quote_whose_times_are_in_seconds(fake, client):
    fake.reply("POST", QUOTES, text=OTC_QUOTE_TEXT)
    quote = client.otc_quote(
        from_coin="BTC", to_coin="USDT", request_coin="BTC", request_amount=Decimal(1)
    )
    (rec,) = fake.calls("POST", QUOTES)
    assert_signed(rec)
    assert rec.query == ""
    assert rec.body.startswith("fromCoin=BTC&toCoin=USDT&requestCoin=BTC&requestAmount=1&")
    assert quote == bu.OtcQuote(
        symbol="BTCUSDT",
        ratio=Decimal("50550.26"),
        inverse_ratio=Decimal("0.00001978"),
        valid_until=datetime(2022, 1, 10, 9, 25, 14, tzinfo=UTC),  # 1641806714 s
        to_amount=Decimal("50550.26"),
        from_amount=Decimal(1),
        quote_id=None,  # the spec's answer has none
    )
    assert_typed(quote)
    fake.reply("POST", QUOTES, text=_with(OTC_QUOTE_TEXT, quoteId=OTC_QUOTE_ID))
    quote = client.otc_quote(
        from_coin="SHIB", to_coin="KSHIB", request_coin="SHIB", request_amount=Decimal(50000)
    )
    assert quote.quote_id == OTC_QUOTE_ID
    assert sent_params(fake.calls("POST", QUOTES)[1])["requestAmount"] == "50000"


def test_it_refuses_a_quote_for_another_coin_or_a_non_positive_amount(fake, client):
    with pytest.raises(ValueError, match="request_coin"):
        client.otc_quote(
            from_coin="BTC", to_coin="USDT", request_coin="ETH", request_amount=Decimal(1)
        )
    with pytest.raises(ValueError, match="positive"):
        client.otc_quote(
            from_coin="BTC", to_coin="USDT", request_coin="BTC", request_amount=Decimal(0)
        )
    with pytest.raises(TypeError, match="Decimal"):
        client.otc_quote(from_coin="BTC", to_coin="USDT", request_coin="BTC", request_amount=0.5)
    assert fake.requests == []


def test_it_places_an_order_from_a_quote_id(fake, client):
    fake.reply("POST", ORDERS, text=OTC_ORDER_ACK_TEXT)
    ack = client.otc_place_order(quote_id=OTC_QUOTE_ID)
    (rec,) = fake.calls("POST", ORDERS)
    assert_signed(rec)
    assert sent_params(rec) == {"quoteId": OTC_QUOTE_ID}
    assert ack == bu.OtcOrderAck(
        order_id="10002349",
        created=datetime(2022, 1, 11, 13, 11, 54, tzinfo=UTC),  # 1641906714 s
        status="PROCESS",
    )
    with pytest.raises(ValueError, match="quote_id"):
        client.otc_place_order(quote_id="")
    assert len(fake.calls("POST", ORDERS)) == 1


@pytest.mark.parametrize(
    "failure",
    [
        {"body": UNKNOWN_500, "status": 500},
        {"exc": requests.ReadTimeout("read timed out")},
    ],
    ids=["500", "timeout"],
)
def test_an_unknown_order_outcome_carries_the_quote_id_and_is_never_resent(fake, client, failure):
    if "exc" in failure:
        fake.fail("POST", ORDERS, failure["exc"])
    else:
        fake.reply("POST", ORDERS, failure["body"], status=failure["status"])
    fake.reply("POST", ORDERS, text=OTC_ORDER_ACK_TEXT)
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.otc_place_order(quote_id=OTC_QUOTE_ID)
    err = info.value
    assert err.endpoint == "POST /sapi/v1/otc/orders"
    assert err.params == {"quoteId": OTC_QUOTE_ID} and err.client_order_id is None
    assert len(fake.calls("POST", ORDERS)) == 1


def test_the_documented_503_on_an_order_is_not_executed_and_not_resent(fake, client):
    fake.reply("POST", ORDERS, text="Service Unavailable.", status=503)
    fake.reply("POST", ORDERS, text=OTC_ORDER_ACK_TEXT)
    with pytest.raises(bu.ServiceUnavailable) as info:
        client.otc_place_order(quote_id=OTC_QUOTE_ID)
    assert not isinstance(info.value, bu.ExecutionUnknown)
    assert len(fake.calls("POST", ORDERS)) == 1


def test_it_reads_one_order_with_its_id_in_the_path_only(fake, client):
    fake.reply("GET", "/sapi/v1/otc/orders/10002349", text=OTC_ORDER_TEXT)
    order = client.otc_order(order_id="10002349")
    (rec,) = fake.calls("GET", "/sapi/v1/otc/orders/10002349")
    assert_signed(rec)
    assert sent_params(rec) == {}  # the spec's example signs timestamp alone
    assert order == bu.OtcOrder(
        quote_id=OTC_QUOTE_ID,
        order_id="10002349",
        status="SUCCESS",
        from_coin="BTC",
        from_amount=Decimal(1),
        to_coin="USDT",
        to_amount=Decimal("50550.26"),
        ratio=Decimal("50550.26"),
        inverse_ratio=Decimal("0.00001978"),
        created=datetime(2022, 1, 10, 9, 25, 14, tzinfo=UTC),
    )
    assert order.final
    assert_typed(order)
    with pytest.raises(ValueError, match="order_id"):
        client.otc_order(order_id="")


def test_it_reads_a_page_of_orders_with_its_filters(fake, client):
    fake.reply("GET", ORDERS, text=OTC_ORDERS_TEXT)
    page = client.otc_orders(
        from_coin="BTC",
        to_coin="USDT",
        start_time=datetime(2022, 1, 10, tzinfo=UTC),
        end_time=datetime(2022, 1, 12, tzinfo=UTC),
        page=1,
        limit=100,
    )
    (rec,) = fake.calls("GET", ORDERS)
    assert_signed(rec)
    assert sent_params(rec) == {
        "fromCoin": "BTC",
        "toCoin": "USDT",
        "startTime": "1641772800000",
        "endTime": "1641945600000",
        "page": "1",
        "limit": "100",
    }
    assert page.total == 2
    first, second = page.rows
    assert (first.quote_id, first.order_id, first.status) == (OTC_QUOTE_ID, "10002349", "SUCCESS")
    assert (second.quote_id, second.order_id, second.status) == (
        "15848645308",
        "10002380",
        "PROCESS",
    )
    assert (second.from_coin, second.from_amount, second.to_coin, second.to_amount) == (
        "SHIB",
        Decimal(10000),
        "KSHIB",
        Decimal(10),
    )
    assert (second.ratio, second.inverse_ratio) == (Decimal("0.001"), Decimal(1000))
    assert second.created == datetime(2022, 1, 11, 15, 58, 34, tzinfo=UTC)  # 1641916714 s
    assert not second.final
    assert_typed(page)
    fake.reply("GET", ORDERS, {"total": 0, "rows": []})
    assert client.otc_orders(order_id="10002349") == bu.OtcOrderPage(total=0, rows=[])
    assert sent_params(fake.calls("GET", ORDERS)[1]) == {"orderId": "10002349"}


def test_it_reads_ocbs_orders_from_their_data_list(fake, client):
    fake.reply("GET", "/sapi/v1/ocbs/orders", text=OCBS_ORDERS_TEXT)
    page = client.ocbs_orders(order_id="10090821212", page=2, limit=10)
    (rec,) = fake.calls("GET", "/sapi/v1/ocbs/orders")
    assert_signed(rec)
    assert sent_params(rec) == {"orderId": "10090821212", "page": "2", "limit": "10"}
    assert page.total == 2
    done, failed = page.rows
    assert done == bu.OcbsOrder(
        quote_id="4e5446f2cc6f44ab86ab02abf19a7654",
        order_id="10090821212",
        status="SUCCESS",
        from_coin="BTC",
        from_amount=Decimal(1),
        to_coin="USD",
        to_amount=Decimal("50550.26"),
        fee_coin="USD",
        fee_amount=Decimal("0.26"),
        ratio=Decimal("50550.26"),
        created=datetime(2022, 1, 10, 9, 25, 14, tzinfo=UTC),
    )
    assert (failed.status, failed.from_amount, failed.fee_amount) == (
        "FAIL",
        Decimal("1000.5"),
        Decimal("0.5"),
    )
    assert_typed(page)


def test_it_sends_the_dust_assets_as_a_repeated_signed_key(fake, client):
    fake.reply("POST", DUST, DUST_CONVERT)
    result = client.dust_convert(from_assets=["BTC", "ETH"], to_asset="BNB")
    (rec,) = fake.calls("POST", DUST)
    head = f"fromAsset=BTC&fromAsset=ETH&toAsset=BNB&recvWindow=5000&timestamp={SPEC_TIMESTAMP}"
    signature = hmac.new(SPEC_SECRET.encode(), head.encode(), hashlib.sha256).hexdigest()
    assert rec.body == f"{head}&signature={signature}"
    assert rec.query == ""
    assert_signed(rec)
    assert result.total_transferred == Decimal("0.00289855")
    assert result.total_service_charge == Decimal("0.00005797")
    (ltc,) = result.results
    assert ltc == bu.DustResult(
        tran_id=28822799,
        from_asset="LTC",
        to_asset="BTC",
        amount=Decimal("0.2"),
        transferred_amount=Decimal("0.00289855"),
        service_charge_amount=Decimal("0.00005797"),
        operated=datetime(2022, 8, 4, 3, 24, 47, 273000, tzinfo=UTC),  # milliseconds here
        result="S",
    )
    assert ltc.ok
    assert_typed(result)
    fake.reply("POST", DUST, DUST_CONVERT)
    client.dust_convert(from_assets=("LTC",), to_asset="BTC")
    assert fake.calls("POST", DUST)[1].body.startswith("fromAsset=LTC&toAsset=BTC&recvWindow=")


def test_it_refuses_dust_without_a_list_of_assets(fake, client):
    with pytest.raises(TypeError, match="list"):
        client.dust_convert(from_assets="BTC", to_asset="BNB")
    with pytest.raises(ValueError, match="at least one"):
        client.dust_convert(from_assets=[], to_asset="BNB")
    assert fake.requests == []


def test_an_unknown_dust_outcome_carries_the_assets_and_is_never_resent(fake, client):
    fake.reply("POST", DUST, UNKNOWN_500, status=500)
    fake.reply("POST", DUST, DUST_CONVERT)
    with pytest.raises(bu.ExecutionUnknown) as info:
        client.dust_convert(from_assets=["BTC", "ETH"], to_asset="BNB")
    assert info.value.params == {"fromAsset": ["BTC", "ETH"], "toAsset": "BNB"}
    assert len(fake.calls("POST", DUST)) == 1


def test_it_reads_the_dust_history_with_each_conversions_assets(fake, client):
    fake.reply("GET", "/sapi/v1/asset/query/dust-logs", DUST_LOGS)
    logs = client.dust_logs(
        start_time=datetime(2022, 8, 1, tzinfo=UTC), end_time=datetime(2022, 8, 5, tzinfo=UTC)
    )
    (rec,) = fake.calls("GET", "/sapi/v1/asset/query/dust-logs")
    assert_signed(rec)
    assert sent_params(rec) == {"startTime": "1659312000000", "endTime": "1659657600000"}
    (log,) = logs
    assert log.operated == datetime(2022, 8, 4, 3, 24, 47, tzinfo=UTC)
    assert log.total_service_charge_amount == Decimal("0.00005797")
    assert log.total_transferred_amount == Decimal("0.00284058")
    (ltc,) = log.details
    assert (ltc.tran_id, ltc.from_asset, ltc.to_asset, ltc.amount) == (
        28822799,
        "LTC",
        "BTC",
        Decimal("0.2"),
    )
    # The same tranId as the conversion's answer: net of the charge here, gross there.
    gross = bu.DustConversion.from_api(DUST_CONVERT).results[0]
    assert gross.tran_id == ltc.tran_id
    assert ltc.transferred_amount == gross.transferred_amount - gross.service_charge_amount
    assert_typed(logs)
    with pytest.raises(TypeError):
        client.dust_logs(start_time=datetime(2022, 8, 1, tzinfo=UTC))


def test_it_reads_the_convertible_dust_assets(fake, client):
    fake.reply("GET", "/sapi/v1/asset/query/dust-assets", DUST_ASSETS)
    found = client.dust_assets(to_asset="BNB")
    (rec,) = fake.calls("GET", "/sapi/v1/asset/query/dust-assets")
    assert_signed(rec)
    assert sent_params(rec) == {"toAsset": "BNB"}
    btc, usdt = found.assets
    assert btc == bu.DustAsset(
        from_asset="BTC",
        to_asset="BNB",
        available_balance=Decimal("0.0001"),
        converted_asset=Decimal("0.0028987"),
        usd_value_converted_asset=Decimal("2.0001"),
        conversion_fee=Decimal("0.00005797"),
        received_asset=Decimal("0.00284073"),
    )
    assert usdt.available_balance == Decimal("14.286")
    assert found.total_converted_asset == Decimal("0.02318896")
    assert found.usd_value_total_converted_asset == Decimal("16.00038")
    assert found.total_conversion_fee == Decimal("0.00046378")
    assert found.total_received_asset == Decimal("0.02272518")
    assert found.fee_rate == Decimal("0.02") and type(found.fee_rate) is Decimal
    assert found.within_restricted_time is False
    assert_typed(found)
