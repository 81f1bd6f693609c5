"""The WebSocket API client for synchronous code: :class:`AsyncWsApiClient` on a private
event loop in a thread of its own, each method blocking until its answer."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Self, TypeVar

from ._symbol_rules import SymbolRules
from ._trading_models import RateLimitUsage
from ._weights import WeightBudget
from ._ws_api import AsyncWsApiClient, dressed_as, install, shared_with
from ._ws_api_conn import WsApiStats
from ._ws_api_methods import WsMethod

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = ["WsApiClient"]

T = TypeVar("T")


class WsApiClient:
    """Binance.US WebSocket API client for synchronous code: the methods of
    :class:`AsyncWsApiClient` (its arguments too), each returning the answer.

    The socket lives on an event loop in a daemon thread of the client's own, so calls from
    several threads share one connection; :meth:`close` (or ``with``) ends both.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._client = AsyncWsApiClient(*args, **kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="binanceus-ws-api", daemon=True
        )
        self._thread.start()
        self._closed = False

    @classmethod
    def from_client(cls, client: Transport, **options: Any) -> Self:
        """As :meth:`AsyncWsApiClient.from_client`: REST and WebSocket spend one budget."""
        key, secret, shared = shared_with(client)
        return cls(key, secret, **shared, **options)

    def __repr__(self) -> str:
        return repr(self._client).replace("AsyncWsApiClient", "WsApiClient", 1)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coro.close()
            raise RuntimeError("the WsApiClient is closed")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("WsApiClient called from its own event loop; use AsyncWsApiClient")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        try:
            self._run(self._client.aclose())
        finally:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    # -- as AsyncWsApiClient -----------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._client.url

    @property
    def weight_budget(self) -> WeightBudget:
        return self._client.weight_budget

    @property
    def used_weight(self) -> dict[str, int]:
        return self._client.used_weight

    @property
    def order_counts(self) -> dict[str, int]:
        return self._client.order_counts

    @property
    def rate_limits(self) -> tuple[RateLimitUsage, ...]:
        return self._client.rate_limits

    @property
    def time_offset_ms(self) -> int:
        return self._client.time_offset_ms

    def stats(self) -> WsApiStats:
        return self._client.stats()

    def connect(self) -> None:
        self._run(self._client.connect())

    def drop_connection(self) -> None:
        self._run(self._client.drop_connection())

    def sync_time(self) -> int:
        return self._run(self._client.sync_time())

    def cached_symbol_rules(self, symbol: str) -> SymbolRules | None:
        return self._client.cached_symbol_rules(symbol)

    def symbol_rules(self, symbol: str) -> SymbolRules:
        return self._run(self._client.symbol_rules(symbol))


def _sync_method(row: WsMethod) -> Any:
    @dressed_as(row, "WsApiClient")
    def call(self: WsApiClient, *args: Any, **kwargs: Any) -> Any:
        return self._run(getattr(self._client, row.name)(*args, **kwargs))

    return call


install(WsApiClient, _sync_method)
