"""Every URL and WebSocket route that takes an object id, walked as owner and stranger.

Both matrices are derived from the resolvers, so a new view or route with a `pk` is covered
without being listed here; a route whose kind of object this file cannot build fails the test.
The sandbox counts requests, so we also prove a stranger made the exchange receive none.
"""

import pytest
import requests
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from desk.routing import websocket_urlpatterns
from tests.factories import login, make_connection, make_user
from tests.websockets import communicator, session_cookie_for


def _connection_objects(owner) -> tuple[object, dict]:
    conn = make_connection(owner)
    return conn, {"pk": conn.pk}


def _transfer_objects(owner) -> tuple[object, dict]:
    """A master connection with a schedule and a run: every id a transfers URL can carry."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from transfers.models import TransferRun, TransferSchedule

    conn = make_connection(owner)
    at = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    schedule = TransferSchedule.objects.create(
        connection=conn,
        name="s",
        to_email="sub@example.test",
        asset="USD",
        amount_kind="fixed",
        amount=Decimal("1"),
        recurrence="hourly",
        starts_at=at,
        next_run_at=at,
    )
    run = TransferRun.objects.create(
        connection=conn,
        schedule=schedule,
        planned_at=at,
        to_email="sub@example.test",
        asset="USD",
        amount_kind="fixed",
        amount_param=Decimal("1"),
        status="failed",
    )
    return schedule, {"pk": conn.pk, "sid": schedule.pk, "run_id": run.pk}


def _order_objects(owner) -> tuple[object, dict]:
    """A connection with one order and one OCO list: every id an orders URL can carry."""
    from trading.models import Order, OrderList

    conn = make_connection(owner)
    order_list = OrderList.objects.create(
        connection=conn,
        symbol="BTCUSD",
        order_list_id=1,
        list_client_order_id="list-1",
        origin="desk",
        list_status_type="EXEC_STARTED",
    )
    order = Order.objects.create(
        connection=conn,
        symbol="BTCUSD",
        order_id=1,
        client_order_id="order-1",
        origin="desk",
        side="BUY",
        type="LIMIT",
        status="NEW",
    )
    return order, {"pk": conn.pk, "order_pk": order.pk, "list_pk": order_list.pk}


def _wallet_objects(owner) -> tuple[object, dict]:
    """The Wallet and Staking tabs: the withdrawals' objects (``pk``, ``aid``, ``wid``: see
    ``tests/wallet/conftest.py``), a synced deposit, and a stake (``oid``) with its history
    row and a reward on the same connection."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from tests.wallet.conftest import staking_objects, withdraw_objects
    from wallet.activity.models import WalletActivity

    survivor, kwargs = withdraw_objects(owner)
    at = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    WalletActivity.objects.create(
        connection_id=kwargs["pk"],
        kind="deposit",
        exchange_id="BTC:BTC:tx1",
        coin="BTC",
        network="BTC",
        amount=Decimal("0.1"),
        status="0",
        state="pending",
        time=at,
        updated_at=at,
    )
    return survivor, {**kwargs, **staking_objects(kwargs["pk"], at)}


def _custody_objects(owner) -> tuple[object, dict]:
    from tests.custody.conftest import custody_matrix_objects

    return custody_matrix_objects(owner)


def _credit_line_objects(owner) -> tuple[object, dict]:
    from tests.creditline.conftest import credit_line_objects

    return credit_line_objects(owner)


def _convert_objects(owner) -> tuple[object, dict]:
    from tests.convert.conftest import convert_objects

    return convert_objects(owner)


def _rewards_objects(owner) -> tuple[object, dict]:
    from tests.rewards.conftest import rewards_objects

    return rewards_objects(owner)


# Which objects each namespace's (or socket path prefix's) ids refer to, and how to make them:
# a factory returns (an object that must survive a stranger's visit, the URL kwargs).
OBJECT_FACTORIES = {
    "accounts": _connection_objects,
    "transfers": _transfer_objects,
    "trading": _order_objects,
    "history": _connection_objects,
    "wallet": _wallet_objects,
    "custody": _custody_objects,
    "creditline": _credit_line_objects,
    "convert": _convert_objects,
    "rewards": _rewards_objects,
    "ws/connections/": _connection_objects,
}


