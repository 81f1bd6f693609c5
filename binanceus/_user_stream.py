"""The user data stream of one listen key."""

from __future__ import annotations

import time
from typing import Any, Unpack
from urllib.parse import quote

from ._stream_types import StreamStats
from ._wsconn import DEFAULT_WS_URL, ConnectionOptions, _Link, _ReconnectingStream

__all__ = ["UserStream"]


class UserStream(_ReconnectingStream[dict[str, Any]]):
    """The user data stream at ``{base}/ws/<listenKey>``.

    Yields event dicts (``executionReport``, ``outboundAccountPosition``, ``balanceUpdate``,
    ``listStatus``, ...) and :class:`Reconnected` after a reconnect. Keeping the listen key
    alive (``Client.keepalive_listen_key`` every ~30 minutes) is the caller's job; use
    :meth:`set_listen_key` when it changes and the next reconnect uses it.
    """

    def __init__(
        self,
        base_ws_url: str = DEFAULT_WS_URL,
        listen_key: str = "",
        **options: Unpack[ConnectionOptions],
    ) -> None:
        if not listen_key:
            raise ValueError("listen_key is required")
        super().__init__(**options)
        self.base_ws_url = base_ws_url.rstrip("/")
        self._listen_key = listen_key

    def __repr__(self) -> str:
        return f"UserStream({self.base_ws_url!r}, listen_key='****')"

    def set_listen_key(self, listen_key: str) -> None:
        self._listen_key = listen_key

    def stats(self) -> StreamStats:
        return StreamStats(sockets=(self._socket_stats(1),))

    def _public_url(self) -> str:
        return f"{self.base_ws_url}/ws/****"  # the listen key is a credential

    def _url(self) -> tuple[str, frozenset[str]]:
        return f"{self.base_ws_url}/ws/{quote(self._listen_key, safe='')}", frozenset()

    async def _dispatch(self, link: _Link, msg: Any) -> None:
        if isinstance(msg, dict) and "stream" in msg and "data" in msg:
            msg = msg["data"]
        if not isinstance(msg, dict) or link is not self._link:
            return
        self.messages_received += 1
        self._last_message_at = time.time()
        await self._queue.put(msg)
