"""Which way an order call goes: the connection's WebSocket API session when its user chose
it (the default) and the session is up, else REST. REST is also the fallback for a call the
session could not take: nothing was sent then, so sending it over REST is sending it once.

A view opens :func:`watched` around its service call; :func:`note` then tells the page which
way the call went (and why REST, when the WebSocket API was chosen).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import binanceus
from accounts.exchange import client_for_connection
from accounts.models import ExchangeConnection
from trading.models import OrderTransport, TradingPreference
from trading.orders import wsapi
from trading.orders.selectors import preference_read_with


@dataclass
class Route:
    via: str = ""  # OrderTransport.WS or .REST, once a call was made
    fallback: str = ""  # why REST, when the WebSocket API was chosen

    def note(self) -> str:
        if self.via == OrderTransport.WS:
            return "Sent over the WebSocket API."
        if self.fallback:
            return f"Sent over REST: {self.fallback}."
        return ""


_route: contextvars.ContextVar[Route | None] = contextvars.ContextVar("route", default=None)


@contextmanager
def watched() -> Iterator[Route]:
    route = Route()
    token = _route.set(route)
    try:
        yield route
    finally:
        _route.reset(token)


def current() -> Route | None:
    """The route of the view's calls (None outside :func:`watched`)."""
    return _route.get()


def _went(via: str, fallback: str = "") -> None:
    route = _route.get()
    if route is not None:
        route.via, route.fallback = via, fallback


def chosen(connection: ExchangeConnection) -> str:
    read = preference_read_with(connection)
    if read is not None:
        return read.order_transport or OrderTransport.WS
    found = TradingPreference.objects.filter(user_id=connection.user_id).values_list(
        "order_transport", flat=True
    )
    return found.first() or OrderTransport.WS


@contextmanager
def order_client(connection: ExchangeConnection) -> Iterator[OrderCalls]:
    """The connection's order calls (the REST client's names, arguments and answers)."""
    with client_for_connection(connection) as rest:
        if chosen(connection) != OrderTransport.WS:
            yield OrderCalls(rest)
        else:  # the session down, each call goes over REST (wsapi.SESSION_DOWN says so)
            relay = binanceus.WsApiRelay.from_client(rest, wsapi.forwarder(connection.pk))
            yield OrderCalls(rest, relay)


class OrderCalls:
    """Each call over the relay when there is one, else over REST; and over REST when the
    relay could not hand it over (nothing was sent), the route saying why."""

    def __init__(self, rest: binanceus.Client, relay: binanceus.WsApiRelay | None = None) -> None:
        self._rest = rest
        self._relay = relay

    def __getattr__(self, name: str) -> Callable[..., Any]:
        over_rest = getattr(self._rest, name)
        if self._relay is None:
            return _going(over_rest, OrderTransport.REST)
        over_ws = getattr(self._relay, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return _going(over_ws, OrderTransport.WS)(*args, **kwargs)
            except binanceus.NotForwarded as exc:
                return _going(over_rest, OrderTransport.REST, str(exc))(*args, **kwargs)

        return call


def _going(call: Callable[..., Any], via: str, fallback: str = "") -> Callable[..., Any]:
    def going(*args: Any, **kwargs: Any) -> Any:
        _went(via, fallback)
        return call(*args, **kwargs)

    return going
