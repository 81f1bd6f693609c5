"""Every response carries the Content-Security-Policy, and the pages keep to it.

The routes are walked from the resolver, as ``test_ownership_matrix`` does, so a new page is
covered without being listed here; ids come from the same object factories. The policy itself is
checked against what it must forbid (inline scripts and handlers, foreign sockets, framing), and
every page that renders is read for what the policy would block in a browser."""

import re

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from desk.csp import HEADER
from tests.desk.pages import parse_html
from tests.desk.test_ownership_matrix import OBJECT_FACTORIES
from tests.factories import login, make_user

# Values for the path converters that are not object ids.
PLAIN_KWARGS = {"symbol": "BTCUSD", "uidb64": "MQ", "token": "set-password"}


def _routes(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, p.namespace or namespace)
        elif isinstance(p, URLPattern) and p.name:
            yield namespace, p.name, tuple(sorted(p.pattern.converters))


# The admin's own routes take ids of any model: its pages are checked by one visit below.
ROUTES = sorted(r for r in set(_routes(get_resolver().url_patterns)) if r[0] != "admin")


def _directives(policy: str) -> dict[str, set[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = set(values)
    return out


def _url(user, namespace, name, converters) -> str:
    kwargs = {k: PLAIN_KWARGS[k] for k in converters if k in PLAIN_KWARGS}
    ids = [k for k in converters if k not in PLAIN_KWARGS]
    if ids:
        assert namespace in OBJECT_FACTORIES, f"no factory for {namespace}:{name}; add one"
        _, made = OBJECT_FACTORIES[namespace](user)
        kwargs |= {k: made[k] for k in ids}
    return reverse(f"{namespace}:{name}" if namespace else name, kwargs=kwargs)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


@pytest.mark.django_db
@pytest.mark.parametrize(("namespace", "name", "converters"), ROUTES)
def test_it_sends_the_policy_on_every_page(client, namespace, name, converters, sandbox_url):
    user = make_user()
    url = _url(user, namespace, name, converters)
    anonymous = client.get(url)
    assert HEADER in anonymous, f"no policy on {url} for an anonymous visitor"
    login(client, user)
    resp = client.get(url)
    assert HEADER in resp, f"no policy on {url} ({resp.status_code})"
    if resp.status_code == 200 and resp["Content-Type"].startswith("text/html"):
        html = resp.content.decode()
        assert not INLINE_SCRIPT.search(html), f"{url} has an inline script"
        assert not HANDLER_ATTRIBUTE.search(html), f"{url} has an on*= handler attribute"
        styled = [n for n in parse_html(html).iter() if "style" in n.attrs]
        assert not styled, f"{url} has style= attributes the policy blocks: {styled[0].tag}"


def test_it_forbids_inline_scripts_foreign_sockets_and_framing(client):
    policy = _directives(client.get(reverse("login"))[HEADER])
    assert policy["script-src"] == {"'self'"}
    assert policy["style-src"] == {"'self'"}
    assert policy["default-src"] == {"'self'"}
    assert policy["object-src"] == {"'none'"}
    assert policy["frame-ancestors"] == {"'none'"}
    assert policy["base-uri"] == {"'self'"}
    assert policy["form-action"] == {"'self'"}
    assert policy["connect-src"] == {"'self'", "ws://testserver", "wss://testserver"}


@override_settings(DESK_FANOUT_PORT="8766", ALLOWED_HOSTS=["desk.example"])
def test_it_lets_pages_reach_the_fanout_port_of_their_own_host(client):
    resp = client.get(reverse("login"), HTTP_HOST="desk.example:8000")
    connect = _directives(resp[HEADER])["connect-src"]
    assert {"ws://desk.example:8766", "wss://desk.example:8766"} <= connect
    assert "ws://desk.example:8000" in connect
    assert not {s for s in connect if "*" in s or s in ("ws:", "wss:", "http:", "https:")}


def test_it_keeps_a_policy_a_view_set_itself(rf):
    from django.http import HttpResponse

    from desk.csp import ContentSecurityPolicyMiddleware

    own = HttpResponse()
    own[HEADER] = "default-src 'none'"
    middleware = ContentSecurityPolicyMiddleware(lambda request: own)
    assert middleware(rf.get("/"))[HEADER] == "default-src 'none'"


@pytest.mark.django_db
def test_it_sends_the_policy_on_the_admin(client):
    login(client, make_user())
    assert HEADER in client.get("/admin/")


def test_it_walks_the_pages_people_use():
    names = {(ns, name) for ns, name, _ in ROUTES}
    assert {("dashboard", "home"), ("trading", "market"), ("", "login")} <= names
    assert ("transfers", "run") in names
