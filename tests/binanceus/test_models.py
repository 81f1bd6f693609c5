from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

import binanceus as bu

from . import spec_examples as ex


def walk(value, path="obj"):
    """Yield (path, leaf) for every leaf value of a model tree."""
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            if f.name == "raw":
                continue
            yield from walk(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}[{k!r}]")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")
    else:
        yield path, value


def assert_no_floats_and_aware_times(model):
    for path, leaf in walk(model):
        assert not isinstance(leaf, float), f"{path} is a float"
        if isinstance(leaf, datetime):
            assert leaf.tzinfo is UTC, f"{path} is not aware UTC"


def test_it_parses_exchange_info_filters_as_decimals(fake, client):
    fake.reply("GET", "/api/v3/exchangeInfo", ex.EXCHANGE_INFO)
    info = client.exchange_info(symbols=["ETHBTC"])
    assert fake.requests[0].query == "symbols=%5B%22ETHBTC%22%5D"
    assert info.server_time == datetime(2019, 8, 8, 6, 39, 23, 776000, tzinfo=UTC)
    assert info.rate_limits[0] == bu.RateLimit("REQUEST_WEIGHT", "MINUTE", 1, 1200)
    eth = info.symbol("ETHBTC")
    assert (eth.base_asset, eth.quote_asset, eth.base_precision) == ("ETH", "BTC", 8)
    assert eth.filters["PRICE_FILTER"]["tickSize"] == Decimal("0.00000100")
    assert type(eth.filters["PERCENT_PRICE"]["multiplierUp"]) is Decimal
    assert eth.filters["PERCENT_PRICE"]["avgPriceMins"] == 5
    assert eth.tick_size == Decimal("0.000001") and eth.step_size == Decimal("0.001")
    assert "LIMIT" in eth.order_types
    with pytest.raises(KeyError):
        info.symbol("NOPE")
    assert_no_floats_and_aware_times(info)


def test_it_parses_depth_trades_klines_and_tickers(fake, client):
    fake.reply("GET", "/api/v3/depth", ex.DEPTH)
    fake.reply("GET", "/api/v3/trades", ex.TRADES)
    fake.reply("GET", "/api/v3/klines", ex.KLINES)
    fake.reply("GET", "/api/v3/ticker/price", {"symbol": "LTCBTC", "price": "0.00378800"})
    fake.reply(
        "GET",
        "/api/v3/ticker/price",
        [{"symbol": "BTCUSD", "price": "59705.0700"}, {"symbol": "ETHUSD", "price": "4178.72"}],
    )
    depth = client.depth("LTCBTC", limit=5)
    assert depth == bu.DepthSnapshot(
        1027024,
        [(Decimal("0.00379200"), Decimal("31.26000000"))],
        [(Decimal("0.00380100"), Decimal("32.37000000"))],
    )
    (trade,) = client.recent_trades("LTCBTC", limit=1)
    assert trade.price == Decimal("0.00380100") and trade.is_buyer_maker is False
    assert trade.time == datetime(2021, 11, 17, 5, 46, 56, 269000, tzinfo=UTC)
    start = datetime(2017, 7, 3, tzinfo=UTC)
    (k,) = client.klines("LTCBTC", "1m", start_time=start, limit=1)
    assert fake.calls("GET", "/api/v3/klines")[0].params["startTime"] == "1499040000000"
    assert k.open_time == start and k.trades == 1 and k.quote_volume == Decimal("0.00181514")
    assert client.ticker_price(symbol="LTCBTC") == {"LTCBTC": Decimal("0.00378800")}
    assert client.ticker_price() == {"BTCUSD": Decimal("59705.07"), "ETHUSD": Decimal("4178.72")}
    for model in (depth, trade, k):
        assert_no_floats_and_aware_times(model)


def test_it_rejects_naive_datetimes(client):
    with pytest.raises(ValueError, match="naive"):
        client.klines("LTCBTC", "1m", start_time=datetime(2020, 1, 1))


