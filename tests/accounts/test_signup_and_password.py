import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, login, make_user

pytestmark = pytest.mark.django_db


def test_it_hides_signup_by_default(client):
    assert client.get(reverse("signup")).status_code == 404
    assert "Create an account" not in client.get(reverse("login")).content.decode()


def test_it_lets_people_sign_up_when_enabled(client, settings):
    settings.DESK_ALLOW_SIGNUP = True
    resp = client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "email": "n@example.test",
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
        },
    )
    assert resp.status_code == 302
    assert get_user_model().objects.filter(username="newbie").exists()
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_it_resets_a_password_by_email(client):
    user = make_user()
    user.email = "me@example.test"
    user.save(update_fields=["email"])
    client.post(reverse("password_reset"), {"email": "me@example.test"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/account/password-reset/\S+/)", mail.outbox[0].body)[1]
    form = client.get(link, follow=True)
    resp = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"},
    )
    assert resp.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Brand-new-pass-77")


def test_it_changes_a_password(client):
    user = make_user()
    login(client, user)
    resp = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Another-pass-2026",
            "new_password2": "Another-pass-2026",
        },
    )
    assert resp.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-pass-2026")


def test_it_expires_sessions(settings):
    assert settings.SESSION_COOKIE_AGE <= 60 * 60 * 24
    assert settings.SESSION_COOKIE_HTTPONLY