def _routes_with_pk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes_with_pk(p.url_patterns, p.namespace or namespace)
        elif isinstance(p, URLPattern) and "pk" in p.pattern.converters:
            yield namespace, p.name, tuple(sorted(p.pattern.converters))


# Staff-only surfaces are not per-user objects; test_it_keeps_non_staff_out_of_admin covers them.
NOT_USER_FACING = {"admin"}
ROUTES = sorted(
    r for r in set(_routes_with_pk(get_resolver().url_patterns)) if r[0] not in NOT_USER_FACING
)
SOCKETS = [str(p.pattern) for p in websocket_urlpatterns]
SOCKETS_WITH_PK = [s for s in SOCKETS if "<int:pk>" in s]


def _exchange_requests(sandbox_url) -> int:
    return requests.get(f"{sandbox_url}/sandbox/v1/requests", timeout=5).json()["total"]


def test_it_found_the_routes_it_should_check():
    names = {(ns, name) for ns, name, _ in ROUTES}
    assert {("accounts", "detail"), ("accounts", "delete"), ("transfers", "run-retry")} <= names
    assert "ws/connections/<int:pk>/" in SOCKETS_WITH_PK


@pytest.mark.django_db
@pytest.mark.parametrize(("namespace", "name", "ids"), ROUTES)
def test_it_gives_strangers_404_and_owners_access(client, namespace, name, ids, sandbox_url):
    assert namespace in OBJECT_FACTORIES, f"no factory for {namespace}:{name}; add one"
    owner, stranger = make_user(), make_user()
    obj, kwargs = OBJECT_FACTORIES[namespace](owner)
    url = reverse(f"{namespace}:{name}", kwargs={k: kwargs[k] for k in ids})
    login(client, stranger)
    before = _exchange_requests(sandbox_url)
    # GET on a POST-only view is refused (405) before any lookup, which reveals nothing.
    assert client.get(url).status_code in (404, 405), f"stranger reached GET {url}"
    assert (
        client.post(url, {"label": "x", "api_key": "a" * 64, "api_secret": "b" * 64}).status_code
        == 404
    ), f"stranger reached POST {url}"
    assert _exchange_requests(sandbox_url) == before, "a stranger's request reached the exchange"
    assert type(obj).objects.filter(pk=obj.pk).exists(), "a stranger changed the object"
    login(client, owner)
    assert client.get(url).status_code in (200, 302, 405)


@pytest.mark.django_db
def test_it_keeps_non_staff_out_of_admin(client):
    login(client, make_user())
    for url in ("/admin/", "/admin/accounts/exchangeconnection/", "/admin/otp_totp/totpdevice/"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login/" in resp.url, url


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("route", SOCKETS_WITH_PK)
async def test_it_closes_strangers_sockets(route):
    prefix = route.split("<", 1)[0]
    assert prefix in OBJECT_FACTORIES, f"no factory for socket {route}; add one"
    owner, stranger = await _users()
    _, kwargs = await _make(OBJECT_FACTORIES[prefix], owner)
    path = "/" + route.replace("<int:pk>", str(kwargs["pk"]))
    ws = communicator(path, session=await _session(stranger))
    connected, _ = await ws.connect()
    assert not connected, f"a stranger opened {path}"
    ws = communicator(path, session=await _session(owner))
    connected, _ = await ws.connect()
    assert connected, f"the owner could not open {path}"
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("route", SOCKETS)
async def test_it_refuses_anonymous_and_foreign_origin_sockets(route):
    owner = (await _users())[0]
    path = "/" + route.replace("<int:pk>", "1").replace("<str:symbol>", "BTCUSD")
    anonymous = communicator(path)
    assert not (await anonymous.connect())[0], f"an anonymous socket opened {path}"
    foreign = communicator(path, session=await _session(owner), origin="https://evil.example")
    assert not (await foreign.connect())[0], f"a foreign-origin socket opened {path}"


async def _users():
    from asgiref.sync import sync_to_async

    return await sync_to_async(lambda: (make_user(), make_user()))()


async def _make(factory, user):
    from asgiref.sync import sync_to_async

    return await sync_to_async(factory)(user)


async def _session(user):
    from asgiref.sync import sync_to_async

    return await sync_to_async(session_cookie_for)(user)
