"""The withdrawal pages and the address book, as owner and stranger, against the real sandbox."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditRecord
from tests.factories import login, make_user
from tests.wallet.conftest import BTC_ADDRESS, ETH_ADDRESS, exchange_withdrawals, withdraw_calls
from wallet.withdrawals import sending
from wallet.withdrawals.models import AddressBookEntry, Withdrawal, WithdrawalStatus

pytestmark = pytest.mark.django_db


def _add_address(client, conn, **data):
    doc = {
        "label": "Cold",
        "coin": "ETH",
        "network": "ETH",
        "address": ETH_ADDRESS,
        "memo": "",
        "cool_off_hours": "24",
    }
    doc.update(data)
    return client.post(reverse("wallet:address-add", args=[conn.pk]), doc)


def _withdraw(client, conn, entry, *, confirm=False, **data):
    """The form's review step, or with ``confirm`` its confirmation step."""
    doc = {
        "coin": entry.coin,
        "network": entry.network,
        "address": entry.pk,
        "amount": "1",
        "request_key": uuid.uuid4().hex,
    }
    doc.update(data)
    step = "wallet:withdraw-confirm" if confirm else "wallet:withdraw"
    return client.post(reverse(step, args=[conn.pk]), doc)


def _field_error(resp, field: str) -> str:
    html = resp.content.decode()
    match = re.search(rf'id="errors-{field}"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no error on {field}: {html[:3000]}"
    return re.sub(r"<[^>]+>", "", match.group(1))


# --- address book -------------------------------------------------------------------------------
def test_it_adds_an_address_usable_after_the_chosen_cool_off(wallet_desk):
    client, conn, _ = wallet_desk
    before = timezone.now()
    resp = _add_address(client, conn, cool_off_hours="72")
    assert resp.status_code == 302
    entry = AddressBookEntry.objects.get(connection=conn)
    wait = entry.usable_from - before
    assert timedelta(hours=72) <= wait < timedelta(hours=72, minutes=1)
    assert entry.usable_from.utcoffset() == timedelta(0)
    record = AuditRecord.objects.get(action="withdraw_address.add")
    assert record.params["address"] == ETH_ADDRESS and record.connection == conn
    page = client.get(reverse("wallet:addresses", args=[conn.pk])).content.decode()
    assert "Cold" in page and ETH_ADDRESS in page


def test_it_asks_for_a_fresh_sign_in_before_adding_an_address(client, wallet_master):
    conn, _ = wallet_master
    login(client, conn.user, fresh=False)
    resp = _add_address(client, conn)
    assert resp.status_code == 302 and resp.url.startswith(reverse("reauth"))
    assert not AddressBookEntry.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"address": "0x1234"}, "address", "not a ETH address"),
        ({"coin": "BTC", "network": "BTC", "address": ETH_ADDRESS}, "address", "not a BTC"),
        ({"memo": "12345"}, "memo", "takes no memo"),
        ({"coin": "BTC", "network": "ETH", "address": BTC_ADDRESS}, "network", "no network ETH"),
        ({"coin": "DOGE"}, "coin", "Select a valid choice"),
        ({"cool_off_hours": "0"}, "cool_off_hours", "Select a valid choice"),
        ({"address": ""}, "address", "required"),
    ],
)
def test_it_refuses_a_bad_address_on_its_field(wallet_desk, data, field, words):
    client, conn, _ = wallet_desk
    resp = _add_address(client, conn, **data)
    assert resp.status_code == 200
    assert words in _field_error(resp, field)
    assert not AddressBookEntry.objects.exists()


def test_it_deletes_an_address_at_once(wallet_desk, usable_address):
    client, conn, _ = wallet_desk
    entry = usable_address()
    resp = client.post(reverse("wallet:address-delete", args=[conn.pk, entry.pk]))
    assert resp.status_code == 302 and not AddressBookEntry.objects.exists()
    assert AuditRecord.objects.filter(action="withdraw_address.delete").count() == 1


