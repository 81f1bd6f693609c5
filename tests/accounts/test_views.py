import pytest
from django.urls import reverse

from accounts.models import ExchangeConnection
from tests.factories import login, make_connection, make_user

pytestmark = pytest.mark.django_db

SECRET = "S3cretS3cretS3cretS3cretS3cretS3cretS3cretS3cretS3cretS3cret1234"


@pytest.fixture
def owner_client(client):
    owner = make_user()
    login(client, owner)
    return client, owner


def test_it_requires_login(client):
    resp = client.get(reverse("accounts:list"))
    assert resp.status_code == 302
    assert resp.url.startswith(reverse("login"))


def test_it_lists_only_the_users_connections(owner_client):
    client, owner = owner_client
    make_connection(owner, label="Mine")
    make_connection(make_user(), label="Theirs")
    body = client.get(reverse("accounts:list")).content.decode()
    assert "Mine" in body
    assert "Theirs" not in body


def test_it_shows_a_fingerprint_never_the_key_or_secret(owner_client):
    client, owner = owner_client
    api_key = "K" * 60 + "WXYZ"
    conn = make_connection(owner, api_key=api_key, api_secret=SECRET)
    for url in (
        reverse("accounts:detail", args=[conn.pk]),
        reverse("accounts:list"),
        reverse("dashboard:home"),
    ):
        body = client.get(url).content.decode()
        assert conn.key_fingerprint in body
        assert SECRET not in body
        assert api_key not in body


def test_it_does_not_echo_the_secret_after_a_failed_submit(owner_client, use_sandbox):
    client, _ = owner_client
    resp = client.post(
        reverse("accounts:create"),
        {
            "label": "x",
            "key_type": "exchange",
            "environment": "sandbox",
            "api_key": "A" * 64,
            "api_secret": SECRET,
        },
    )
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "-2014" in body or "-2015" in body
    assert SECRET not in body
    assert not ExchangeConnection.objects.exists()


def test_it_rejects_malformed_keys_before_calling_the_exchange(owner_client):
    client, _ = owner_client
    resp = client.post(
        reverse("accounts:create"),
        {
            "label": "x",
            "key_type": "exchange",
            "environment": "sandbox",
            "api_key": "bad key!",
            "api_secret": "",
        },
    )
    form = resp.context["form"]
    assert "API key must contain only letters and digits." in form.errors["api_key"]
    assert "This field is required." in form.errors["api_secret"]


def test_it_adds_a_connection_verified_by_the_sandbox(owner_client, use_sandbox, sandbox_account):
    client, owner = owner_client
    resp = client.post(
        reverse("accounts:create"),
        {
            "label": "Trading",
            "key_type": "exchange",
            "environment": "sandbox",
            "api_key": sandbox_account["apiKey"],
            "api_secret": sandbox_account["secretKey"],
        },
        follow=True,
    )
    conn = ExchangeConnection.objects.get(user=owner)
    assert resp.redirect_chain[-1][0] == reverse("accounts:detail", args=[conn.pk])
    body = resp.content.decode()
    assert conn.key_fingerprint in body
    assert sandbox_account["secretKey"] not in body
    assert sandbox_account["apiKey"] not in body


def test_it_renames_and_deletes_for_the_owner(owner_client):
    client, owner = owner_client
    conn = make_connection(owner)
    client.post(reverse("accounts:rename", args=[conn.pk]), {"label": "Renamed"})
    conn.refresh_from_db()
    assert conn.label == "Renamed"
    client.post(reverse("accounts:delete", args=[conn.pk]))
    assert not ExchangeConnection.objects.filter(pk=conn.pk).exists()
