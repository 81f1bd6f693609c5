"""A WebSocket API session through a Redis restart: its socket to the exchange stays open and
it is live again as soon as Redis is back, without reconnecting (on a Redis of the test's own,
which it restarts)."""

import pytest

from tests.support import start_redis, terminate, wait_for
from tests.trading.orders.test_ws_api_orders import RunningSession
from trading.market import watchers
from trading.orders import wsapi

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(tmp_path, settings):
    proc, url = start_redis(tmp_path)
    settings.REDIS_URL = url
    watchers._clients.clear()  # a client per event loop, made from the URL of its time
    box = {"proc": proc, "port": int(url.rsplit(":", 1)[1].split("/")[0])}
    yield box
    terminate(box["proc"])
    watchers._clients.clear()


def test_the_session_keeps_its_socket_through_a_redis_restart(trader, own_redis, tmp_path):
    conn, _ = trader
    running = RunningSession(conn)
    running.start()
    try:
        terminate(own_redis["proc"])
        own_redis["proc"], _ = start_redis(tmp_path, own_redis["port"])
        wait_for(lambda: wsapi.session_live(conn.pk), what="the session live again")
        stats = running.session.client.stats()
        assert not running.task.done()
        assert stats.connected and stats.reconnects == 0
        answer = wsapi.forwarder(conn.pk)("time", {}, 5.0)
        assert answer["status"] == 200 and answer["result"]["serverTime"] > 0
    finally:
        running.stop()