# --- withdrawing --------------------------------------------------------------------------------
def test_it_shows_the_form_with_the_catalogue_for_the_fee(wallet_desk, usable_address):
    client, conn, _ = wallet_desk
    usable_address()
    page = client.get(reverse("wallet:withdraw", args=[conn.pk])).content.decode()
    assert 'id="withdraw-catalogue"' in page and '"fee": "0.0015"' in page
    assert 'value="BITGO"' in page and "js/withdraw.js" in page
    assert 'name="request_key"' in page and "Cold: ETH on ETH" in page


def test_it_refuses_a_key_that_cannot_withdraw_with_its_type(client):
    from accounts.models import KeyType
    from tests.factories import make_connection

    user = make_user()
    conn = make_connection(user)
    type(conn).objects.filter(pk=conn.pk).update(key_type=KeyType.CUSTODIAL)
    login(client, user)
    resp = client.get(reverse("wallet:withdraw", args=[conn.pk]))
    assert resp.status_code == 404 and "cannot withdraw funds" in resp.content.decode()


def test_it_refuses_an_address_in_its_cool_off_then_allows_it(wallet_desk):
    client, conn, chain = wallet_desk
    _add_address(client, conn, cool_off_hours="1")
    entry = AddressBookEntry.objects.get(connection=conn)
    before = withdraw_calls(chain)
    resp = _withdraw(client, conn, entry, confirm=True)
    assert resp.status_code == 400 and "can be used from" in _field_error(resp, "address")
    entry.usable_from = timezone.now() - timedelta(seconds=1)
    entry.save(update_fields=["usable_from"])
    resp = _withdraw(client, conn, entry)
    assert resp.status_code == 200 and "Confirm the withdrawal" in resp.content.decode()
    assert withdraw_calls(chain) == before and not Withdrawal.objects.exists()


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.001", "at least 0.003"),  # ETH's withdrawMin
        ("20000", "at most 10000"),  # its withdrawMax
        ("1.123456789", "at most 8 decimal places"),
        ("0", "more than zero"),
        ("60", "more than the free balance (50 ETH)"),
        ("1e3", "plain digits"),
    ],
)
def test_it_refuses_a_bad_amount_on_its_field_and_sends_nothing(
    wallet_desk, usable_address, amount, words
):
    client, conn, chain = wallet_desk
    entry = usable_address()
    before = withdraw_calls(chain)
    resp = _withdraw(client, conn, entry, amount=amount)
    assert resp.status_code == 200 and words in _field_error(resp, "amount")
    resp = _withdraw(client, conn, entry, amount=amount, confirm=True)
    assert resp.status_code == 400 and words in _field_error(resp, "amount")
    assert withdraw_calls(chain) == before and not Withdrawal.objects.exists()


def test_it_refuses_an_amount_off_the_networks_multiple(wallet_desk, usable_address):
    client, conn, chain = wallet_desk
    chain.change_catalog(
        {"coins": {"USDT": {"networks": {"BSC": {"withdrawIntegerMultiple": "0.5"}}}}}
    )
    entry = usable_address("USDT", "BSC", label="Hot")
    before = withdraw_calls(chain)
    resp = _withdraw(client, conn, entry, amount="10.3", confirm=True)
    assert "multiple of 0.5" in _field_error(resp, "amount")
    assert withdraw_calls(chain) == before


