"""The session store (desk.sessions): Django's database sessions, read with SQL of our own."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from desk.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_reads_back_what_either_store_saved():
    ours = SessionStore()
    ours["cart"] = {"asset": "BTC", "amount": "0.5"}
    ours.create()
    django = DjangoStore()
    django["theme"] = "dark"
    django.create()
    assert dict(DjangoStore(ours.session_key).load()) == {"cart": {"asset": "BTC", "amount": "0.5"}}
    assert dict(SessionStore(django.session_key).load()) == {"theme": "dark"}


def test_an_expired_or_unknown_session_is_empty_and_saved_under_a_new_key():
    old = SessionStore()
    old["_auth_user_id"] = "1"
    old.create()
    Session.objects.filter(pk=old.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    for key in (old.session_key, "x" * 32):
        store = SessionStore(key)
        assert store.load() == {}
        store["fresh"] = True
        store.save()
        assert store.session_key not in (None, key)
        assert SessionStore(store.session_key).load() == {"fresh": True}
