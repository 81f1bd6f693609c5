import orjson
import pytest
from channels.layers import get_channel_layer

from tests.factories import make_user
from tests.websockets import communicator, session_cookie_for
from trading.market.keys import book_cache_key, market_group
from trading.market.watchers import redis_client, watch_key, watched_symbols

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def session():
    return session_cookie_for(make_user())


async def test_it_counts_watchers_and_forwards_encoded_updates(session):
    redis = redis_client()
    await redis.delete(watch_key("SOLUSD"))
    await redis.set(book_cache_key("SOLUSD"), orjson.dumps({"type": "book", "state": "live"}))
    ws1 = communicator("/ws/market/solusd/", session=session)
    ws2 = communicator("/ws/market/SOLUSD/", session=session)
    assert (await ws1.connect())[0] and (await ws2.connect())[0]
    assert (await ws1.receive_json_from(timeout=5))["type"] == "book"  # the cached book
    assert await redis.zcard(watch_key("SOLUSD")) == 2
    assert "SOLUSD" in await watched_symbols(redis)

    text = orjson.dumps({"type": "book", "symbol": "SOLUSD", "bids": [["1", "2"]]}).decode()
    await get_channel_layer().group_send(
        market_group("SOLUSD"), {"type": "market.book", "text": text}
    )
    assert await ws1.receive_from(timeout=5) == text

    await ws1.disconnect()
    assert await redis.zcard(watch_key("SOLUSD")) == 1
    await ws2.disconnect()
    assert await redis.zcard(watch_key("SOLUSD")) == 0
    assert "SOLUSD" not in await watched_symbols(redis)


async def test_it_refuses_anonymous_sockets():
    ws = communicator("/ws/market/BTCUSD/")
    connected, _ = await ws.connect()
    assert not connected
    assert await redis_client().zcard(watch_key("BTCUSD")) == 0


async def test_it_refuses_malformed_symbols(session):
    ws = communicator("/ws/market/BTC-USD/", session=session)
    connected, code = await ws.connect()
    assert not connected
    assert code == 4400
