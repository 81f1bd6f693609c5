"""The channel layer: channels_redis's pub/sub layer, which also tells every local channel when
its Redis connection came back.

Through a Redis outage the pub/sub layer reconnects and subscribes again by itself (redis-py
re-subscribes on reconnect), so no consumer notices: whatever was published meanwhile is gone
and a page would stay silently behind (the topology bench saw orders never shown). After the
re-subscription each local channel receives ``{"type": "layer.reconnected"}``; the consumers
(desk.sockets.ClosesWhenRedisIsLost) end their socket so the page reconnects and re-reads, and
the fan-out server re-makes its watcher entries (trading.fanout).
"""

from __future__ import annotations

import asyncio
import logging

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisSingleShardConnection
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RECONNECTED = {"type": "layer.reconnected"}


class _Shard(RedisSingleShardConnection):
    _watched = None  # the pub/sub connection our callback is registered on

    async def subscribe(self, channel):
        await super().subscribe(channel)
        connection = self._pubsub.connection if self._pubsub is not None else None
        if connection is not None and connection is not self._watched:
            # Registered after redis-py's own re-subscribing callback, so it runs after it;
            # and only on reconnects, the first connect being over by now.
            connection.register_connect_callback(self._reconnected)
            self._watched = connection

    async def _do_receiving(self):
        # channels_redis's loop, but Redis away is one warning per outage, not a traceback a
        # second (the socket servers' logs are read for tracebacks).
        away = False
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    away = False
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (RedisError, OSError) as exc:
                if not away:
                    log.warning("channel layer: Redis unreachable (%s); retrying", exc)
                away = True
                await asyncio.sleep(1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                log.exception("channel layer: unexpected error receiving")
                await asyncio.sleep(1)

    async def _reconnected(self, connection) -> None:
        loop_layer = self.channel_layer
        message = loop_layer.channel_layer.serialize(RECONNECTED)
        for queue in list(loop_layer.channels.values()):
            queue.put_nowait(message)


class PubSubChannelLayer(RedisPubSubChannelLayer):
    def _get_layer(self):
        fresh = asyncio.get_running_loop() not in self._layers
        layer = super()._get_layer()
        if fresh:
            layer._shards = [_Shard(shard.host, layer) for shard in layer._shards]
        return layer
