"""Orders over the WebSocket API: the web process's calls go through the session the stream
process holds for the connection (the real Session, on its own event loop here), against the
sandbox; REST when the session is down, and an answer lost on the socket is reconciled, never
sent again."""

import asyncio
import contextlib
import threading

import pytest
import requests
from django.conf import settings

import binanceus
from tests.support import wait_for
from trading.models import Order, OrderStatus, OrderTransport, TradingPreference
from trading.orders import reconcile, wsapi

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


class RunningSession:
    """The stream process's session of one connection, on an event loop in a thread."""

    def __init__(self, conn) -> None:
        self.pk = conn.pk
        self.session = wsapi.Session(conn.pk, settings.SANDBOX_WS_API_URL, conn.environment)
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.task = self.loop.create_task(self.session.run())
        with contextlib.suppress(asyncio.CancelledError):
            self.loop.run_until_complete(self.task)
        self.loop.close()

    def start(self) -> None:
        self.thread.start()
        wait_for(lambda: wsapi.session_live(self.pk), timeout=10, what="the session to be live")

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(timeout=10)


@pytest.fixture
def session(trader):
    conn, _ = trader
    running = RunningSession(conn)
    running.start()
    yield running
    running.stop()


def _ws_calls(ex, method: str) -> int:
    doc = requests.get(f"{ex.base}/sandbox/v1/requests", timeout=5).json()
    return doc["byEndpoint"].get(f"WS /ws-api/v3/{method}", 0)


def _ticket(ex, coid: str) -> dict:
    return {
        "symbol": "BTCUSD",
        "client_order_id": coid,
        "side": "BUY",
        "type": "LIMIT",
        "price": str(ex.below()),
        "quantity": "0.01",
        "time_in_force": "GTC",
    }


def test_the_ticket_places_amends_and_cancels_over_the_websocket_api(desk, session):
    client, conn, ex = desk
    placed_before = _ws_calls(ex, "order.place")
    place = f"/market/orders/{conn.pk}/place/"
    one = client.post(place, _ticket(ex, "ws-1"), **JSON).json()
    assert one["ok"] and one["order"]["status"] == "NEW"
    assert one["via"] == "ws" and one["message"].endswith("Sent over the WebSocket API.")
    assert _ws_calls(ex, "order.place") == placed_before + 1
    assert [o.client_order_id for o in ex.orders(client_order_id="ws-1")] == ["ws-1"]

    new_price = str(ex.below(percent=8))
    replaced = client.post(
        f"/market/orders/{conn.pk}/{one['order']['id']}/replace/",
        {"client_order_id": "ws-2", "price": new_price},
        **JSON,
    ).json()
    assert replaced["ok"] and replaced["canceled"] and replaced["via"] == "ws"
    assert _ws_calls(ex, "order.cancelReplace") >= 1

    two = Order.objects.get(connection=conn, client_order_id="ws-2")
    canceled = client.post(f"/market/orders/{conn.pk}/{two.pk}/cancel/", **JSON).json()
    assert canceled["ok"] and canceled["order"]["status"] == "CANCELED"
    assert canceled["via"] == "ws"
    assert [o.status for o in ex.orders(client_order_id="ws-2")] == ["CANCELED"]

    client.post(place, _ticket(ex, "ws-3"), **JSON)
    swept = client.post(f"/market/orders/{conn.pk}/cancel-all/", {"symbol": "BTCUSD"}, **JSON)
    assert swept.json()["via"] == "ws" and swept.json()["message"].startswith("Canceled 1 open")
    assert not Order.objects.filter(connection=conn, status=OrderStatus.NEW).exists()


def test_with_the_session_down_the_ticket_falls_back_to_rest_and_says_so(desk, session):
    client, conn, ex = desk
    ex.faults(wsApiDown=True)
    wait_for(lambda: not wsapi.session_live(conn.pk), timeout=10, what="the session to drop")
    placed_before = _ws_calls(ex, "order.place")
    reply = client.post(f"/market/orders/{conn.pk}/place/", _ticket(ex, "ws-down"), **JSON)
    body = reply.json()
    assert body["ok"] and body["via"] == "rest"
    assert body["message"].endswith("Sent over REST: the WebSocket API session is down.")
    assert _ws_calls(ex, "order.place") == placed_before
    assert len(ex.orders(client_order_id="ws-down")) == 1

    # The exchange takes sockets again: the session reopens and orders go over it again.
    requests.delete(f"{ex.base}/sandbox/v1/faults", timeout=5).raise_for_status()
    wait_for(lambda: wsapi.session_live(conn.pk), timeout=20, what="the session to reopen")
    again = client.post(f"/market/orders/{conn.pk}/place/", _ticket(ex, "ws-back"), **JSON)
    assert again.json()["via"] == "ws"


def test_an_order_whose_answer_the_socket_lost_is_reconciled_never_sent_again(desk, session):
    client, conn, ex = desk
    ex.faults(wsApi={"mode": "execute_then_drop", "method": "order.place", "count": 1})
    body = client.post(f"/market/orders/{conn.pk}/place/", _ticket(ex, "ws-lost"), **JSON).json()
    assert body["order"]["status"] == "UNKNOWN" and body["via"] == "ws"
    order = Order.objects.get(connection=conn, client_order_id="ws-lost")
    assert reconcile.order_reconcile(order_pk=order.pk) == reconcile.FOUND
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW
    assert [o.order_id for o in ex.orders(client_order_id="ws-lost")] == [order.order_id]