def test_it_parses_the_account_with_decimal_balances(fake, client):
    fake.reply("GET", "/api/v3/account", ex.ACCOUNT)
    account = client.account()
    assert account.balance("BTC").free == Decimal("4723846.89208129")
    assert type(account.balance("LTC").locked) is Decimal
    assert [b.asset for b in account.nonzero_balances()] == ["BTC", "LTC"]
    assert account.balance("XRP").total == 0
    assert account.commission_rates.maker == Decimal("0.0015")
    assert account.can_trade and account.account_type == "SPOT" and account.maker_commission == 15
    assert account.update_time == datetime(1970, 1, 2, 10, 17, 36, 789000, tzinfo=UTC)
    assert_no_floats_and_aware_times(account)


def test_it_parses_account_and_api_trading_status(fake, client):
    fake.reply("GET", "/sapi/v3/accountStatus", ex.ACCOUNT_STATUS)
    fake.reply("GET", "/sapi/v3/apiTradingStatus", text=ex.API_TRADING_STATUS_TEXT)
    status = client.account_status()
    assert status.status == "Normal" and status.is_normal and status.success
    ats = client.api_trading_status()
    assert ats.is_locked is False and ats.planned_recover_time is None
    assert ats.trigger_condition == {"GCR": 150, "IFER": 150, "UFR": 300}
    ufr = ats.indicators["BTCUSDT"][0]
    assert (ufr.indicator, ufr.count, ufr.current_value, ufr.trigger_value) == (
        "UFR",
        20,
        Decimal("0.05"),
        Decimal("0.995"),
    )
    assert ats.update_time == datetime(2019, 1, 16, 9, 21, 11, 725000, tzinfo=UTC)
    assert_no_floats_and_aware_times(ats)


def test_it_parses_orders_full_ack_query_and_cancel(fake, client):
    fake.reply("POST", "/api/v3/order", ex.ORDER_FULL)
    fake.reply("POST", "/api/v3/order", ex.ORDER_ACK)
    fake.reply("GET", "/api/v3/order", ex.ORDER_QUERY)
    fake.reply("DELETE", "/api/v3/order", ex.ORDER_CANCELED)
    fake.reply("GET", "/api/v3/openOrders", [ex.ORDER_QUERY])
    full = client.new_order(symbol="BTCUSDT", side="sell", type="market", quantity=Decimal("10"))
    sent = fake.calls("POST", "/api/v3/order")[0].params
    assert sent["side"] == "SELL" and sent["type"] == "MARKET" and sent["quantity"] == "10"
    assert sent["newOrderRespType"] == "FULL" and "price" not in sent
    assert full.executed_qty == Decimal("10") and full.status == "FILLED"
    assert full.transact_time == datetime(2017, 10, 11, 12, 32, 56, 595000, tzinfo=UTC)
    assert full.fills[1] == bu.Fill(Decimal("3999"), Decimal("5"), Decimal("19.995"), "USDT", 57)
    ack = client.new_order(
        symbol="BTCUSDT",
        side="BUY",
        type="MARKET",
        quote_order_qty=Decimal("100.50"),
        new_order_resp_type="ACK",
    )
    assert ack.order_id == 28 and ack.status is None and ack.fills == [] and ack.price is None
    got = client.get_order(symbol="LTCBTC", orig_client_order_id="myOrder1")
    assert got.price == Decimal("0.1") and got.is_open and got.time.tzinfo is UTC
    canceled = client.cancel_order(symbol="LTCBTC", orig_client_order_id="myOrder1")
    assert canceled.status == "CANCELED" and canceled.orig_client_order_id == "myOrder1"
    assert [o.order_id for o in client.open_orders(symbol="LTCBTC")] == [1]
    for model in (full, ack, got, canceled):
        assert_no_floats_and_aware_times(model)
        assert model.raw["orderId"] == model.order_id


def test_it_requires_an_order_reference(client):
    with pytest.raises(ValueError):
        client.get_order(symbol="BTCUSDT")
    with pytest.raises(ValueError):
        client.cancel_order(symbol="BTCUSDT")


def test_it_refuses_float_quantities(client, fake):
    with pytest.raises(TypeError, match="Decimal"):
        client.new_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=0.1)
    assert fake.calls("POST", "/api/v3/order") == []


