"""The Staking tab as its owner and a stranger see it, and the histories behind it: the
catalogue and positions, the forms (refusals on their fields, nothing sent), the synced staking
history and rewards (chart series, CSV), pending unstakes credited on the sandbox clock."""

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditRecord
from tests.wallet.conftest import queued
from wallet.staking import sending, sync
from wallet.staking.models import StakingEvent, StakingOperation, StakingReward

pytestmark = pytest.mark.django_db

DAY_MS = 86_400_000


def _url(name, conn) -> str:
    return reverse(f"wallet:{name}", args=[conn.pk])


def _stake(client, conn, amount, *, kind="stake", key="a" * 32, **extra):
    data = {"asset": "ETH", "amount": amount, "request_key": key, **extra}
    return client.post(_url(kind, conn), data)


def _send_all(conn) -> None:
    for op in StakingOperation.objects.filter(connection=conn, status="planned"):
        sending.operation_send(operation_id=op.pk)


def test_it_shows_the_catalogue_and_positions(wallet_desk):
    client, conn, chain = wallet_desk
    with chain.client() as exchange:
        exchange.stake(staking_asset="ETH", amount=Decimal("3"))
    page = client.get(_url("staking", conn)).content.decode()
    assert '<tr data-asset="ETH"><td>ETH</td><td>ETH</td><td>3.25 %</td><td>3.3 %</td>' in page
    assert '<tr data-asset="SOL"><td>SOL</td><td>SOL</td><td>6.17 %</td>' in page
    positions = page.split('id="staking-positions"')[1].split("</table>")[0]
    assert '<td class="staked">3</td>' in positions


def test_a_stake_posted_is_committed_once_and_queued(
    wallet_desk, celery_queue, django_capture_on_commit_callbacks
):
    client, conn, chain = wallet_desk
    before = chain.requests()
    with django_capture_on_commit_callbacks(execute=True):
        resp = _stake(client, conn, "2", auto_restake="on")
        # The same form, submitted again.
        again = _stake(client, conn, "2", auto_restake="on")
    assert resp.status_code == 302
    assert again.status_code == 302
    [op] = StakingOperation.objects.filter(connection=conn)
    assert op.amount == Decimal("2") and op.auto_restake and op.request_key == "a" * 32
    assert queued(celery_queue).count(("wallet.staking.tasks.send_staking_operation", [op.pk])) == 1
    assert AuditRecord.objects.filter(action="staking.stake.request").count() == 1
    # Checking it read the catalogue and balances; nothing was staked yet.
    assert chain.requests() > before and chain.staked("ETH") == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "enter a number in plain digits"),
        ("0", "must be more than zero"),
        ("0.001", "below the minimum stake of 0.01 ETH"),
        ("500", "more than the free balance (50 ETH)"),
    ],
)
def test_a_bad_stake_shows_its_field_error_and_sends_nothing(wallet_desk, amount, message):
    client, conn, chain = wallet_desk
    resp = _stake(client, conn, amount)
    page = resp.content.decode()
    assert resp.status_code == 200
    errors = page.split('id="stake-form"')[1].split("</form>")[0]
    assert 'id="errors-amount"' in errors and message in errors
    assert 'aria-invalid="true"' in errors
    assert not StakingOperation.objects.exists() and chain.staked("ETH") == 0


def test_unstaking_more_than_is_staked_is_refused_on_the_unstake_form(wallet_desk):
    client, conn, _ = wallet_desk
    resp = _stake(client, conn, "1", kind="unstake")
    form = resp.content.decode().split('id="unstake-form"')[1].split("</form>")[0]
    assert resp.status_code == 200 and "more than is staked (0 ETH)" in form
    assert not StakingOperation.objects.exists()