def test_rest_when_the_user_chose_it(desk, session):
    client, conn, ex = desk
    TradingPreference.objects.create(user=conn.user, order_transport=OrderTransport.REST)
    placed_before = _ws_calls(ex, "order.place")
    body = client.post(f"/market/orders/{conn.pk}/place/", _ticket(ex, "by-rest"), **JSON).json()
    assert body["ok"] and body["via"] == "rest" and body["fallback"] == ""
    assert "Sent over" not in body["message"]  # the chosen way needs no word
    assert _ws_calls(ex, "order.place") == placed_before


# The place view's reads and writes, SAVEPOINT and RELEASE around each of the two transactions
# included (the test's own transaction turns their BEGIN and COMMIT into those): the session;
# the user, with whether they have a second factor of either kind (middleware); the connection;
# the user's trading preference (the confirmation thresholds and the way orders go: two reads
# written as SQL once cost a sixth of the ORM's one joined read); the free balance the order
# draws on (once, for the funds and the confirmation check); the intent (INSERT); the answer
# stored (SAVEPOINT, one locked read of the row, UPDATE, RELEASE) and the audit record, in one
# transaction; the API-partner prefix of the next client order id.
PLACE_QUERIES = 16
# The cancel view's: middleware (2); the connection; the preference; the order; the answer
# stored and the audit record in one transaction (SAVEPOINT and RELEASE around it and again
# around the store, a locked read, UPDATE, INSERT).
CANCEL_QUERIES = 12


@pytest.mark.parametrize("transport", [OrderTransport.WS, OrderTransport.REST])
def test_placing_and_canceling_read_nothing_twice(
    desk, session, transport, django_assert_max_num_queries
):
    client, conn, ex = desk
    TradingPreference.objects.create(user=conn.user, order_transport=transport)
    place = f"/market/orders/{conn.pk}/place/"
    client.post(place, _ticket(ex, f"warm-{transport}"), **JSON)  # the rules and price cached
    with django_assert_max_num_queries(PLACE_QUERIES):
        placed = client.post(place, _ticket(ex, f"counted-{transport}"), **JSON).json()
    assert placed["ok"] and placed["via"] == transport
    assert placed["order"]["status"] == "NEW"
    cancel = f"/market/orders/{conn.pk}/{placed['order']['id']}/cancel/"
    with django_assert_max_num_queries(CANCEL_QUERIES):
        canceled = client.post(cancel, **JSON).json()
    assert canceled["ok"] and canceled["via"] == transport
    assert canceled["order"]["status"] == "CANCELED"


def test_with_no_live_session_a_request_is_refused_at_once_and_never_queued(trader):
    """Whether the session is live is asked in the same round trip that hands the request
    over: without it the answer is "not sent" at once, not after the wait for a taker."""
    conn, _ = trader
    r = wsapi._redis()
    r.delete(wsapi.LIVE_KEY.format(pk=conn.pk))
    with pytest.raises(binanceus.NotForwarded, match=wsapi.SESSION_DOWN):
        wsapi.forwarder(conn.pk)("order.place", {"symbol": "BTCUSD"}, 30.0)
    assert r.llen(wsapi.REQUEST_KEY.format(pk=conn.pk)) == 0
    assert r.keys(wsapi.ANSWER_KEY.format(id="*")) == []


def test_a_request_no_session_takes_is_withdrawn_and_never_sent(trader, settings):
    """A live report left by a stream process that died: the request waits for a taker, then
    is taken back by the web process itself, so it can go over REST safely."""
    conn, _ = trader
    r = wsapi._redis()
    r.set(wsapi.LIVE_KEY.format(pk=conn.pk), b"{}", px=5000)
    forward = wsapi.forwarder(conn.pk)
    with pytest.raises(binanceus.NotForwarded):
        forward("order.place", {"symbol": "BTCUSD"}, 0.2)
    assert r.llen(wsapi.REQUEST_KEY.format(pk=conn.pk)) == 0
    r.delete(wsapi.LIVE_KEY.format(pk=conn.pk))


def test_a_request_redis_refuses_to_queue_is_not_sent_and_not_waited_for(trader):
    """Redis refusing the hand-over (out of memory, here a queue key of the wrong type): the
    request was not queued, so it is "not sent" at once (the order then goes over REST), not
    after the wait for an answer that cannot come, nor "sent, no answer"."""
    conn, _ = trader
    r = wsapi._redis()
    live, queue = wsapi.LIVE_KEY.format(pk=conn.pk), wsapi.REQUEST_KEY.format(pk=conn.pk)
    r.set(live, b"{}", px=30_000)
    r.set(queue, b"not a list")
    forward = wsapi.forwarder(conn.pk)
    try:
        with pytest.raises(binanceus.NotForwarded, match="Redis refused it: WRONGTYPE"):
            forward("order.place", {"symbol": "BTCUSD"}, 30.0)
        r.delete(queue)
        # The connection the refused wait was on is not handed a late reply: the next request
        # through the same client waits for its own answer (here: none, and it is withdrawn).
        with pytest.raises(binanceus.NotForwarded, match="no WebSocket API session took it"):
            forward("order.place", {"symbol": "BTCUSD"}, 0.2)
    finally:
        r.delete(live, queue)
