"""TOTP enrolment, sign-in with a second factor, backup codes and the 2FA requirement."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.twofactor import (
    user_has_second_factor,
    user_with_second_factor,
    with_second_factor,
)
from tests.factories import PASSWORD, login, make_user

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The device's current code, or a later one: a used time step is refused (no replay), and
    the device tolerates one step of clock drift."""
    t0 = device.t0 - steps_ahead * device.step
    return f"{totp(device.bin_key, step=device.step, t0=t0, digits=device.digits):06d}"


def _enrol(client, user) -> tuple[TOTPDevice, list[str]]:
    login(client, user)
    page = client.get(reverse("twofactor-setup"))
    assert b"<svg" in page.content  # the QR code
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    resp = client.post(reverse("twofactor-setup"), {"token": _code(device)})
    device.refresh_from_db()
    return device, resp.context["codes"]


def _password_login(client, user):
    client.logout()
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def test_it_enrols_with_a_first_code_and_shows_backup_codes_once(client):
    user = make_user()
    device, codes = _enrol(client, user)
    assert device.confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    later = client.get(reverse("security")).content.decode()
    assert "On." in later
    assert not any(code in later for code in codes)


def test_it_rejects_a_wrong_first_code(client):
    user = make_user()
    login(client, user)
    client.get(reverse("twofactor-setup"))
    resp = client.post(reverse("twofactor-setup"), {"token": "000000"})
    assert "That code is not valid" in resp.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_it_asks_for_the_code_after_the_password_and_guards_every_page(client):
    user = make_user()
    device, _ = _enrol(client, user)
    resp = _password_login(client, user)
    assert resp.status_code == 302
    home = client.get(reverse("dashboard:home"))
    assert home.status_code == 302 and home.url.startswith(reverse("twofactor-verify"))
    assert client.get(reverse("accounts:list")).status_code == 302
    # Enrolling a new authenticator is not open to a half-signed-in session.
    assert client.get(reverse("twofactor-setup")).url.startswith(reverse("twofactor-verify"))
    resp = client.post(
        reverse("twofactor-verify"), {"token": _code(device, steps_ahead=1), "next": "/"}
    )
    assert resp.status_code == 302 and resp.url == "/"
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_it_accepts_each_backup_code_once(client):
    user = make_user()
    _, codes = _enrol(client, user)
    _password_login(client, user)
    assert client.post(reverse("twofactor-verify"), {"token": codes[0]}).status_code == 302
    _password_login(client, user)
    resp = client.post(reverse("twofactor-verify"), {"token": codes[0]})
    assert resp.status_code == 200 and "not valid" in resp.content.decode()


def test_it_sends_users_without_2fa_to_enrol_when_required(client, settings):
    settings.DESK_REQUIRE_2FA = True
    user = make_user()
    login(client, user)
    resp = client.get(reverse("dashboard:home"))
    assert resp.status_code == 302 and resp.url == reverse("twofactor-setup")
    assert client.get(reverse("twofactor-setup")).status_code == 200


def test_it_turns_2fa_off_only_after_a_fresh_check(client):
    user = make_user()
    _enrol(client, user)
    login(client, user, fresh=False)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    resp = client.post(reverse("twofactor-disable"))
    assert resp.status_code == 302 and resp.url.startswith(reverse("reauth"))
    assert TOTPDevice.objects.filter(user=user).exists()


def test_a_session_signed_in_before_another_enrolled_is_asked_for_the_code(client):
    """Whether the user has a second factor is read with the user on each request (one query),
    never kept from an earlier request: a device enrolled elsewhere counts at once."""
    user = make_user()
    login(client, user)
    assert client.get(reverse("dashboard:home")).status_code == 200
    elsewhere = Client()
    _enrol(elsewhere, user)
    home = client.get(reverse("dashboard:home"))
    assert home.status_code == 302 and home.url.startswith(reverse("twofactor-verify"))


def test_the_users_read_says_who_has_a_confirmed_device_of_either_kind():
    nothing, app, codes, pending = (make_user() for _ in range(4))
    TOTPDevice.objects.create(user=app, name="app", confirmed=True)
    StaticDevice.objects.create(user=codes, name="backup", confirmed=True)
    TOTPDevice.objects.create(user=pending, name="app", confirmed=False)
    everyone = [u.pk for u in (nothing, app, codes, pending)]
    users = with_second_factor(User.objects.filter(pk__in=everyone))
    with CaptureQueriesContext(connection) as reads:
        found = {user.pk: user_has_second_factor(user) for user in users}
    assert len(reads) == 1
    assert found == {nothing.pk: False, app.pk: True, codes.pk: True, pending.pk: False}


def test_a_user_read_by_key_says_it_too_in_one_query():
    """How each request reads its user (accounts.backends, the fan-out server): by the key its
    session holds, as text or a number; a key of nobody, or not a key, is nobody."""
    nothing, app, pending = (make_user() for _ in range(3))
    TOTPDevice.objects.create(user=app, name="app", confirmed=True)
    TOTPDevice.objects.create(user=pending, name="app", confirmed=False)
    with CaptureQueriesContext(connection) as reads:
        found = {
            user.pk: user_has_second_factor(user_with_second_factor(key))
            for user, key in ((nothing, nothing.pk), (app, str(app.pk)), (pending, pending.pk))
        }
    assert len(reads) == 3
    assert found == {nothing.pk: False, app.pk: True, pending.pk: False}
    read = user_with_second_factor(str(app.pk))
    assert (read.username, read.password) == (app.username, app.password)
    assert user_with_second_factor(app.pk + 1000) is None
    assert user_with_second_factor("not a key") is None
