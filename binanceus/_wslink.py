"""Requests and their answers over one websocket connection, matched by id.

Both the market stream's control messages (``SUBSCRIBE`` / ``UNSUBSCRIBE`` /
``LIST_SUBSCRIPTIONS``) and the WebSocket API are requests ``{"method", "params", "id"}``
answered by ``{"id", "result"}`` or ``{"id", "error": {"code", "msg"}}`` (the WebSocket API
also ``{"id", "status", "error"}``). :class:`RequestLink` numbers the requests, waits for
the answer with the same id and types what can go wrong:

- the server rejects the request: :class:`~binanceus.RequestRejected` (``.code``, ``.msg``);
- no answer within the timeout: :class:`~binanceus.RequestTimeout` (also a ``TimeoutError``);
- the connection drops before the answer, or was gone before sending:
  :class:`~binanceus.ConnectionLost` (also a ``ConnectionError``) for every pending request.

A link made with ``envelopes=True`` (the WebSocket API client's) resolves each request to
its whole answer instead (``status``, ``result`` or ``error``, ``rateLimits``): its owner
reads the status and the rate limits, and types the errors the REST way.

One link serves one physical connection. After a reconnect the owner makes a new link for
the new connection with the same ``ids`` counter, so ids stay unique across connections (an
answer that arrives late on the old connection cannot resolve a new request).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import orjson
from websockets.exceptions import ConnectionClosed

from ._errors import ConnectionLost, RequestRejected, RequestTimeout

__all__ = ["RequestLink"]


class RequestLink:
    """Pending requests of one connection. ``send`` writes one text frame (the owner's send
    budget applies); feed every received JSON object to :meth:`resolve`."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        *,
        ids: Iterator[int] | None = None,
        timeout: float = 10.0,
        envelopes: bool = False,
    ) -> None:
        self._send = send
        self._ids = ids if ids is not None else itertools.count(1)
        self.timeout = timeout
        self.envelopes = envelopes
        self._pending: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self._lost: str | None = None

    @property
    def pending(self) -> int:
        """How many requests wait for their answer."""
        return len(self._pending)

    async def request(
        self, method: str, params: Any = None, *, timeout: float | None = None
    ) -> Any:
        """Send a request and return its answer's ``result`` (with ``envelopes``: the answer)."""
        return await self.wait(await self.send(method, params), timeout)

    async def send(self, method: str, params: Any = None) -> asyncio.Future[Any]:
        """Send a request without waiting; the returned future resolves to its ``result``."""
        if self._lost is not None:
            raise ConnectionLost(f"{method} not sent: {self._lost}")
        msg_id = next(self._ids)
        payload: dict[str, Any] = {"method": method, "id": msg_id}
        if params is not None:
            payload["params"] = params
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = (method, fut)
        try:
            await self._send(orjson.dumps(payload).decode())
        except ConnectionClosed:
            self._pending.pop(msg_id, None)
            raise ConnectionLost(f"{method} not sent: the connection is closed") from None
        return fut

    async def wait(self, fut: asyncio.Future[Any], timeout: float | None = None) -> Any:
        """The answer of a request :meth:`send` sent (``timeout``: the link's by default)."""
        seconds = self.timeout if timeout is None else timeout
        try:
            return await asyncio.wait_for(fut, seconds)
        except TimeoutError:
            raise RequestTimeout(f"no answer within {seconds}s") from None
        finally:
            for k in [k for k, (_, f) in self._pending.items() if f is fut]:
                del self._pending[k]

    def resolve(self, msg: Any) -> bool:
        """Settle the request ``msg`` answers; False if ``msg`` is not an answer (an event)."""
        if not isinstance(msg, Mapping):
            return False
        msg_id = msg.get("id", msg.get("ID"))
        if msg_id is None or not _is_answer(msg, self.envelopes):
            return False
        try:
            method, fut = self._pending.pop(int(msg_id))
        except (KeyError, TypeError, ValueError):
            return True  # an answer nobody waits for any more (timed out, or a rollover's)
        if fut.done():
            return True
        if self.envelopes:
            fut.set_result(msg)
        elif "result" in msg and "error" not in msg:
            fut.set_result(msg["result"])
        else:
            err = msg.get("error", msg)
            code, text = err.get("code"), str(err.get("msg", ""))
            fut.set_exception(
                RequestRejected(f"server rejected {method}: {code}: {text}", code=code, msg=text)
            )
        return True

    def fail_all(self, reason: str = "the connection was lost") -> None:
        """The connection is gone: every pending request (and any later one) fails with
        :class:`~binanceus.ConnectionLost`."""
        self._lost = reason
        pending, self._pending = self._pending, {}
        for method, fut in pending.values():
            if not fut.done():
                fut.set_exception(ConnectionLost(f"{method}: {reason} before the answer"))
                fut.exception()  # retrieved: a request nobody awaits any more logs nothing


def _is_answer(msg: Mapping[str, Any], envelopes: bool) -> bool:
    if "result" in msg or "error" in msg or "code" in msg:
        return True
    # The spec's userDataStream.ping / .stop answers carry "response" instead of "result"
    # (L13897); a WebSocket API answer always has its status.
    return envelopes and ("status" in msg or "response" in msg)
