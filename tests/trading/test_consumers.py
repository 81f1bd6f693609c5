import orjson
import pytest
from channels.layers import get_channel_layer

from tests.factories import make_user
from tests.websockets import communicator, session_cookie_for
from trading.market.keys import WATCHERS_KEY, book_cache_key, market_group
from trading.market.watchers import redis_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def session():
    return session_cookie_for(make_user())


async def test_it_counts_watchers_and_forwards_encoded_updates(session):
    redis = redis_client()
    await redis.delete(WATCHERS_KEY)
    await redis.set(book_cache_key("SOLUSD"), orjson.dumps({"type": "book", "state": "live"}))
    ws1 = communicator("/ws/market/solusd/", session=session)
    ws2 = communicator("/ws/market/SOLUSD/", session=session)
    assert (await ws1.connect())[0] and (await ws2.connect())[0]
    assert (await ws1.receive_json_from(timeout=5))["type"] == "book"  # the cached book
    assert int(await redis.hget(WATCHERS_KEY, "SOLUSD")) == 2

    text = orjson.dumps({"type": "book", "symbol": "SOLUSD", "bids": [["1", "2"]]}).decode()
    await get_channel_layer().group_send(
        market_group("SOLUSD"), {"type": "market.book", "text": text}
    )
    assert await ws1.receive_from(timeout=5) == text

    await ws1.disconnect()
    assert int(await redis.hget(WATCHERS_KEY, "SOLUSD")) == 1
    await ws2.disconnect()
    assert await redis.hget(WATCHERS_KEY, "SOLUSD") is None


async def test_it_refuses_anonymous_sockets():
    ws = communicator("/ws/market/BTCUSD/")
    connected, _ = await ws.connect()
    assert not connected
    assert await redis_client().hget(WATCHERS_KEY, "BTCUSD") is None


async def test_it_refuses_malformed_symbols(session):
    ws = communicator("/ws/market/BTC-USD/", session=session)
    connected, code = await ws.connect()
    assert not connected
    assert code == 4400
