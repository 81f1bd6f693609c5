"""The popular Python clients for Binance.US, unchanged but for where they connect, against the
sandbox: python-binance (``binance.client.Client``, ``tld="us"``) and Binance's own connector
(``binance.spot.Spot``). Market data, account, an order, and the wallet endpoints both
libraries call (coin catalogue, deposit address and history, withdraw and its history).

Neither library knows the Binance.US-only staking endpoints (``/sapi/v1/staking/stake``,
``stakingBalance``…): those are covered by the sandbox's own tests and our client."""

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