def test_the_sync_stores_rewards_and_follows_an_unstake_until_credited(wallet_desk):
    client, conn, chain = wallet_desk
    _stake(client, conn, "10", key="b" * 32, auto_restake="on")
    _send_all(conn)
    chain.advance_clock(3 * DAY_MS + 60_000)
    assert sync.staking_sync(connection_id=conn.pk) >= 4  # the stake and three rewards
    rewards = list(StakingReward.objects.filter(connection=conn).order_by("time"))
    # The sandbox's rule: floor8(stake x apr / 365) a day, restaked (the stake grows).
    assert [r.amount for r in rewards] == [
        Decimal("0.00089041"),  # 10 x 0.0325 / 365
        Decimal("0.00089049"),  # 10.00089041 x ...
        Decimal("0.00089056"),  # 10.0017809 x ...
    ]
    assert all(r.auto_restaked and r.asset == "ETH" for r in rewards)
    assert sync.staking_sync(connection_id=conn.pk) == 0  # re-read, nothing new

    _stake(client, conn, "4", kind="unstake", key="c" * 32)
    _send_all(conn)
    sync.staking_sync(connection_id=conn.pk)
    pending = StakingEvent.objects.get(connection=conn, type="unstaked")
    assert pending.status == "PENDING"
    assert pending.due_at - pending.initiated_time == timedelta(hours=168)
    page = client.get(_url("staking-live", conn)).content.decode()
    assert (
        'id="staking-pending"' in page
        and f'data-due-ms="{int(pending.due_at.timestamp() * 1000)}"' in page
    )

    chain.advance_clock(168 * 3_600_000)
    sync.staking_sync(connection_id=conn.pk)
    pending.refresh_from_db()
    assert pending.status == "SUCCESS"
    assert 'id="staking-pending"' not in client.get(_url("staking-live", conn)).content.decode()


def test_the_rewards_chart_series_and_csv(wallet_desk):
    client, conn, chain = wallet_desk
    _stake(client, conn, "20", key="d" * 32, auto_restake="on")
    _send_all(conn)
    chain.advance_clock(2 * DAY_MS + 60_000)
    sync.staking_sync(connection_id=conn.pk)
    rewards = list(StakingReward.objects.filter(connection=conn).order_by("time"))
    assert len(rewards) == 2
    page = client.get(_url("staking", conn)).content.decode()
    series = json.loads(
        page.split('id="reward-series" type="application/json">')[1].split("</script>")[0]
    )
    daily = series["ETH"]["daily"]
    assert [d["value"] for d in daily] == [str(r.amount.normalize()) for r in rewards]
    total = series["ETH"]["cumulative"][-1]["value"]
    assert Decimal(total) == rewards[0].amount + rewards[1].amount

    resp = client.get(_url("staking-rewards-csv", conn))
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert rows[0] == ["date_utc", "asset", "amount", "usd_value", "auto_restaked", "tran_id"]
    assert [r[5] for r in rows[1:]] == [str(r.tran_id) for r in rewards]
    assert rows[1][2] == str(rewards[0].amount.normalize()) and rows[1][4] == "true"
    assert AuditRecord.objects.filter(action="staking.rewards.export").count() == 1


def test_opening_the_tab_queues_one_sync(
    wallet_desk, celery_queue, django_capture_on_commit_callbacks
):
    client, conn, _ = wallet_desk
    with django_capture_on_commit_callbacks(execute=True):
        client.get(_url("staking", conn))
        client.get(_url("staking", conn))
    assert queued(celery_queue).count(("wallet.staking.tasks.sync_staking", [conn.pk])) == 1
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(_url("staking-sync", conn), HTTP_ACCEPT="application/json")
    assert resp.json() == {"queued": True}
    assert queued(celery_queue).count(("wallet.staking.tasks.sync_staking", [conn.pk])) == 2


def test_a_stranger_gets_404_everywhere(wallet_master, client, stranger):
    conn, chain = wallet_master
    op = StakingOperation.objects.create(
        connection=conn, request_key="e" * 32, kind="stake", asset="ETH", amount=Decimal("1")
    )
    for url in (
        _url("staking", conn),
        _url("staking-live", conn),
        _url("staking-rewards-csv", conn),
        reverse("wallet:staking-op", args=[conn.pk, op.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert _stake(client, conn, "1").status_code == 404
    assert client.post(_url("staking-sync", conn)).status_code == 404
    assert StakingOperation.objects.count() == 1 and chain.staked("ETH") == 0
