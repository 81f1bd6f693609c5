"""The Custody tab as its owner and a stranger see it: both wallets' balances with "in
settlement", the supported assets, the settlement setting counting down on the exchange's clock
and its history, the three forms (refusals on their fields, nothing sent), the transfer list,
its JSON and its CSV."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from custody import sending, sync
from custody.models import CustodyTransfer
from tests.custody.conftest import custody_objects
from tests.factories import login, make_user

pytestmark = pytest.mark.django_db

KEY = "c" * 32


def _url(name, conn, *args) -> str:
    return reverse(f"custody:{name}", args=[conn.pk, *args])


def _post(client, conn, kind, amount, *, asset="BTC", key=KEY):
    data = {"asset": asset, "amount": amount, "request_key": key}
    return client.post(_url(f"{kind}-transfer", conn), data)


def _send_all(conn) -> None:
    for t in CustodyTransfer.objects.filter(connection=conn, status="planned"):
        sending.transfer_send(transfer_id=t.pk, sleep=lambda _: None)


def _form(page: str, form_id: str) -> str:
    return page.split(f'id="{form_id}"')[1].split("</form>")[0]


def test_it_shows_balances_assets_and_the_settlement(custody_desk):
    client, conn, _ = custody_desk
    sync.custody_sync(connection_id=conn.pk)
    page = client.get(_url("index", conn)).content.decode()
    exchange = page.split('id="exchange-balances"')[1].split("</table>")[0]
    assert '<tr data-asset="BTC"><td>BTC</td><td class="free">2</td>' in exchange
    custodial = page.split('id="custodial-balances"')[1].split("</table>")[0]
    assert '<td class="settling">0.5</td>' in custodial.split('data-asset="ETH"')[1]
    assets = page.split('id="custody-supported"')[1].split("</table>")[0]
    assert (
        '<tr data-asset="BTC"><td>BTC</td><td>8</td><td>BTC</td><td>yes</td><td>yes</td>' in assets
    )
    assert '<tr data-asset="ETH"><td>ETH</td><td>8</td><td>ETH</td><td>yes</td><td>—</td>' in assets
    setting = page.split('id="settlement-setting"')[1].split("</p>")[0]
    assert "Active, every 12 h." in setting and 'data-due-ms="4102444800000"' in setting
    assert 'data-settlement="1a22baf2"' in page and "0.25 BTC (BTC)" in page
    assert 'id="custody-now" data-exchange-now-ms="' in page


def test_a_transfer_posted_is_committed_once_then_sent_once(custody_desk):
    client, conn, partner = custody_desk
    before = partner.calls("custodian")
    first = _post(client, conn, "custodian", "2")
    again = _post(client, conn, "custodian", "2")  # the same form, submitted again
    assert first.status_code == again.status_code == 302
    [transfer] = CustodyTransfer.objects.filter(connection=conn)
    assert transfer.client_order_id == KEY and transfer.status == "planned"
    assert partner.calls("custodian") == before  # the worker sends it
    _send_all(conn)
    _send_all(conn)
    assert partner.calls("custodian") == before + 1
    transfer.refresh_from_db()
    assert transfer.status == "done"
    assert [r.client_order_id for r in partner.partner_history()] == [KEY]
    listed = client.get(_url("live", conn)).content.decode()
    row = listed.split(f'data-transfer="{transfer.pk}"')[1].split("</tr>")[0]
    assert 'data-status="done"' in row and "Transfer request received" in row


@pytest.mark.parametrize(
    ("kind", "asset", "amount", "message"),
    [
        ("wallet", "BTC", "abc", "enter a number in plain digits"),
        ("wallet", "BTC", "0", "must be more than zero"),
        ("wallet", "BTC", "0.000000001", "at most 8 decimal places"),
        ("wallet", "BTC", "2.5", "more than is free in the exchange wallet (2 BTC)"),
        ("custodian", "USD", "1", "Select a valid choice"),
        ("custodian", "ETH", "-1", "must be more than zero"),
    ],
)
def test_a_bad_transfer_shows_its_field_error_and_sends_nothing(
    custody_desk, kind, asset, amount, message
):
    client, conn, partner = custody_desk
    before = partner.calls(kind)
    resp = _post(client, conn, kind, amount, asset=asset)
    assert resp.status_code == 200
    form = _form(resp.content.decode(), f"{kind}-form")
    field = "asset" if asset == "USD" else "amount"
    assert f'id="errors-{field}"' in form and message in form
    assert 'aria-invalid="true"' in form and "aria-describedby=" in form
    assert not CustodyTransfer.objects.exists() and partner.calls(kind) == before


def test_an_undo_is_chosen_from_the_processed_partner_transfers(custody_desk):
    client, conn, partner = custody_desk
    _post(client, conn, "custodian", "3")
    _send_all(conn)
    page = client.get(_url("index", conn)).content.decode()
    assert 'id="undo-none"' in page  # received, not processed yet: nothing to undo
    partner.advance_clock(6_000)
    sync.custody_sync(connection_id=conn.pk)
    origin = CustodyTransfer.objects.get(connection=conn)
    undo_form = _form(client.get(_url("index", conn)).content.decode(), "undo-form")
    assert f'<option value="{origin.pk}">3 BTC · {origin.transfer_id}' in undo_form

    before = partner.calls("undo")
    resp = client.post(_url("undo", conn), {"origin": origin.pk, "request_key": "d" * 32})
    assert resp.status_code == 302
    _send_all(conn)
    undo = CustodyTransfer.objects.get(connection=conn, kind="undo")
    assert undo.status == "done" and partner.calls("undo") == before + 1
    assert partner.custodial_free("BTC") == Decimal("1")
    assert 'id="undo-none"' in client.get(_url("index", conn)).content.decode()


def test_a_bad_undo_is_refused_on_its_field(custody_desk):
    client, conn, partner = custody_desk
    before = partner.calls("undo")
    resp = client.post(_url("undo", conn), {"origin": "999999", "request_key": "d" * 32})
    form = _form(resp.content.decode(), "undo-form")
    assert resp.status_code == 200 and 'id="errors-origin"' in form
    assert "Select a valid choice" in form and partner.calls("undo") == before


def test_a_stale_sign_in_confirms_before_moving_money(client, custody_master):
    conn, _partner = custody_master
    login(client, conn.user, fresh=False)
    resp = _post(client, conn, "wallet", "1")
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("reauth"))
    assert not CustodyTransfer.objects.exists()


def test_the_transfers_export_as_csv(custody_desk):
    client, conn, _ = custody_desk
    _post(client, conn, "wallet", "0.5")
    _send_all(conn)
    resp = client.get(_url("transfers-csv", conn))
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert rows[0][:5] == ["created_utc", "kind", "rail", "asset", "amount"]
    assert rows[1][1:8] == ["wallet", "ANCHORAGE", "BTC", "0.5", "done", "SUCCESS", KEY]
    transfer = CustodyTransfer.objects.get(connection=conn)
    doc = client.get(_url("transfer", conn, transfer.pk)).json()
    assert doc["status"] == "done" and doc["final"] is True and doc["amount"] == "0.5"


def test_a_stranger_gets_404s_and_the_exchange_sees_nothing(client, custody_master):
    conn, partner = custody_master
    ids = custody_objects(conn.pk)
    login(client, make_user())
    before = partner.requests()
    gets = ["index", "live", "transfers-csv"]
    posts = ["wallet-transfer", "custodian-transfer", "undo", "sync"]
    for name in gets:
        assert client.get(_url(name, conn)).status_code == 404, name
    for name in posts:
        resp = client.post(_url(name, conn), {"asset": "BTC", "amount": "1", "origin": "1"})
        assert resp.status_code == 404, name
    assert client.get(_url("transfer", conn, ids["tid"])).status_code == 404
    assert partner.requests() == before
    assert CustodyTransfer.objects.filter(connection=conn).count() == 1


def test_another_connections_transfer_is_not_found(custody_desk):
    client, conn, _ = custody_desk
    from tests.factories import make_connection

    other = make_connection(make_user())
    ids = custody_objects(other.pk)
    assert client.get(_url("transfer", conn, ids["tid"])).status_code == 404
