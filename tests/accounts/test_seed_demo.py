import base64
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command

from accounts import crypto
from accounts.models import ExchangeConnection, KeyType
from accounts.tasks import sync_all_balances
from custody.models import CustodySync
from dashboard.portfolio import holdings
from desk.celery import app, run_at_beat_start
from tests.sandbox.sandbox_support import signed
from tests.support import broker_clear, broker_pop, start_sandbox, terminate
from wallet.staking.models import StakingEvent, StakingSync

pytestmark = pytest.mark.django_db


def _seed(path):
    call_command("seed_demo", "--bootstrap", str(path))
    return json.loads(path.read_text())["accounts"][0]["keys"][0]


def test_it_creates_the_demo_user_and_a_matching_sandbox_key(tmp_path):
    path = tmp_path / "bootstrap.json"
    key = _seed(path)
    user = get_user_model().objects.get(username="demo")
    assert user.check_password("demo-desk-2026")
    conn = ExchangeConnection.objects.get(user=user, key_type=KeyType.EXCHANGE)
    assert crypto.decrypt(conn.api_key_encrypted) == key["apiKey"]
    assert crypto.decrypt(conn.api_secret_encrypted) == key["secretKey"]
    assert path.stat().st_mode & 0o077 == 0, "bootstrap file holds secrets: owner-only"
    # The demo master comes with sub-accounts, and the app knows the master's own email.
    accounts = json.loads(path.read_text())["accounts"]
    master = accounts[0]["email"]
    assert conn.account_email == master
    assert [a["master"] for a in accounts[1:]] == [master, master]


def test_it_is_idempotent(tmp_path):
    path = tmp_path / "bootstrap.json"
    first, second = _seed(path), _seed(path)
    assert first == second
    assert ExchangeConnection.objects.count() == 3


def test_it_follows_a_regenerated_bootstrap_file(tmp_path):
    path = tmp_path / "bootstrap.json"
    _seed(path)
    path.unlink()
    key = _seed(path)
    conn = ExchangeConnection.objects.get(key_type=KeyType.EXCHANGE)
    assert crypto.decrypt(conn.api_key_encrypted) == key["apiKey"]


def test_it_gives_the_demo_a_custodial_and_a_credit_line_connection(tmp_path):
    path = tmp_path / "bootstrap.json"
    _seed(path)
    master = json.loads(path.read_text())["accounts"][0]
    keys = {k["type"]: k["apiKey"] for k in master["keys"]}
    for key_type in (KeyType.CUSTODIAL, KeyType.CREDIT_LINE):
        conn = ExchangeConnection.objects.get(key_type=key_type)
        assert crypto.decrypt(conn.api_key_encrypted) == keys[key_type]
    assert (
        ExchangeConnection.objects.get(key_type=KeyType.CUSTODIAL).custodian_rail
        == (master["custody"]["rail"])
    )
    assert master["creditLine"]["loanAssets"] and master["custody"]["balances"]


def test_it_keeps_an_older_files_keys_and_gives_it_the_rest_of_the_demo(tmp_path):
    path = tmp_path / "bootstrap.json"
    _seed(path)
    doc = json.loads(path.read_text())
    keys = doc["accounts"][0]["keys"]
    # A file from before staking and the custodial and credit-line keys.
    doc["accounts"][0] = {**doc["accounts"][0], "keys": keys[:1]}
    del doc["accounts"][0]["staking"]
    path.write_text(json.dumps(doc))

    _seed(path)

    master = json.loads(path.read_text())["accounts"][0]
    assert master["keys"][0] == keys[0]
    assert [k["type"] for k in master["keys"]] == ["exchange", "custodial", "credit_line"]
    assert master["staking"]
    assert ExchangeConnection.objects.count() == 3


def test_it_marks_the_demos_staking_and_custody_as_followed(tmp_path):
    _seed(tmp_path / "bootstrap.json")
    exchange = ExchangeConnection.objects.get(key_type=KeyType.EXCHANGE)
    custodial = ExchangeConnection.objects.get(key_type=KeyType.CUSTODIAL)
    assert StakingSync.objects.filter(connection=exchange).exists()
    assert CustodySync.objects.filter(connection=custodial).exists()


