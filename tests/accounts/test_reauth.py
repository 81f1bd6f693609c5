import pytest
from django.urls import reverse

from tests.factories import PASSWORD, login, make_connection, make_user

pytestmark = pytest.mark.django_db


def test_it_asks_a_stale_session_to_confirm_before_adding_keys(client):
    user = make_user()
    login(client, user, fresh=False)
    resp = client.get(reverse("accounts:create"))
    assert resp.status_code == 302
    assert resp.url == f"{reverse('reauth')}?next=%2Fconnections%2Fadd%2F"
    wrong = client.post(reverse("reauth"), {"secret": "nope", "next": "/connections/add/"})
    assert "That password is not correct." in wrong.content.decode()
    ok = client.post(reverse("reauth"), {"secret": PASSWORD, "next": "/connections/add/"})
    assert ok.status_code == 302 and ok.url == "/connections/add/"
    assert client.get(reverse("accounts:create")).status_code == 200


def test_it_sends_a_stale_post_back_to_its_form_not_to_the_post_url(client):
    user = make_user()
    conn = make_connection(user)
    login(client, user, fresh=False)
    url = reverse("accounts:replace-keys", args=[conn.pk])
    resp = client.post(
        url, {"api_key": "a" * 64, "api_secret": "b" * 64}, HTTP_REFERER=f"http://testserver{url}"
    )
    assert resp.status_code == 302
    assert (
        resp.url
        == f"{reverse('reauth')}?next=http%3A%2F%2Ftestserver%2Fconnections%2F{conn.pk}%2Fkeys%2F"
    )


def test_it_refuses_open_redirects_after_confirming(client):
    login(client, make_user(), fresh=False)
    resp = client.post(reverse("reauth"), {"secret": PASSWORD, "next": "https://evil.example/"})
    assert resp.status_code == 302 and resp.url == "/"
