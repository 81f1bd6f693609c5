"""The popular Python clients for Binance.US, unchanged but for where they connect, against the
sandbox: python-binance (``binance.client.Client``, ``tld="us"``) and Binance's own connector
(``binance.spot.Spot``). Market data, account, an order, and the wallet endpoints both
libraries call (coin catalogue, deposit address and history, withdraw and its history); and
the WebSocket API through each (the connector's ``SpotWebsocketAPIClient``, python-binance's
``AsyncClient.ws_*``): the book, then an order placed, read and canceled.

Neither library knows the Binance.US-only staking endpoints (``/sapi/v1/staking/stake``,
``stakingBalance``…): those are covered by the sandbox's own tests and our client."""

import asyncio
import json
import queue
import time
from decimal import Decimal

import pytest
import requests

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ETH_ADDRESS = "0x" + "cd" * 20


@pytest.fixture
def python_binance(sandbox_url, sandbox_account):
    from binance.client import Client

    # Configuration only: the library's own URL attributes, pointed at the sandbox.
    client = Client(sandbox_account["apiKey"], sandbox_account["secretKey"], tld="us", ping=False)
    client.API_URL = f"{sandbox_url}/api"
    client.MARGIN_API_URL = f"{sandbox_url}/sapi"
    yield client
    client.close_connection()


@pytest.fixture
def connector(sandbox_url, sandbox_account):
    from binance.spot import Spot

    return Spot(sandbox_account["apiKey"], sandbox_account["secretKey"], base_url=sandbox_url)


def test_python_binance_reads_the_market_and_the_account(python_binance):
    assert python_binance.get_server_time()["serverTime"] > 0
    info = python_binance.get_symbol_info("BTCUSD")
    assert info["status"] == "TRADING" and info["baseAsset"] == "BTC"
    book = python_binance.get_order_book(symbol="BTCUSD", limit=5)
    assert book["bids"] and book["asks"]
    balances = {b["asset"]: b for b in python_binance.get_account()["balances"]}
    assert Decimal(balances["ETH"]["free"]) == 50


def test_python_binance_places_and_cancels_an_order(python_binance):
    price = Decimal(python_binance.get_avg_price(symbol="BTCUSD")["price"]) * Decimal("0.5")
    order = python_binance.order_limit_buy(
        symbol="BTCUSD", quantity="0.001", price=f"{price.quantize(Decimal('0.01'))}"
    )
    assert order["status"] == "NEW"
    canceled = python_binance.cancel_order(symbol="BTCUSD", orderId=order["orderId"])
    assert canceled["status"] == "CANCELED"


def test_python_binance_wallet_endpoints(python_binance, sandbox_url, sandbox_account):
    coins = {c["coin"]: c for c in python_binance.get_all_coins_info()}
    assert {n["network"] for n in coins["ETH"]["networkList"]} >= {"ETH"}
    address = python_binance.get_deposit_address(coin="ETH", network="ETH")
    assert address["coin"] == "ETH" and address["address"]
    requests.post(
        f"{sandbox_url}/sandbox/v1/wallet/deposits",
        json={"email": sandbox_account["email"], "coin": "ETH", "amount": "1.5"},
        timeout=5,
    ).raise_for_status()
    [deposit] = python_binance.get_deposit_history(coin="ETH")
    assert Decimal(deposit["amount"]) == Decimal("1.5") and deposit["status"] == 0
    sent = python_binance.withdraw(
        coin="ETH", network="ETH", address=ETH_ADDRESS, amount="1", withdrawOrderId="pb-1"
    )
    [row] = python_binance.get_withdraw_history(coin="ETH")
    assert row["id"] == sent["id"] and row["withdrawOrderId"] == "pb-1"


