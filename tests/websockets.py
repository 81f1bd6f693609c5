"""Opening browser-like WebSockets against the real ASGI application (origin + session cookie)."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator

from desk.asgi import application


def session_cookie_for(client, user) -> str:
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(
    path: str, *, session: str | None = None, origin: str = "http://localhost"
) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)
