"""The Wallet page as its owner and a stranger see it: networks, deposit addresses (master and
sub-account) with QR, the synced histories with filters and CSV, and "sync now"."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import AuditRecord
from tests.support import exchange_client
from tests.wallet.conftest import queued
from wallet.activity import services
from wallet.activity.models import ActivityKind

pytestmark = pytest.mark.django_db


def _index(conn) -> str:
    return reverse("wallet:index", args=[conn.pk])


def _address(chain, email: str, coin: str, network: str) -> dict:
    """The address the exchange itself gives (read with the account's own key)."""

    with exchange_client(chain.api_key, chain.secret, chain.base) as client:
        if email == chain.email:
            return {"address": client.deposit_address(coin=coin, network=network).address}
        doc = client.sub_account_deposit_address(email=email, coin=coin, network=network)
        return {"address": doc.address}


def test_it_lists_every_network_of_the_catalogue(wallet_desk):
    client, conn, chain = wallet_desk
    page = client.get(_index(conn)).content.decode()
    for coin, doc in chain.catalog()["coins"].items():
        for network in doc["networks"]:
            assert f'data-coin="{coin}" data-network="{network}"' in page


def test_it_shows_the_masters_deposit_address_with_qr_and_copy(wallet_desk):
    client, conn, chain = wallet_desk
    resp = client.get(_index(conn), {"deposit_asset": "BTC:BTC"})
    page = resp.content.decode()
    assert resp.status_code == 200
    assert _address(chain, chain.email, "BTC", "BTC")["address"] in page
    assert 'id="deposit-qr"' in page and "<svg" in page and "<path" in page
    assert 'data-copy="deposit-address-text"' in page
    assert "memo" not in page.split('id="deposit-address"')[1].split("</section>")[0].lower()


def test_it_shows_a_sub_accounts_deposit_address(wallet_desk):
    client, conn, chain = wallet_desk
    resp = client.get(_index(conn), {"deposit_asset": "ETH:ETH", "deposit_account": chain.sub})
    page = resp.content.decode()
    assert resp.status_code == 200
    sub_address = _address(chain, chain.sub, "ETH", "ETH")["address"]
    assert sub_address in page and sub_address != _address(chain, chain.email, "ETH", "ETH")
    assert f"{chain.sub} (sub-account)" in page


def test_it_warns_when_the_network_needs_a_memo(wallet_desk):
    client, conn, chain = wallet_desk
    chain.change_catalog(
        {
            "coins": {
                "XLM": {
                    "networks": {
                        "XLM": {
                            "withdrawFee": "0.01",
                            "withdrawMin": "1",
                            "withdrawMax": "100000",
                            "withdrawIntegerMultiple": "0.0000001",
                            "addressRegex": "^G[A-Z2-7]{55}$",
                            "memoRegex": "^[0-9A-Za-z\\-_]{1,120}$",
                            "depositEnable": True,
                            "withdrawEnable": True,
                            "isDefault": True,
                            "minConfirm": 1,
                            "unLockConfirm": 1,
                        }
                    }
                }
            }
        }
    )
    page = client.get(_index(conn), {"deposit_asset": "XLM:XLM"}).content.decode()
    assert 'id="deposit-memo-warning"' in page and 'id="deposit-memo-text"' in page


def test_it_refuses_a_network_that_is_not_the_coins(wallet_desk):
    client, conn, chain = wallet_desk
    before = chain.requests()
    resp = client.get(_index(conn), {"deposit_asset": "BTC:ETH"})
    assert resp.status_code == 400
    assert 'id="errors-deposit_asset"' in resp.content.decode()
    assert chain.requests() - before <= 1  # the catalogue at most, never an address


def test_it_shows_a_synced_deposit_and_its_status_after_the_clock_moves(wallet_desk):
    client, conn, chain = wallet_desk
    chain.deposit("BTC", "0.5")
    services.activity_sync(connection_id=conn.pk)
    page = client.get(_index(conn)).content.decode()
    assert 'data-state="pending"' in page and ">pending<" in page
    chain.advance_clock(10 * 60_000)
    services.activity_sync(connection_id=conn.pk)
    tables = client.get(reverse("wallet:activity-tables", args=[conn.pk])).content.decode()
    assert 'data-state="success"' in tables and ">success<" in tables and "0.5" in tables


def test_it_exports_the_filtered_rows_as_csv_and_audits_it(wallet_desk):
    client, conn, chain = wallet_desk
    chain.deposit("BTC", "0.125")
    chain.deposit("ETH", "2")
    services.activity_sync(connection_id=conn.pk)
    resp = client.get(reverse("wallet:activity-csv", args=[conn.pk]), {"coin": "BTC"})
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert [(r["coin"], r["amount"], r["status_code"], r["type"]) for r in rows] == [
        ("BTC", "0.125", "0", ActivityKind.DEPOSIT)
    ]
    assert rows[0]["date_utc"].endswith("Z") and rows[0]["status"] == "pending"
    audit = AuditRecord.objects.get(connection=conn, action="wallet.activity.export")
    assert audit.params["coin"] == "BTC"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"coin": "DOGE"}, "coin"),
        ({"state": "lost"}, "state"),
        ({"since": "2026-13-01"}, "since"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "until"),
    ],
)
def test_it_refuses_bad_filters_with_field_errors(wallet_desk, query, field):
    client, conn, _ = wallet_desk
    resp = client.get(_index(conn), query)
    assert resp.status_code == 400
    page = resp.content.decode()
    assert f'id="errors-{field}"' in page and 'aria-invalid="true"' in page
    export = client.get(reverse("wallet:activity-csv", args=[conn.pk]), query)
    assert export.status_code == 400 and b"Filter not applied" in export.content
    assert not AuditRecord.objects.filter(action="wallet.activity.export").exists()


def test_it_queues_a_sync_of_every_coin_on_demand(
    wallet_desk, celery_queue, django_capture_on_commit_callbacks
):
    client, conn, _ = wallet_desk
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("wallet:activity-sync", args=[conn.pk]))
    assert resp.status_code == 302
    assert queued(celery_queue) == [("wallet.activity.tasks.sync_wallet_activity", [conn.pk, True])]


def test_it_answers_the_pages_script_in_json_and_debounces_balance_moves(
    wallet_desk, celery_queue, django_capture_on_commit_callbacks
):
    client, conn, _ = wallet_desk
    url = reverse("wallet:activity-sync", args=[conn.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"trigger": "balance"}, HTTP_ACCEPT="application/json")
        second = client.post(url, {"trigger": "balance"}, HTTP_ACCEPT="application/json")
    assert (first.json(), second.json()) == ({"queued": True}, {"queued": False})
    assert queued(celery_queue) == [
        ("wallet.activity.tasks.sync_wallet_activity", [conn.pk, False])
    ]


@pytest.mark.parametrize("name", ["index", "activity-tables", "activity-csv"])
def test_it_gives_a_stranger_404_and_asks_the_exchange_nothing(
    client, wallet_master, stranger, name
):
    conn, chain = wallet_master
    before = chain.requests()
    assert client.get(reverse(f"wallet:{name}", args=[conn.pk])).status_code == 404
    assert client.post(reverse("wallet:activity-sync", args=[conn.pk])).status_code == 404
    assert chain.requests() == before


def test_the_sandbox_counts_this_keys_requests(wallet_master):
    """The stranger test above relies on this count moving when the key is used."""
    conn, chain = wallet_master
    before = chain.requests()
    services.activity_sync(connection_id=conn.pk)
    assert chain.requests() > before
