"""Brute force against the password, the second factor and the re-auth prompt is throttled."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, login, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_counters():
    cache.clear()
    yield
    cache.clear()


def _attempt(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_it_locks_a_username_after_repeated_failures(client, settings):
    user = make_user()
    for _ in range(settings.DESK_LOGIN_MAX_FAILURES):
        assert _attempt(client, user.username, "wrong-guess").status_code == 200
    locked = _attempt(client, user.username, PASSWORD)  # even the right password now
    assert locked.status_code == 200
    assert "Too many failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_locks_an_ip_spraying_many_usernames(client, settings):
    victim = make_user()
    for i in range(settings.DESK_LOGIN_MAX_FAILURES):
        _attempt(client, f"nobody{i}", "guess", ip="10.9.9.9")
    assert (
        "Too many failed attempts"
        in _attempt(client, victim.username, PASSWORD, ip="10.9.9.9").content.decode()
    )
    # Another address is not punished for it.
    assert _attempt(client, victim.username, PASSWORD, ip="10.1.1.1").status_code == 302


def test_it_resets_the_username_count_after_a_success(client, settings):
    user = make_user()
    for _ in range(settings.DESK_LOGIN_MAX_FAILURES - 1):
        _attempt(client, user.username, "wrong")
    assert _attempt(client, user.username, PASSWORD).status_code == 302
    client.logout()
    _attempt(client, user.username, "wrong", ip="10.0.0.2")
    assert _attempt(client, user.username, PASSWORD, ip="10.0.0.3").status_code == 302


def test_it_throttles_second_factor_guessing(client, settings):
    user = make_user()
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    login(client, user)
    for _ in range(settings.DESK_LOGIN_MAX_FAILURES):
        client.post(reverse("twofactor-verify"), {"token": "123456"})
    resp = client.post(reverse("twofactor-verify"), {"token": "654321"})
    assert "Too many failed attempts" in resp.content.decode()


def test_it_throttles_password_guessing_at_reauth(client, settings):
    user = make_user()
    login(client, user, fresh=False)
    for _ in range(settings.DESK_LOGIN_MAX_FAILURES):
        client.post(reverse("reauth"), {"secret": "nope"})
    resp = client.post(reverse("reauth"), {"secret": PASSWORD})
    assert "Too many failed attempts" in resp.content.decode()