def test_models_are_frozen_and_slotted():
    for cls in (
        bu.Order,
        bu.Account,
        bu.Balance,
        bu.Trade,
        bu.Kline,
        bu.DepthSnapshot,
        bu.ExchangeInfo,
        bu.SymbolInfo,
        bu.Fill,
        bu.AccountStatus,
        bu.ApiTradingStatus,
    ):
        assert cls.__dataclass_params__.frozen, cls
        assert hasattr(cls, "__slots__"), cls
        assert callable(cls.from_api)
    bal = bu.Balance("BTC", Decimal(1), Decimal(0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        bal.free = Decimal(2)


def test_it_manages_listen_keys(fake, client):
    fake.reply("POST", "/api/v3/userDataStream", {"listenKey": "pqia91ma19a5s61cv6a81va65sdf19v8"})
    fake.reply("PUT", "/api/v3/userDataStream", {})
    fake.reply("DELETE", "/api/v3/userDataStream", {})
    key = client.create_listen_key()
    client.keepalive_listen_key(key)
    client.close_listen_key(key)
    post, put, delete = fake.requests
    assert post.headers["X-MBX-APIKEY"] and "signature" not in post.query + post.body
    assert put.method == "PUT" and put.body == f"listenKey={key}"
    assert delete.method == "DELETE" and delete.query == f"listenKey={key}"


def test_stream_event_models_parse_on_demand():
    kline = bu.Kline.from_stream(
        {
            "e": "kline",
            "E": 1672515782136,
            "s": "BNBBTC",
            "k": {
                "t": 1672515780000,
                "T": 1672515839999,
                "s": "BNBBTC",
                "i": "1m",
                "f": 100,
                "L": 200,
                "o": "0.0010",
                "c": "0.0020",
                "h": "0.0025",
                "l": "0.0015",
                "v": "1000",
                "n": 100,
                "x": False,
                "q": "1.0000",
                "V": "500",
                "Q": "0.500",
                "B": "123456",
            },
        }
    )
    assert kline.symbol == "BNBBTC" and kline.interval == "1m" and kline.is_closed is False
    assert kline.close == Decimal("0.0020") and kline.trades == 100
    assert kline.open_time.tzinfo is UTC
    ticker = bu.Ticker24h.from_stream(
        {
            "e": "24hrTicker", "E": 123456789, "s": "BNBBTC", "p": "0.0015", "P": "250.00",
            "w": "0.0018", "x": "0.0009", "c": "0.0025", "Q": "10", "b": "0.0024", "B": "10",
            "a": "0.0026", "A": "100", "o": "0.0010", "h": "0.0025", "l": "0.0010",
            "v": "10000", "q": "18", "O": 0, "C": 86400000, "F": 0, "L": 18150, "n": 18151,
        }
    )  # fmt: skip
    assert ticker.price_change_percent == Decimal("250.00") and ticker.count == 18151
    assert ticker.prev_close_price == Decimal("0.0009") and ticker.event_time.tzinfo is UTC
    mini = bu.MiniTicker.from_stream(
        {"e": "24hrMiniTicker", "E": 123456789, "s": "BNBBTC", "c": "0.0025", "o": "0.0010",
         "h": "0.0025", "l": "0.0010", "v": "10000", "q": "18"}
    )  # fmt: skip
    assert mini.close == Decimal("0.0025") and mini.quote_volume == Decimal("18")
    agg = bu.AggTrade.from_stream(
        {"e": "aggTrade", "E": 1, "s": "BNBBTC", "a": 12345, "p": "0.001", "q": "100",
         "f": 100, "l": 105, "T": 123456785, "m": True, "M": True}
    )  # fmt: skip
    assert agg.id == 12345 and agg.symbol == "BNBBTC" and agg.is_buyer_maker is True
    book = bu.BookTicker.from_stream(
        {"u": 400900217, "s": "BNBUSDT", "b": "25.35190000", "B": "31.21000000",
         "a": "25.36520000", "A": "40.66000000"}
    )  # fmt: skip
    assert book.update_id == 400900217 and book.ask_qty == Decimal("40.66000000")
