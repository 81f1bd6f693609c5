import json

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts import services
from desk.celery import app
from tests.factories import make_connection, make_user
from tests.support import broker_clear, broker_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL  # never a developer's own Redis
    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    cache.clear()
    yield r
    broker_clear(r)


def _queued_tasks(r) -> list[tuple[str, list]]:
    out = []
    for raw in broker_messages(r):
        headers = json.loads(raw)["headers"]
        out.append((headers["task"], headers["argsrepr"]))
    return out


def test_it_queues_one_sync_for_stale_balances(broker):
    conn = make_connection(make_user())
    assert services.connection_request_sync(connection=conn) is True
    assert services.connection_request_sync(connection=conn) is False  # a burst queues once
    assert _queued_tasks(broker) == [("accounts.tasks.sync_balances", f"({conn.pk},)")]


def test_it_leaves_fresh_balances_alone(broker):
    conn = make_connection(make_user())
    conn.balances_synced_at = timezone.now()
    assert services.connection_request_sync(connection=conn) is False
    assert _queued_tasks(broker) == []


def test_it_does_not_queue_for_keys_that_need_replacing(broker):
    conn = make_connection(make_user())
    conn.needs_new_keys = True
    assert services.connection_request_sync(connection=conn) is False
    assert _queued_tasks(broker) == []
