"""An API secret, once handed to the app, is never seen again anywhere a person or log could see it:
HTML, JSON, logs at any level, exception reports, admin pages, URLs, Celery task arguments and
channel-layer messages. Each check searches the real artefact for the real secret.
"""

import asyncio
import logging
import sys

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.views.debug import ExceptionReporter

from accounts import services
from accounts.realtime import connection_group
from tests.factories import login, make_user
from tests.support import broker_clear, broker_messages

pytestmark = pytest.mark.django_db(transaction=True)


def _add_connection(client, account, label="Main"):
    return client.post(
        reverse("accounts:create"),
        {
            "label": label,
            "key_type": "exchange",
            "environment": "sandbox",
            "api_key": account["apiKey"],
            "api_secret": account["secretKey"],
        },
        follow=True,
    )


def _assert_clean(text: str, account: dict, where: str) -> None:
    assert account["secretKey"] not in text, f"secret found in {where}"
    assert account["apiKey"] not in text, f"API key found in {where}"


@pytest.fixture
def broker():
    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    yield r
    broker_clear(r)


def test_it_keeps_the_secret_out_of_pages_logs_tasks_and_admin(
    client, sandbox_account, caplog, broker
):
    caplog.set_level(logging.DEBUG)
    owner = make_user()
    login(client, owner)
    resp = _add_connection(client, sandbox_account)
    conn = owner.connections.get()
    pages = [resp.content.decode()]
    for url in (
        reverse("accounts:list"),
        reverse("accounts:detail", args=[conn.pk]),
        reverse("dashboard:home"),
        reverse("audit:list"),
        reverse("accounts:replace-keys", args=[conn.pk]),
    ):
        pages.append(client.get(url).content.decode())
    services.connection_sync_balances(connection_id=conn.pk)

    admin = get_user_model().objects.create_superuser("root", "root@example.test", "pw-root-123")
    login(client, admin)
    pages.append(
        client.get(f"/admin/accounts/exchangeconnection/{conn.pk}/change/").content.decode()
    )
    pages.append(client.get("/admin/accounts/exchangeconnection/").content.decode())
    assert conn.key_fingerprint in pages[-1]

    for i, page in enumerate(pages):
        _assert_clean(page, sandbox_account, f"page {i}")
        assert conn.api_secret_encrypted not in page, "ciphertext rendered"
    assert caplog.records
    _assert_clean(caplog.text, sandbox_account, "logs")
    queued = b"\n".join(broker_messages(broker))
    assert b"sync_subaccounts" in queued  # the follow-up task really was queued
    _assert_clean(queued.decode(), sandbox_account, "Celery task messages")


def test_it_sends_secrets_only_in_post_bodies(client):
    login(client, make_user())
    form = client.get(reverse("accounts:create")).content.decode()
    assert '<form method="post"' in form
    assert 'type="password" name="api_secret"' in form


def test_it_keeps_the_secret_out_of_exception_reports(client, sandbox_account, monkeypatch, caplog):
    def explode(self, key_type, *, rail=None):
        raise RuntimeError("exchange client blew up")

    # Deep in the real path: every frame above this one holds the secret in some variable.
    monkeypatch.setattr("binanceus.Client.verify", explode)
    client.raise_request_exception = False
    login(client, make_user())
    resp = _add_connection(client, sandbox_account)
    assert resp.status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request")
    report = ExceptionReporter(record.request, *record.exc_info)
    text = report.get_traceback_text()
    assert "exchange client blew up" in text  # the report is real and detailed
    _assert_clean(text, sandbox_account, "exception report (text)")
    _assert_clean(report.get_traceback_html(), sandbox_account, "exception report (HTML)")
    assert sys.exc_info() == (None, None, None)


def test_it_keeps_the_secret_out_of_channel_messages(client, sandbox_account):
    owner = make_user()
    login(client, owner)
    _add_connection(client, sandbox_account)
    conn = owner.connections.get()
    layer = get_channel_layer()

    async def listen():
        channel = await layer.new_channel()
        await layer.group_add(connection_group(conn.pk), channel)
        return channel

    channel = async_to_sync(listen)()
    services.connection_sync_balances(connection_id=conn.pk)

    async def receive():
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    message = async_to_sync(receive)()
    assert message["type"] == "balances.updated"
    assert message["payload"]["balances"]  # the message is real
    _assert_clean(repr(message), sandbox_account, "channel layer message")
