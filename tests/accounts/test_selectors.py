import pytest
from django.http import Http404

from accounts.selectors import connection_owned_by, get_connection_for_user
from tests.factories import make_connection, make_user

pytestmark = pytest.mark.django_db


def test_it_returns_the_owners_connection():
    owner = make_user()
    conn = make_connection(owner)
    assert get_connection_for_user(owner, conn.pk) == conn
    assert connection_owned_by(user=owner, pk=conn.pk)


def test_it_hides_a_strangers_connection_as_missing():
    owner, stranger = make_user(), make_user()
    conn = make_connection(owner)
    with pytest.raises(Http404):
        get_connection_for_user(stranger, conn.pk)
    assert not connection_owned_by(user=stranger, pk=conn.pk)


def test_it_404s_on_garbage_ids():
    with pytest.raises(Http404):
        get_connection_for_user(make_user(), "abc")
