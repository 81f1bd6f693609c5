"""The stream-health page's WebSocket API sessions: one row per trading connection of the
requesting user, from the stream process's live reports in Redis."""

import orjson
import pytest
import redis
from django.conf import settings
from django.urls import reverse

from accounts.models import KeyType
from tests.factories import login, make_connection, make_user
from trading import selectors
from trading.orders.wsapi import LIVE_KEY, LIVE_SECONDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def live():
    """Sets a connection's live report as the stream process would; deletes them after."""
    r = redis.Redis.from_url(settings.REDIS_URL)
    keys = []

    def put(pk: int, report: dict) -> None:
        key = LIVE_KEY.format(pk=pk)
        keys.append(key)
        r.set(key, orjson.dumps(report), px=int(LIVE_SECONDS * 1000) * 20)

    yield put
    if keys:
        r.delete(*keys)


def report_of(pk: int, **figures) -> dict:
    return {
        "connection": pk,
        "url": "ws://127.0.0.1:9/ws-api/v3",
        "connected": True,
        "connectedSince": "2026-11-22T00:00:00+00:00",
        "ageSeconds": 125.5,
        "lastPongAt": "2026-11-22T00:02:00+00:00",
        "pingsAnswered": 7,
        "reconnects": 1,
        "rollovers": 0,
        "requestsSent": 12,
        "pending": 0,
        "usedWeight1m": 40,
        "orderCount10s": 2,
        "orderCount1d": 9,
        "reportedAt": "2026-11-22T00:02:05.500000+00:00",
        **figures,
    }


def ws_api(client) -> list[dict]:
    resp = client.get(reverse("trading:health-json"))
    assert resp.status_code == 200
    return resp.json()["wsApi"]


def test_a_live_session_shows_up_for_its_owner_with_its_figures(client, live):
    user = make_user()
    connection = make_connection(user, label="Main desk")
    live(connection.pk, report_of(connection.pk))
    login(client, user)

    (row,) = ws_api(client)
    assert row == {
        "connection": connection.pk,
        "label": "Main desk",
        "state": "up",
        "url": "ws://127.0.0.1:9/ws-api/v3",
        "connectedSince": "2026-11-22T00:00:00+00:00",
        "ageSeconds": 125.5,
        "lastPongAt": "2026-11-22T00:02:00+00:00",
        "pingsAnswered": 7,
        "reconnects": 1,
        "rollovers": 0,
        "requestsSent": 12,
        "pending": 0,
        "usedWeight1m": 40,
        "orderCount10s": 2,
        "orderCount1d": 9,
        "reportedAt": "2026-11-22T00:02:05.500000+00:00",
    }


def test_the_health_answer_keeps_its_stream_keys_beside_the_sessions(client):
    login(client, make_user())
    body = client.get(reverse("trading:health-json")).json()
    assert {"generatedAt", "upstream", "symbols"} <= body.keys()
    assert body["wsApi"] == []


def test_a_connection_without_a_live_report_shows_down(client, live):
    user = make_user()
    up = make_connection(user, label="a up")
    down = make_connection(user, label="b down")
    live(up.pk, report_of(up.pk, lastPongAt=None, usedWeight1m=None))
    login(client, user)

    rows = ws_api(client)
    assert [(r["connection"], r["state"]) for r in rows] == [(up.pk, "up"), (down.pk, "down")]
    assert rows[0]["lastPongAt"] is None and rows[0]["usedWeight1m"] is None
    assert rows[1] == {"connection": down.pk, "label": "b down", "state": "down"}


def test_another_users_connection_never_appears(client, live):
    owner, stranger = make_user(), make_user()
    theirs = make_connection(owner, label="not yours")
    live(theirs.pk, report_of(theirs.pk))
    mine = make_connection(stranger, label="mine")
    login(client, stranger)

    rows = ws_api(client)
    assert [r["connection"] for r in rows] == [mine.pk]
    assert rows[0]["state"] == "down"
    assert "not yours" not in client.get(reverse("trading:health-json")).content.decode()
    assert [r["connection"] for r in selectors.ws_api_sessions(user=owner)] == [theirs.pk]


@pytest.mark.parametrize(
    "disable",
    [
        {"key_type": KeyType.CREDIT_LINE},
        {"key_type": KeyType.CUSTODIAL},
        {"is_active": False},
        {"needs_new_keys": True},
    ],
    ids=["credit-line", "custodial", "inactive", "needs-new-keys"],
)
def test_a_connection_that_cannot_trade_is_not_listed(client, live, disable):
    user = make_user()
    trading = make_connection(user, label="trades")
    other = make_connection(user, label="does not trade")
    type(other).objects.filter(pk=other.pk).update(**disable)
    live(other.pk, report_of(other.pk))
    login(client, user)

    assert [r["connection"] for r in ws_api(client)] == [trading.pk]


def test_a_report_naming_another_connection_is_not_trusted(client, live):
    user = make_user()
    connection = make_connection(user)
    live(connection.pk, report_of(connection.pk + 1000))
    login(client, user)

    (row,) = ws_api(client)
    assert row["state"] == "down" and "pingsAnswered" not in row


def test_the_page_has_the_sessions_card(client):
    login(client, make_user())
    page = client.get(reverse("trading:health")).content.decode()
    assert "WebSocket API sessions" in page and 'id="ws-api-rows"' in page
