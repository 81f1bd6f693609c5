"""Every URL that takes an object id, walked as owner and stranger.

The matrix is derived from the URL resolver, so a new view with a `pk` is covered without being
listed here; a route whose kind of object this file cannot build fails the test instead.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import make_connection, make_user

pytestmark = pytest.mark.django_db

# Which object each namespace's `pk` refers to, and how to make one for an owner.
OBJECT_FACTORIES = {"accounts": make_connection}


def _routes_with_pk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes_with_pk(p.url_patterns, p.namespace or namespace)
        elif isinstance(p, URLPattern) and "pk" in p.pattern.converters:
            yield namespace, p.name


ROUTES = sorted(set(_routes_with_pk(get_resolver().url_patterns)))


def test_it_found_the_routes_it_should_check():
    assert ("accounts", "detail") in ROUTES
    assert ("accounts", "delete") in ROUTES


@pytest.mark.parametrize(("namespace", "name"), ROUTES)
def test_it_gives_strangers_404_and_owners_access(client, namespace, name):
    assert namespace in OBJECT_FACTORIES, f"no factory for {namespace}:{name}; add one"
    owner, stranger = make_user(), make_user()
    obj = OBJECT_FACTORIES[namespace](owner)
    url = reverse(f"{namespace}:{name}", args=[obj.pk])
    client.force_login(stranger)
    # GET on a POST-only view is refused (405) before any lookup, which reveals nothing.
    assert client.get(url).status_code in (404, 405), f"stranger reached GET {url}"
    assert client.post(url).status_code == 404, f"stranger reached POST {url}"
    assert type(obj).objects.filter(pk=obj.pk).exists(), "a stranger changed the object"
    client.force_login(owner)
    assert client.get(url).status_code in (200, 302, 405)
