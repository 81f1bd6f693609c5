"""What the WebSocket consumers served by daphne share."""

from __future__ import annotations

import contextlib
import logging

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SERVICE_RESTART = 1012  # RFC 6455: the browser's socket code reconnects after it


class ClosesWhenRedisIsLost:
    """A consumer mixin. A Redis restart forgets the socket's group memberships, so a socket
    left open would never hear another push; the channel layer's receive raises instead. The
    socket is then closed as "service restart" (not left to crash with a traceback), and the
    page's socket code (static/js/lib/socket.js) reconnects, joins again and re-reads."""

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except (RedisError, OSError) as exc:
            log.warning("%s: lost Redis (%s); closing the socket", type(self).__name__, exc)
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": SERVICE_RESTART})
