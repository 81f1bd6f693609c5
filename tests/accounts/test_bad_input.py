"""Bad input, as a new user types it, into every accounts form and filter (issue 17).

Each value is refused with an error on its own field: never a 5XX, never a row written, never a
request to the exchange. Values that are merely unusual (a label in another script) are accepted.
"""

import warnings

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import CacheKeyWarning, cache
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import audit_record
from accounts.models import AuditRecord, ExchangeConnection
from accounts.twofactor import AUTH_AT_SESSION_KEY
from tests.factories import PASSWORD, login, make_connection, make_user

pytestmark = pytest.mark.django_db

EMPTY = ""
BLANK = " \t\u00a0 "
UNICODE = "ünïcødé 🚀 ١٢³"
HUGE = "9" * 30
LONG = "x" * 10_000
NUL = "a\x00b"
KEY, SECRET = "K" * 64, "S" * 64


@pytest.fixture(autouse=True)
def _fresh_counters():
    """Failed attempts are counted (and locked out) in the cache: each case starts at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def owner(client):
    user = make_user()
    login(client, user)
    return user


@pytest.fixture
def exchange_requests(sandbox_url):
    return lambda: requests.get(f"{sandbox_url}/sandbox/v1/requests", timeout=5).json()["total"]


def _refused(resp, field, *, form="form", status=200):
    assert resp.status_code == status, resp.status_code
    errors = resp.context[form].errors
    assert errors.get(field), f"no error on {field!r}: {errors.as_data()}"
    return errors


def _bad(values, *ids):
    return pytest.mark.parametrize("value", values, ids=ids)


ALL = [EMPTY, BLANK, UNICODE, HUGE, LONG, NUL]
ALL_IDS = ["empty", "blank", "unicode", "huge", "long", "nul"]


# --- connections ---------------------------------------------------------------------------------

CREATE_REFUSED = [
    ("label", [EMPTY, BLANK, LONG, NUL]),
    ("key_type", ALL),
    ("environment", ALL),
    ("api_key", [EMPTY, BLANK, UNICODE, LONG, NUL]),
    ("api_secret", [EMPTY, BLANK, UNICODE, LONG, NUL]),
    ("rail", [EMPTY, BLANK, UNICODE, LONG, NUL, "ANCHOR AGE", "ANCHORAGE;"]),
]


@pytest.mark.parametrize(
    ("field", "value"),
    [(f, v) for f, values in CREATE_REFUSED for v in values],
    ids=[f"{f}-{i}" for f, values in CREATE_REFUSED for i in range(len(values))],
)
def test_it_refuses_bad_input_to_add_a_connection(client, owner, exchange_requests, field, value):
    data = {
        "label": "Main",
        "key_type": "custodial" if field == "rail" else "exchange",
        "environment": "sandbox",
        "rail": "ANCHORAGE",
        "api_key": KEY,
        "api_secret": SECRET,
        field: value,
    }
    before = exchange_requests()
    _refused(client.post(reverse("accounts:create"), data), field)
    assert exchange_requests() == before
    assert not ExchangeConnection.objects.exists()
    assert not AuditRecord.objects.exists()


def test_it_ignores_a_rail_typed_for_a_key_type_without_one(client, owner):
    form = client.post(
        reverse("accounts:create"),
        {"label": "", "key_type": "exchange", "environment": "sandbox", "rail": LONG},
    ).context["form"]
    assert "rail" not in form.errors and form.errors["label"]


@_bad([EMPTY, BLANK, LONG, NUL], "empty", "blank", "long", "nul")
def test_it_refuses_a_bad_new_label_next_to_the_field(client, owner, value):
    conn = make_connection(owner, label="Main")
    resp = client.post(reverse("accounts:rename", args=[conn.pk]), {"label": value})
    _refused(resp, "label", form="rename_form", status=400)
    conn.refresh_from_db()
    assert conn.label == "Main"
    assert not AuditRecord.objects.exists()


@_bad([UNICODE, HUGE, "<b>&amp;</b>"], "unicode", "huge", "markup")
def test_it_keeps_an_unusual_label_exactly_as_typed(client, owner, value):
    conn = make_connection(owner, label="Main")
    resp = client.post(reverse("accounts:rename", args=[conn.pk]), {"label": f"  {value}  "})
    assert resp.status_code == 302
    conn.refresh_from_db()
    assert conn.label == value
    page = client.get(reverse("accounts:detail", args=[conn.pk])).content.decode()
    assert "<b>&amp;</b>" not in page  # escaped, never markup


@pytest.mark.parametrize("field", ["api_key", "api_secret"])
@_bad([EMPTY, BLANK, UNICODE, LONG, NUL], "empty", "blank", "unicode", "long", "nul")
def test_it_refuses_bad_replacement_keys(client, owner, exchange_requests, field, value):
    conn = make_connection(owner)
    stored = (conn.api_key_encrypted, conn.api_secret_encrypted)
    before = exchange_requests()
    data = {"api_key": KEY, "api_secret": SECRET, field: value}
    _refused(client.post(reverse("accounts:replace-keys", args=[conn.pk]), data), field)
    assert exchange_requests() == before
    conn.refresh_from_db()
    assert (conn.api_key_encrypted, conn.api_secret_encrypted) == stored
    assert not AuditRecord.objects.exists()


# --- second factor, re-authentication, passwords, sign-up, sign-in ----------------------------


@_bad(ALL, *ALL_IDS)
def test_it_refuses_a_bad_first_code(client, owner, value):
    client.get(reverse("twofactor-setup"))
    _refused(client.post(reverse("twofactor-setup"), {"token": value}), "token")
    assert not TOTPDevice.objects.filter(user=owner, confirmed=True).exists()


@_bad(ALL, *ALL_IDS)
def test_it_refuses_a_bad_second_factor_code(client, owner, value):
    _refused(client.post(reverse("twofactor-verify"), {"token": value}), "token")
    assert not client.session.get("otp_device_id")


@_bad(ALL, *ALL_IDS)
def test_it_refuses_a_bad_confirmation(client, value):
    login(client, make_user(), fresh=False)
    _refused(client.post(reverse("reauth"), {"secret": value, "next": "/"}), "secret")
    assert client.session[AUTH_AT_SESSION_KEY] == 0


@pytest.mark.parametrize(
    "target", ["-1", "NaN", "🙂", NUL, "/a\x00b", "\u202e/x", "//evil.example/", LONG]
)
def test_it_goes_home_after_confirming_when_next_is_no_path_of_this_site(client, target):
    """``redirect()`` takes a bare word for a view name: "-1" was a 500."""
    login(client, make_user(), fresh=False)
    resp = client.post(reverse("reauth"), {"secret": PASSWORD, "next": target})
    assert resp.status_code == 302 and resp.url == "/"


def test_it_returns_to_the_page_or_referer_it_came_from(client):
    login(client, make_user(), fresh=False)
    for target in ("/connections/add/?tab=keys", "http://testserver/connections/"):
        resp = client.post(reverse("reauth"), {"secret": PASSWORD, "next": target})
        assert resp.status_code == 302 and resp.url == target


@pytest.mark.parametrize("field", ["old_password", "new_password2"])
@_bad(ALL, *ALL_IDS)
def test_it_refuses_a_bad_password_change(client, owner, field, value):
    data = {"old_password": PASSWORD, "new_password1": "Another-pass-2026", field: value}
    data.setdefault("new_password2", "Another-pass-2026")
    _refused(client.post(reverse("password_change"), data), field)
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


@_bad(ALL, *ALL_IDS)
def test_it_refuses_a_bad_email_for_a_password_reset(client, value):
    user = make_user()
    user.email = "me@example.test"
    user.save(update_fields=["email"])
    _refused(client.post(reverse("password_reset"), {"email": value}), "email")
    assert mail.outbox == []


SIGNUP_REFUSED = [
    ("username", [EMPTY, BLANK, "🚀🚀", LONG, NUL]),
    ("email", [UNICODE, HUGE, LONG, NUL]),  # none at all is fine: it is optional
    ("password2", [EMPTY, BLANK, UNICODE, LONG, NUL]),
]


@pytest.mark.parametrize(
    ("field", "value"),
    [(f, v) for f, values in SIGNUP_REFUSED for v in values],
    ids=[f"{f}-{i}" for f, values in SIGNUP_REFUSED for i in range(len(values))],
)
def test_it_refuses_a_bad_sign_up(client, settings, field, value):
    settings.DESK_ALLOW_SIGNUP = True
    data = {
        "username": "newbie",
        "email": "n@example.test",
        "password1": "a-Long-pass-2026",
        "password2": "a-Long-pass-2026",
        field: value,
    }
    _refused(client.post(reverse("signup"), data), field)
    assert not get_user_model().objects.exists()


@_bad([EMPTY, BLANK, LONG, NUL, "a b", "ü" * 200], "empty", "blank", "long", "nul", "space", "wide")
def test_it_refuses_a_bad_username_at_sign_in_without_a_cache_warning(client, value):
    """The lockout counters are keyed by what was typed: it must still make a valid key."""
    make_user()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        resp = client.post(reverse("login"), {"username": value, "password": "guess"})
    assert resp.status_code == 200
    assert resp.context["form"].errors
    assert "_auth_user_id" not in client.session


# --- the audit log and its CSV ---------------------------------------------------------------

FILTERS_REFUSED = [
    ("action", [BLANK, UNICODE, HUGE, LONG, NUL]),
    ("outcome", [BLANK, UNICODE, HUGE, LONG, NUL, "OK"]),
    ("connection", [BLANK, UNICODE, HUGE, LONG, NUL, "-1", "1.5", "٣"]),
    ("since", [BLANK, UNICODE, HUGE, LONG, NUL, "10000-01-01", "2026-02-30", "0000-00-00"]),
    ("until", [BLANK, UNICODE, HUGE, LONG, NUL, "10000-01-01", "2026-02-30", "0000-00-00"]),
]
FILTER_CASES = [(f, v) for f, values in FILTERS_REFUSED for v in values]
FILTER_IDS = [f"{f}-{i}" for f, values in FILTERS_REFUSED for i in range(len(values))]


@pytest.fixture
def audited(owner):
    conn = make_connection(owner, label="Main")
    audit_record(user=owner, action="connection.rename", connection=conn)
    return conn


@pytest.mark.parametrize(("field", "value"), FILTER_CASES, ids=FILTER_IDS)
def test_it_refuses_a_bad_audit_filter_instead_of_showing_everything(client, audited, field, value):
    resp = client.get(reverse("audit:list"), {field: value})
    _refused(resp, field, status=400)
    body = resp.content.decode()
    assert "connection.rename</code>" not in body
    assert 'aria-invalid="true"' in body and f'id="id_{field}_error"' in body
    assert 'id="export-csv"' not in body


@pytest.mark.parametrize("field", [f for f, _ in FILTERS_REFUSED])
def test_it_exports_no_csv_for_a_bad_audit_filter(client, audited, field):
    resp = client.get(reverse("audit:export"), {field: LONG})
    _refused(resp, field, status=400)
    assert resp["Content-Type"].startswith("text/html")  # the form with its errors, not a file
    assert "connection.rename</code>" not in resp.content.decode()


def test_it_refuses_an_audit_period_that_ends_before_it_starts(client, audited):
    resp = client.get(reverse("audit:list"), {"since": "2026-03-02", "until": "2026-03-01"})
    errors = _refused(resp, "until", status=400)
    assert errors["until"] == ["The end date is before the start date."]


@pytest.mark.parametrize(
    "query",
    [
        {"since": EMPTY, "until": EMPTY, "action": EMPTY, "connection": EMPTY},
        {"since": "0001-01-01", "until": "9999-12-31"},
        {"page": HUGE},
        {"page": LONG},
        {"page": UNICODE},
    ],
    ids=["empty", "widest-dates", "huge-page", "long-page", "unicode-page"],
)
def test_it_treats_empty_filters_as_none_and_any_page_as_a_page(client, audited, query):
    resp = client.get(reverse("audit:list"), query)
    assert resp.status_code == 200
    assert "connection.rename</code>" in resp.content.decode()
    export = client.get(reverse("audit:export"), query)
    assert export.status_code == 200 and export["Content-Type"] == "text/csv"
