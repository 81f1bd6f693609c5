"""Custodial orders placed exactly once against the real sandbox (spec "Trade Order
(Custodial)"): one order on the exchange per request key, an unknown answer found again in the
exchange's open orders (no client id exists to look it up by), a 503 sent again once, the
ticket's filters and the custodial balance checked before anything is sent, express trade when
the sub-account is short, a cancel, the sync's histories and their CSV files, owner vs
stranger."""

from decimal import Decimal

import pytest

from accounts.models import AuditRecord
from custody import reconcile, sync
from custody.orders import sending, services
from custody.orders.models import CustodialOrder, CustodialTrade, ExchangeOrder
from desk.problems import Refused
from tests.custody.conftest import RAIL
from tests.factories import login, make_user
from trading.orders.services import OrderRequest

pytestmark = pytest.mark.django_db

NO_SLEEP = {"sleep": lambda _: None}
# Well below BTCUSD's sandbox market (about 60000) and within its 0.2x percent-price band.
LOW_BID = Decimal("50000.00")


def _request(**kw) -> OrderRequest:
    order = {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC"}
    order.update({"quantity": Decimal("0.001"), "price": LOW_BID, **kw})
    return OrderRequest(**order)


def _ask(conn, *, key="a" * 32, express=False, **kw) -> CustodialOrder:
    return services.order_request(
        connection=conn,
        user=conn.user,
        request_key=key,
        request=_request(**kw),
        allow_express_trade=express,
    )


def _place(conn, **kw) -> CustodialOrder:
    order = _ask(conn, **kw)
    return sending.order_send(order_id=order.pk, **NO_SLEEP) or order


def _open_on_exchange(partner) -> list:
    with partner.client() as c:
        return c.custodian_open_orders(rail=RAIL, symbol="BTCUSD")


def test_it_places_a_custodial_order_once(custody_trader):
    conn, partner = custody_trader
    before = partner.calls("order")
    first = _place(conn)
    again = _place(conn)  # the same form submitted twice
    assert first.pk == again.pk and first.status == "done"
    assert partner.calls("order") == before + 1
    [mine] = _open_on_exchange(partner)
    assert first.order_id == mine.order_id and mine.price == LOW_BID
    row = ExchangeOrder.objects.get(connection=conn, order_id=mine.order_id)
    assert row.is_open and row.orig_qty == Decimal("0.001")
    # The BUY locks its quote in the custodial sub-account.
    assert partner.custodial_free("USD") == Decimal("950")
    assert AuditRecord.objects.filter(action="custody.order", outcome="ok").count() == 1


def test_it_reconciles_an_unknown_order_to_the_exchanges_order(custody_trader):
    conn, partner = custody_trader
    partner.faults(custodyOrder={"mode": "execute_then_500", "count": 1})
    before = partner.calls("order")
    order = _place(conn)
    assert order.status == "unknown" and order.order_id is None
    assert reconcile.custody_reconcile()["done"] == 1
    order.refresh_from_db()
    [mine] = _open_on_exchange(partner)
    assert order.status == "done" and order.order_id == mine.order_id
    assert partner.calls("order") == before + 1  # never sent again


def test_it_sends_a_503_again_once(custody_trader):
    conn, partner = custody_trader
    partner.faults(custodyOrder={"mode": "unavailable_503", "count": 1})
    before = partner.calls("order")
    order = _place(conn)
    assert order.status == "done" and partner.calls("order") == before + 2
    assert len(_open_on_exchange(partner)) == 1


@pytest.mark.parametrize(
    ("order", "field", "says"),
    [
        ({"price": Decimal("50000.001")}, "price", "tick"),
        ({"quantity": Decimal("0.000001")}, "quantity", ""),
        ({"quantity": Decimal("1")}, "quantity", "Not enough USD in the custodial sub-account"),
    ],
)
def test_it_refuses_bad_input_on_its_field_and_sends_nothing(custody_trader, order, field, says):
    conn, partner = custody_trader
    before = partner.calls("order")
    with pytest.raises(Refused) as refused:
        _ask(conn, **order)
    [problem] = [p for p in refused.value.problems if p.field == field]
    assert says in problem.message
    assert not CustodialOrder.objects.filter(connection=conn).exists()
    assert partner.calls("order") == before


def test_it_takes_a_shortfall_from_the_partner_with_express_trade(custody_trader):
    conn, partner = custody_trader
    order = _place(conn, quantity=Decimal("0.1"), express=True)  # 5000 USD; 1000 are free
    assert order.status == "done" and order.express_trade_flag is True
    with partner.client() as c:
        [express] = c.custodian_transfer_history(rail=RAIL, express_trade_transfer=True)
    assert express.express_trade and express.amount == Decimal("5000")


def test_it_fails_a_refusal_with_the_exchanges_code(custody_trader):
    conn, partner = custody_trader
    # Post-only above the market would take: the engine refuses it.
    order = _place(conn, type="LIMIT_MAKER", time_in_force=None, price=Decimal("70000.00"))
    assert order.status == "failed" and order.error_code == -2010 and order.error_message
    assert _open_on_exchange(partner) == []


def test_it_keeps_one_order_per_symbol_in_flight(custody_trader):
    conn, _partner = custody_trader
    _ask(conn, key="a" * 32)  # planned: no worker runs here
    with pytest.raises(Refused) as refused:
        _ask(conn, key="b" * 32)
    assert refused.value.problems[0].field == "symbol"
    assert CustodialOrder.objects.filter(connection=conn).count() == 1


def test_it_cancels_and_a_second_cancel_finds_it_gone(custody_trader):
    conn, partner = custody_trader
    order = _place(conn)
    row = ExchangeOrder.objects.get(connection=conn, order_id=order.order_id)
    assert services.order_cancel(user=conn.user, row=row).status == "CANCELED"
    assert _open_on_exchange(partner) == []
    # -2011 "Unknown order sent.": it is gone; its status is read again.
    assert services.order_cancel(user=conn.user, row=row).status == "CANCELED"


def test_the_sync_stores_order_and_trade_history(custody_trader):
    conn, partner = custody_trader
    _place(conn, type="MARKET", time_in_force=None, price=None, quantity=Decimal("0.001"))
    _place(conn, key="c" * 32)
    partner.advance_clock(60_000)  # past the histories' lag
    sync.custody_sync(connection_id=conn.pk)
    statuses = dict(ExchangeOrder.objects.filter(connection=conn).values_list("type", "status"))
    assert statuses == {"MARKET": "FILLED", "LIMIT": "NEW"}
    fills = CustodialTrade.objects.filter(connection=conn)
    assert fills.exists() and sum(f.qty for f in fills) == Decimal("0.001")


def test_the_views_place_cancel_and_export(client, custody_trader):
    conn, partner = custody_trader
    login(client, conn.user)
    base = f"/connections/{conn.pk}/custody"
    data = {"symbol": "BTCUSD", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
            "quantity": "0.001", "price": "50000.001", "client_order_id": "d" * 32}  # fmt: skip
    json = {"HTTP_ACCEPT": "application/json"}
    bad = client.post(f"{base}/orders/place/", data, **json)
    assert bad.json()["ok"] is False and "price" in bad.json()["errors"]
    ok = client.post(f"{base}/orders/place/", {**data, "price": "50000"}, **json)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    order = CustodialOrder.objects.get(connection=conn)
    sending.order_send(order_id=order.pk, **NO_SLEEP)
    row = ExchangeOrder.objects.get(connection=conn)
    page = client.get(f"{base}/live/")
    assert f'data-order-id="{row.order_id}"' in page.content.decode()
    csv = b"".join(client.get(f"{base}/orders.csv").streaming_content).decode()
    assert csv.splitlines()[0].startswith("time_utc,symbol,order_id") and str(row.order_id) in csv

    stranger = make_user()
    login(client, stranger)
    calls = partner.requests()
    assert client.post(f"{base}/orders/{row.pk}/cancel/", **json).status_code == 404
    assert client.get(f"{base}/orders/desk/{order.pk}.json").status_code == 404
    assert partner.requests() == calls

    login(client, conn.user)
    cancel = client.post(f"{base}/orders/{row.pk}/cancel/", **json)
    assert cancel.json() == {"ok": True, "message": cancel.json()["message"], "status": "CANCELED"}