@pytest.fixture
def demo_sandbox(tmp_path, settings) -> Iterator[tuple[str, dict]]:
    """A sandbox loading seed_demo's bootstrap file, as `make run`'s does, and the desk pointed
    at it: (base URL, the file's document)."""
    path = tmp_path / "bootstrap.json"
    _seed(path)
    proc, base = start_sandbox("--bootstrap", str(path), "--tick-ms", "0")
    settings.SANDBOX_REST_URL = base
    settings.SANDBOX_WS_URL = base.replace("http://", "ws://")
    settings.SANDBOX_WS_API_URL = settings.SANDBOX_WS_URL + "/ws-api/v3"
    yield base, json.loads(path.read_text())
    terminate(proc)


def _key(doc: dict, kind: str) -> dict:
    return next(k for k in doc["accounts"][0]["keys"] if k["type"] == kind)


def test_it_bootstraps_a_sandbox_with_the_demos_sub_accounts_and_stakes(demo_sandbox):
    base, doc = demo_sandbox
    master, *subs = doc["accounts"]
    key = _key(doc, "exchange")

    listed = signed(base, "GET", "/sapi/v3/sub-account/list", key).json()["subAccounts"]
    assert sorted(s["email"] for s in listed) == sorted(s["email"] for s in subs)
    for sub in subs:
        assets = signed(base, "GET", "/sapi/v3/sub-account/assets", key, {"email": sub["email"]})
        held = {b["asset"]: Decimal(str(b["free"])) for b in assets.json()["balances"]}
        assert {a: held[a] for a in sub["balances"]} == {
            a: Decimal(v) for a, v in sub["balances"].items()
        }
        assert len(sub["balances"]) >= 2  # a few assets each, for the allocation chart

    staked = signed(base, "GET", "/sapi/v1/staking/stakingBalance", key).json()["data"]
    assert {r["asset"]: Decimal(r["stakingAmount"]) for r in staked} == {
        s["stakingAsset"]: Decimal(s["amount"]) for s in master["staking"]
    }
    # Staked out of the balances given: the spot wallet holds the rest.
    spot = signed(base, "GET", "/api/v3/account", key).json()["balances"]
    free = {b["asset"]: Decimal(b["free"]) for b in spot}
    for stake in master["staking"]:
        asset = stake["stakingAsset"]
        assert free[asset] == Decimal(master["balances"][asset]) - Decimal(stake["amount"])


@pytest.fixture
def queue(settings) -> Iterator[redis.Redis]:
    """The session's real broker queue, emptied (the tasks are run one by one below)."""
    assert app.conf.broker_url == settings.CELERY_BROKER_URL  # never a developer's own Redis
    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    cache.clear()
    yield r
    broker_clear(r)


def _work_off(r: redis.Redis) -> list[tuple[str, str]]:
    """Run every queued task, and those they queue, in order as a worker would: (name, state)."""
    app.loader.import_default_modules()  # every app's tasks, as a worker registers them
    done = []
    while raw := broker_pop(r):
        msg = json.loads(raw)
        args, kwargs, _ = json.loads(base64.b64decode(msg["body"]))
        name = msg["headers"]["task"]
        done.append((name, app.tasks[name].apply(args=args, kwargs=kwargs).state))
    return done


def test_it_fills_every_part_of_the_demo_dashboard_from_the_first_beats(demo_sandbox, queue):
    _, doc = demo_sandbox
    run_at_beat_start()  # what the beat sends as it starts
    sync_all_balances.apply()  # the beat's first balance pass (every 30 s)

    done = _work_off(queue)

    assert {state for _, state in done} == {"SUCCESS"}, done
    user = get_user_model().objects.get(username="demo")
    _, rows = holdings(user=user)
    assert {"spot", "subaccounts", "custody", "collateral"} <= {h.part for h in rows}
    assert {h.where for h in rows if h.part == "subaccounts"} == {
        a["email"] for a in doc["accounts"][1:]
    }
    staked = StakingEvent.objects.filter(connection__user=user, type="staked")
    assert {(e.asset, e.amount) for e in staked} == {
        (s["stakingAsset"], Decimal(s["amount"])) for s in doc["accounts"][0]["staking"]
    }
