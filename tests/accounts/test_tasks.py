"""The periodic balance and sub-account syncs: one bad row never stops the others.

The beat runs ``sync_all_balances``, which queues ``sync_balances`` (and, once,
``sync_subaccounts``) per connection; here the queue is the session's real broker, and its tasks
are run one by one as a worker would.
"""

import base64
import json
from decimal import Decimal

import pytest
import redis
from django.core.cache import cache

from accounts import services, tasks
from accounts.models import Environment, ExchangeConnection, KeyType
from desk.celery import app
from tests.factories import make_connection, make_user
from tests.support import broker_clear, broker_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(settings):
    assert app.conf.broker_url == settings.CELERY_BROKER_URL  # never a developer's own Redis
    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    cache.clear()
    yield r
    broker_clear(r)


def _queued(r) -> list[tuple[str, list]]:
    out = []
    for raw in reversed(broker_messages(r)):  # oldest first, as a worker takes them
        msg = json.loads(raw)
        args, _, _ = json.loads(base64.b64decode(msg["body"]))
        out.append((msg["headers"]["task"], args))
    return out


def _work_off(r) -> list[tuple[str, list, str]]:
    """Run every queued task in order, each on its own as a worker would: (name, args, state)."""
    done = []
    for name, args in _queued(r):
        result = app.tasks[name].apply(args=args)
        done.append((name, args, result.state))
    broker_clear(r)
    return done


@pytest.fixture
def rows(sandbox_account):
    """Poisoned rows first (by id, the order they are queued in), then a good one."""
    user = make_user()
    tampered = make_connection(user, label="a tampered")
    ExchangeConnection.objects.filter(pk=tampered.pk).update(api_secret_encrypted="gAAAAA-tampered")
    refused = make_connection(user, label="b unknown to the exchange")
    deleted = make_connection(user, label="c deleted after queueing")
    good = services.connection_import(
        user=user,
        label="d good",
        key_type=KeyType.EXCHANGE,
        environment=Environment.SANDBOX,
        api_key=sandbox_account["apiKey"],
        api_secret=sandbox_account["secretKey"],
    )
    return tampered, refused, deleted, good


def test_it_syncs_every_connection_past_poisoned_rows(queue, rows):
    tampered, refused, deleted, good = rows
    tasks.sync_all_balances.apply().get()
    pks = [r.pk for r in rows]
    assert [args[0] for name, args in _queued(queue) if name.endswith("sync_balances")] == pks
    assert [args[0] for name, args in _queued(queue) if name.endswith("sync_subaccounts")] == pks
    deleted.delete()

    done = _work_off(queue)

    assert {state for _, _, state in done} == {"SUCCESS"}, done
    good.refresh_from_db()
    assert good.balances.get(asset="USD").free == Decimal("100000")
    assert good.subaccounts_synced_at is not None and good.last_sync_error == ""
    tampered.refresh_from_db()
    assert tampered.needs_new_keys and tampered.balances_synced_at is None
    refused.refresh_from_db()
    assert refused.last_sync_error.startswith("The exchange answered -20")
