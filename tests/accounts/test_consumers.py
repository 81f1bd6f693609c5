from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts import realtime
from accounts.models import Balance
from tests.factories import make_connection, make_user
from tests.websockets import communicator, session_cookie_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def owned():
    owner, stranger = make_user(), make_user()
    conn = make_connection(owner, api_secret="Q" * 64)
    Balance.objects.create(
        connection=conn,
        asset="USD",
        free=Decimal("10.5"),
        locked=Decimal("0"),
        updated_at=timezone.now(),
    )
    return {
        "conn": conn,
        "owner": session_cookie_for(owner),
        "stranger": session_cookie_for(stranger),
    }


async def test_it_streams_balances_to_the_owner(owned):
    ws = communicator(f"/ws/connections/{owned['conn'].pk}/", session=owned["owner"])
    connected, _ = await ws.connect()
    assert connected
    first = await ws.receive_json_from(timeout=5)
    assert first["type"] == "balances"
    assert first["balances"] == [{"asset": "USD", "free": "10.5", "locked": "0"}]
    await sync_to_async(realtime.balances_push)(connection_id=owned["conn"].pk)
    pushed = await ws.receive_json_from(timeout=5)
    assert pushed["connection"] == owned["conn"].pk
    assert "Q" * 64 not in str(pushed)
    await ws.disconnect()


async def test_it_refuses_a_stranger(owned):
    ws = communicator(f"/ws/connections/{owned['conn'].pk}/", session=owned["stranger"])
    connected, code = await ws.connect()
    assert not connected
    assert code == 4404


async def test_it_refuses_anonymous_sockets(owned):
    ws = communicator(f"/ws/connections/{owned['conn'].pk}/")
    connected, _ = await ws.connect()
    assert not connected


async def test_it_refuses_a_foreign_origin(owned):
    ws = communicator(
        f"/ws/connections/{owned['conn'].pk}/",
        session=owned["owner"],
        origin="https://evil.example",
    )
    connected, _ = await ws.connect()
    assert not connected
