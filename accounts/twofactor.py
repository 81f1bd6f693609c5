"""Second factor (TOTP with backup codes, via django-otp) and re-authentication freshness."""

from __future__ import annotations

import base64
import functools
import secrets
import time
from io import BytesIO

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from desk.db.sql import model_row

AUTH_AT_SESSION_KEY = "desk_auth_at"
BACKUP_CODE_COUNT = 10


# Set on a user read with ``with_second_factor`` (each request's, through accounts.backends).
HAS_SECOND_FACTOR = "desk_has_second_factor"


def user_has_second_factor(user) -> bool:
    """Any confirmed device of any kind: as read with the user where it was, else in one query
    (django_otp's ``user_has_device`` reads each kind of device in turn)."""
    if not getattr(user, "is_authenticated", False):
        return False
    read = getattr(user, HAS_SECOND_FACTOR, None)
    if read is None:
        users = with_second_factor(get_user_model()._default_manager.filter(pk=user.pk))
        read = users.values_list(HAS_SECOND_FACTOR, flat=True).get()
    return bool(read)


def user_with_second_factor(pk):
    """The active or inactive user of key ``pk`` (as a session holds it: text or a number), read
    with whether they have a confirmed second factor (``HAS_SECOND_FACTOR``, as
    ``with_second_factor`` reads it); None if there is none. Every request reads its user so:
    the SQL is written once, where the ORM built the read and its annotation again each time
    (in-process, medians of 7 × 300 reads: 0.25–0.30 → 0.07 ms)."""
    users = get_user_model()._default_manager
    meta = users.model._meta
    try:
        pk = meta.pk.to_python(pk)
    except ValidationError:
        return None
    has_any = f"{_has_device_sql()} AS {connection.ops.quote_name(HAS_SECOND_FACTOR)}"
    return model_row(users.model, "{" + meta.pk.name + "} = %s", [pk], also=has_any)


def with_second_factor(users: QuerySet) -> QuerySet:
    """``users``, each with whether they have a confirmed device of any kind, in the same read."""
    # No input in it: the models' own table and column names, quoted (see _has_device_sql).
    has_any = RawSQL(_has_device_sql(), (), output_field=BooleanField())  # noqa: S611
    return users.annotate(**{HAS_SECOND_FACTOR: has_any})


@functools.cache
def _has_device_sql() -> str:
    """EXISTS for each kind of device, written once: the ORM's ``Exists``, built again for each
    read, cost more than the separate check it replaces (in-process, medians of 15 × 200 reads
    taken in turn: the user with ``Exists`` 1.07 ms against the user 0.21 and the check 0.53;
    in another run, the user with this 0.33 ms against the user and the check 1.05)."""
    quote = connection.ops.quote_name
    users = get_user_model()._meta
    owner = f"{quote(users.db_table)}.{quote(users.pk.column)}"
    return " OR ".join(
        f"EXISTS (SELECT 1 FROM {quote(kind._meta.db_table)} device WHERE "  # noqa: S608
        f"device.{quote(kind._meta.get_field('user').column)} = {owner} AND "
        f"device.{quote(kind._meta.get_field('confirmed').column)})"
        for kind in _device_kinds()
    )


@functools.cache
def _device_kinds() -> tuple[type, ...]:
    return tuple(django_otp.device_classes())  # the installed apps' models: fixed once loaded


def session_is_verified(*, user, session) -> bool:
    """True if the session passed every check the user has: password, and 2FA when enrolled
    (or required). Used for pages (through OTPMiddleware) and for WebSockets (session only)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if session.get(django_otp.DEVICE_ID_SESSION_KEY):
        return True
    if user_has_second_factor(user):
        return False
    return not settings.DESK_REQUIRE_2FA


def mark_fresh_auth(session) -> None:
    session[AUTH_AT_SESSION_KEY] = time.time()


def auth_is_fresh(session) -> bool:
    at = session.get(AUTH_AT_SESSION_KEY, 0)
    return time.time() - at <= settings.DESK_REAUTH_SECONDS


def totp_device_start(*, user) -> TOTPDevice:
    """The user's pending (unconfirmed) authenticator, created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_manual_key(device: TOTPDevice) -> str:
    """The base32 secret authenticator apps accept when typed in, in groups of four."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = BytesIO()
    image.save(buf)
    return buf.getvalue().decode()


@transaction.atomic
def totp_device_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm enrolment with a first code; returns fresh backup codes, or None if wrong."""
    if not device.verify_token(token):
        return None
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_generate(user=device.user)
    django_otp.login(request, device)
    mark_fresh_auth(request.session)
    return codes


def backup_codes_generate(*, user) -> list[str]:
    """Replace the user's backup codes with new single-use ones; shown once, stored as is by
    django-otp's static device (each is 10 random characters and dies on use)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes")
    device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def second_factor_verify(*, request, token: str) -> bool:
    """Check a TOTP or backup code for the signed-in user and mark the session verified."""
    device = django_otp.match_token(request.user, token.strip().replace(" ", ""))
    if device is None:
        return False
    django_otp.login(request, device)
    mark_fresh_auth(request.session)
    return True


class SecondFactorRequired(Exception):
    """This server requires two-factor authentication, so it cannot be turned off."""


@transaction.atomic
def second_factor_remove(*, user) -> None:
    if settings.DESK_REQUIRE_2FA:
        raise SecondFactorRequired("Two-factor authentication is required on this server.")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
