"""What the WebSocket consumers served by daphne share."""

from __future__ import annotations

import contextlib
import logging

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# "Service restart" (RFC 6455's 1012), in the private range: daphne (autobahn) lets a server
# close only with 1000 or 3000-4999, and the page's socket code reconnects after any code but
# 44xx (refused).
SERVICE_RESTART = 4012


class ClosesWhenRedisIsLost:
    """A consumer mixin. A Redis restart forgets the socket's group memberships (the core
    layer's receive then raises) or loses what was published while it was down (the pub/sub
    layer subscribes again by itself, then says ``layer.reconnected``, see desk.layers): a
    socket left open would never hear another push, or stay behind. It is closed as "service
    restart" (not left to crash with a traceback), and the page's socket code
    (static/js/lib/socket.js) reconnects, joins again and re-reads."""

    async def layer_reconnected(self, event) -> None:
        log.info("%s: Redis is back; closing the socket for a re-read", type(self).__name__)
        await self.close(code=SERVICE_RESTART)

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except (RedisError, OSError) as exc:
            log.warning("%s: lost Redis (%s); closing the socket", type(self).__name__, exc)
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": SERVICE_RESTART})
