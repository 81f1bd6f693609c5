"""The Content-Security-Policy every response carries.

Scripts come only from our own static files (``script-src 'self'``: no inline ``<script>``
bodies, no ``on*=`` attributes, no ``eval``); data a script needs travels in ``data-*``
attributes or ``json_script`` blocks, which are not executed. Styles likewise come only from our
stylesheets: the templates have no ``style=`` attributes and scripts style through the CSSOM,
which the policy does not restrict.

Sockets go to this host (``'self'`` plus its ``ws:``/``wss:`` form, which older browsers do not
derive from ``'self'``) and, when market data is served by the fan-out process
(``DESK_FANOUT_PORT``), to that port of the same host: the page connects to whatever host name
it was loaded from, so the allowed origin is built per request.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http.request import split_domain_port

HEADER = "Content-Security-Policy"

_FIXED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # The favicon is an empty data: URL (no request for /favicon.ico on every page).
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _socket_sources(request) -> list[str]:
    try:
        host = request.get_host()
    except DisallowedHost:
        return []  # the answer is an error page that opens no socket
    sources = [f"ws://{host}", f"wss://{host}"]
    if settings.DESK_FANOUT_PORT:
        domain, _port = split_domain_port(host)
        fanout = f"{domain}:{settings.DESK_FANOUT_PORT}"
        sources += [f"ws://{fanout}", f"wss://{fanout}"]
    return sources


def policy_for(request) -> str:
    directives = dict(_FIXED)
    directives["connect-src"] = " ".join(["'self'", *_socket_sources(request)])
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that does not set one of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy_for(request)
        return response
