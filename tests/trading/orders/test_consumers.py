"""Order, fill and balance events reach the owner's pages after the database commits — and
only the owner's."""

import pytest
from asgiref.sync import sync_to_async

from tests.factories import make_connection, make_user
from tests.trading.orders.test_records import FILL, T0, _report
from tests.websockets import communicator, session_cookie_for
from trading.orders.userdata import user_event_apply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def owned():
    owner, stranger = make_user(), make_user()
    conn = make_connection(owner, api_secret="Q" * 64)
    return {
        "conn": conn,
        "owner": session_cookie_for(owner),
        "stranger": session_cookie_for(stranger),
    }


async def _socket(owned, who: str):
    ws = communicator(f"/ws/connections/{owned['conn'].pk}/", session=owned[who])
    connected, code = await ws.connect()
    return ws, connected, code


async def _owners_socket(owned):
    """The owner's socket, past the balances it opens with."""
    ws, connected, _ = await _socket(owned, "owner")
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "balances"
    return ws


async def _apply(owned, event: dict) -> None:
    await sync_to_async(user_event_apply)(connection_id=owned["conn"].pk, data=event)


async def test_it_pushes_an_order_its_fill_and_the_balances_to_the_owner(owned):
    ws = await _owners_socket(owned)
    await _apply(owned, _report())
    placed = await ws.receive_json_from(timeout=5)
    assert placed["type"] == "order"
    assert placed["order"]["orderId"] == 4293153 and placed["order"]["status"] == "NEW"
    assert placed["order"]["price"] == "0.1026441"  # money as exact text
    await _apply(owned, _report(T=T0 + 5, **FILL))
    kinds = {}
    for _ in range(2):
        msg = await ws.receive_json_from(timeout=5)
        kinds[msg["type"]] = msg
    assert kinds["order"]["order"]["status"] == "FILLED"
    fill = kinds["fill"]["fill"]
    assert (fill["symbol"], fill["side"], fill["qty"], fill["price"]) == (
        "ETHBTC",
        "BUY",
        "1",
        "0.1026441",
    )
    assert fill["connectionLabel"] == owned["conn"].label  # read once, for the toast
    position = {
        "e": "outboundAccountPosition",
        "E": T0,
        "u": T0,
        "B": [{"a": "ETH", "f": "1", "l": "0"}],
    }
    await _apply(owned, position)
    balances = await ws.receive_json_from(timeout=5)
    assert balances["type"] == "balances"
    assert balances["balances"] == [{"asset": "ETH", "free": "1", "locked": "0"}]
    assert "Q" * 64 not in str([placed, kinds, balances])
    await ws.disconnect()


async def test_a_state_already_stored_is_not_pushed_again(owned):
    """The order's answer and its executionReport both say NEW: open pages draw the row once."""
    ws = await _owners_socket(owned)
    await _apply(owned, _report())
    assert (await ws.receive_json_from(timeout=5))["order"]["status"] == "NEW"
    await _apply(owned, _report())
    await _apply(owned, _report(T=T0 + 5, **FILL))
    following = [await ws.receive_json_from(timeout=5) for _ in range(2)]
    assert sorted(m["type"] for m in following) == ["fill", "order"]
    assert next(m for m in following if m["type"] == "order")["order"]["status"] == "FILLED"
    await ws.disconnect()


async def test_it_keeps_a_stranger_off_the_connections_order_events(owned):
    _, connected, code = await _socket(owned, "stranger")
    assert not connected and code == 4404
