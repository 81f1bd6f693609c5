import pytest

from accounts.selectors import connection_owned_by
from tests.factories import make_connection, make_user

pytestmark = pytest.mark.django_db


def test_it_knows_the_owner_owns_the_connection():
    owner = make_user()
    conn = make_connection(owner)
    assert connection_owned_by(user=owner, pk=conn.pk)


def test_it_does_not_count_a_stranger_as_owner():
    owner, stranger = make_user(), make_user()
    conn = make_connection(owner)
    assert not connection_owned_by(user=stranger, pk=conn.pk)