def test_the_connector_reads_the_market_and_trades(connector):
    assert connector.time()["serverTime"] > 0
    assert connector.exchange_info(symbol="ETHUSD")["symbols"][0]["symbol"] == "ETHUSD"
    price = Decimal(connector.avg_price("ETHUSD")["price"]) * Decimal("0.5")
    order = connector.new_order(
        symbol="ETHUSD",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price=f"{price.quantize(Decimal('0.01'))}",
    )
    assert order["status"] == "NEW"
    assert connector.cancel_order("ETHUSD", orderId=order["orderId"])["status"] == "CANCELED"


def test_the_connector_wallet_endpoints(connector):
    coins = {c["coin"]: c for c in connector.coin_info()}
    assert coins["BTC"]["networkList"]
    assert connector.deposit_address("BTC", network="BTC")["address"]
    assert connector.deposit_history(coin="BTC") == []
    sent = connector.withdraw(coin="ETH", amount="0.5", address=ETH_ADDRESS, network="ETH")
    [row] = connector.withdraw_history(coin="ETH")
    assert row["id"] == sent["id"] and Decimal(row["amount"]) + Decimal(
        row["transactionFee"]
    ) == Decimal("0.5")


def ws_api_url(sandbox_url: str) -> str:
    return sandbox_url.replace("http://", "ws://") + "/ws-api/v3"


ORDER = {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}


def test_the_connector_trades_over_the_websocket_api(sandbox_url, sandbox_account):
    from binance.websocket.spot.websocket_api import SpotWebsocketAPIClient

    answers: queue.Queue = queue.Queue()
    client = SpotWebsocketAPIClient(
        stream_url=ws_api_url(sandbox_url),
        api_key=sandbox_account["apiKey"],
        api_secret=sandbox_account["secretKey"],
        on_message=lambda _, message: answers.put(json.loads(message)),
    )

    def answer(req_id: str) -> dict:
        deadline = time.monotonic() + 5
        while True:
            doc = answers.get(timeout=max(0.01, deadline - time.monotonic()))
            if doc.get("id") == req_id:
                assert doc["status"] == 200, doc
                return doc["result"]

    try:
        client.order_book(symbol="BTCUSD", limit=5, id="book")
        assert len(answer("book")["bids"]) == 5
        client.new_order(id="place", quantity=0.001, price=30000, **ORDER)
        placed = answer("place")
        assert placed["status"] == "NEW" and placed["price"] == "30000.00000000"
        client.get_order(symbol="BTCUSD", orderId=placed["orderId"], id="get")
        assert answer("get")["clientOrderId"] == placed["clientOrderId"]
        client.cancel_order(symbol="BTCUSD", orderId=placed["orderId"], id="cancel")
        assert answer("cancel")["status"] == "CANCELED"
    finally:
        client.stop()


def test_python_binance_trades_over_the_websocket_api(sandbox_url, sandbox_account):
    from binance import AsyncClient
    from binance.ws.websocket_api import WebsocketAPI

    async def scenario() -> None:
        client = AsyncClient(sandbox_account["apiKey"], sandbox_account["secretKey"], tld="us")
        # Configuration only: the library's own WebSocket API object, built on the sandbox's URL
        # (its read loop notices a close only after TIMEOUT seconds without a message: 10).
        client.ws_api = WebsocketAPI(url=ws_api_url(sandbox_url), tld="us")
        client.ws_api.TIMEOUT = 2
        try:
            book = await client.ws_get_order_book(symbol="BTCUSD", limit=5)
            assert len(book["asks"]) == 5
            placed = await client.ws_create_order(quantity="0.001", price="30000", **ORDER)
            assert placed["status"] == "NEW" and placed["clientOrderId"].startswith("x-")
            found = await client.ws_get_order(symbol="BTCUSD", orderId=placed["orderId"])
            assert found["status"] == "NEW" and found["origQty"] == "0.00100000"
            canceled = await client.ws_cancel_order(symbol="BTCUSD", orderId=placed["orderId"])
            assert canceled["status"] == "CANCELED"
        finally:
            await client.close_connection()

    asyncio.run(scenario())
