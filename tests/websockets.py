"""Opening browser-like WebSockets against the real ASGI application (origin + session cookie)."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator
from django.test import Client

from desk.asgi import application


def session_cookie_for(user) -> str:
    """A real session for ``user`` (each call its own client: logging another user in on the
    same client would flush this session)."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(
    path: str, *, session: str | None = None, origin: str = "http://localhost"
) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)
