"""WebSocket market and user data streams (asyncio + ``websockets``).

Both stream classes reconnect automatically with jittered exponential backoff and then yield a
:class:`Reconnected` marker, because messages were certainly lost in between: consumers must
resync (order books: :meth:`LocalOrderBook.reset`; orders: re-query over REST).

Everything the client sends on a connection (control messages, keepalive pings and the pongs
answering the server's pings) goes through one per-connection :class:`SendBudget`, so the
exchange's limit of 5 incoming messages per second is never exceeded by us. A
:class:`MarketStream` also rolls over to a fresh connection before the exchange's 24-hour
connection limit (``rollover_after``) without a gap, without duplicates and without a
:class:`Reconnected` marker; :class:`MarketStreamPool` spreads more than 1024 streams over
several connections.

The parts: :mod:`._stream_types` (what is yielded and reported), :mod:`._wsconn` (one
connection, its send budget, the reconnecting base), :mod:`._wslink` (control requests and
their answers by id), :mod:`._market_stream`, :mod:`._stream_pool`, :mod:`._user_stream`.
"""

from ._errors import StreamError
from ._market_stream import DEFAULT_ROLLOVER_AFTER, MAX_STREAMS_PER_CONNECTION, MarketStream
from ._stream_pool import MarketStreamPool
from ._stream_types import Reconnected, SocketStats, StreamMessage, StreamStats
from ._user_stream import UserStream
from ._wsconn import DEFAULT_WS_URL, SendBudget

__all__ = [
    "DEFAULT_ROLLOVER_AFTER",
    "DEFAULT_WS_URL",
    "MAX_STREAMS_PER_CONNECTION",
    "MarketStream",
    "MarketStreamPool",
    "Reconnected",
    "SendBudget",
    "SocketStats",
    "StreamError",
    "StreamMessage",
    "StreamStats",
    "UserStream",
]