def test_it_confirms_then_withdraws_once_and_shows_it(wallet_desk, usable_address):
    client, conn, chain = wallet_desk
    entry = usable_address()
    key = uuid.uuid4().hex
    resp = _withdraw(client, conn, entry, amount="2", request_key=key)
    page = resp.content.decode()
    assert "Confirm the withdrawal" in page and not Withdrawal.objects.exists()
    assert "0.0015 ETH" in page and "1.9985 ETH" in page  # the fee and what arrives
    assert f'action="{reverse("wallet:withdraw-confirm", args=[conn.pk])}"' in page
    confirm = _withdraw(client, conn, entry, amount="2", request_key=key, confirm=True)
    w = Withdrawal.objects.get()
    assert confirm.status_code == 302
    assert confirm.url == reverse("wallet:withdrawal", args=[conn.pk, w.pk])
    again = _withdraw(client, conn, entry, amount="2", request_key=key, confirm=True)
    assert again.url == confirm.url and Withdrawal.objects.count() == 1
    sending.withdrawal_send(withdrawal_id=w.pk)
    rows = [r for r in exchange_withdrawals(chain, "ETH") if r.withdraw_order_id == key]
    assert len(rows) == 1
    detail = client.get(confirm.url).content.decode()
    assert "Sent — processing" in detail and rows[0].id in detail
    doc = client.get(reverse("wallet:withdrawal-json", args=[conn.pk, w.pk])).json()
    assert doc["status"] == "sent" and doc["receive"] == "1.9985" and not doc["final"]


def test_it_shows_the_exchanges_refusal_with_its_code(wallet_desk, usable_address):
    client, conn, chain = wallet_desk
    entry = usable_address()
    _withdraw(client, conn, entry, confirm=True)
    w = Withdrawal.objects.get()
    chain.change_catalog({"coins": {"ETH": {"networks": {"ETH": {"withdrawEnable": False}}}}})
    sending.withdrawal_send(withdrawal_id=w.pk)
    page = client.get(reverse("wallet:withdrawal", args=[conn.pk, w.pk])).content.decode()
    assert "Failed" in page and "-1130" in page and "network" in page


def test_it_asks_for_a_fresh_sign_in_before_withdrawing(client, wallet_master, usable_address):
    conn, _ = wallet_master
    entry = usable_address()
    login(client, conn.user, fresh=False)
    resp = _withdraw(client, conn, entry, confirm=True)
    assert resp.status_code == 302 and resp.url.startswith(reverse("reauth"))
    assert not Withdrawal.objects.exists()


def test_it_lists_the_withdrawals(wallet_desk, usable_address):
    client, conn, _ = wallet_desk
    _withdraw(client, conn, usable_address(), amount="1.25", confirm=True)
    page = client.get(reverse("wallet:withdrawals", args=[conn.pk])).content.decode()
    assert "1.25" in page and "Planned" in page


# --- ownership ----------------------------------------------------------------------------------
def test_it_gives_strangers_404_and_sends_nothing(client, wallet_master, usable_address):
    conn, chain = wallet_master
    entry = usable_address()
    w = Withdrawal.objects.create(
        connection=conn,
        request_key=uuid.uuid4().hex,
        kind="crypto",
        coin="ETH",
        network="ETH",
        address=ETH_ADDRESS,
        amount=1,
        status=WithdrawalStatus.FAILED,
    )
    pk = conn.pk
    urls = [
        reverse("wallet:withdraw", args=[pk]),
        reverse("wallet:withdraw-confirm", args=[pk]),
        reverse("wallet:withdrawals", args=[pk]),
        reverse("wallet:withdrawal", args=[pk, w.pk]),
        reverse("wallet:withdrawal-json", args=[pk, w.pk]),
        reverse("wallet:addresses", args=[pk]),
        reverse("wallet:address-add", args=[pk]),
        reverse("wallet:address-delete", args=[pk, entry.pk]),
    ]
    login(client, make_user())
    before = chain.requests()
    for url in urls:
        assert client.get(url).status_code in (404, 405), url
        data = {"coin": "ETH", "network": "ETH", "address": entry.pk, "amount": "1"}
        assert client.post(url, data).status_code == 404, url
    assert chain.requests() == before
    assert AddressBookEntry.objects.filter(pk=entry.pk).exists()
    assert Withdrawal.objects.count() == 1


def test_it_gives_404_for_another_connections_ids(client, wallet_master, usable_address):
    from tests.factories import make_connection

    conn, _ = wallet_master
    entry = usable_address()
    mine = make_connection(conn.user)
    login(client, conn.user)
    url = reverse("wallet:address-delete", args=[mine.pk, entry.pk])
    assert client.post(url).status_code == 404
    assert AddressBookEntry.objects.filter(pk=entry.pk).exists()
