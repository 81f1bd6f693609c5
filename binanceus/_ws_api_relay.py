"""The WebSocket API's methods for a process that holds no socket: each request is prepared
here (arguments, client order id, signature, weight) and carried by a ``forward`` function
to a process that holds one (:meth:`AsyncWsApiClient.forward`), which hands back the
exchange's whole answer. A web server that may not keep sockets open between requests sends
its orders over the WebSocket API that way."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

from ._errors import (
    ConnectionLost,
    InvalidTimestamp,
    RequestTimeout,
    ServiceUnavailable,
    TransportError,
)
from ._models import ExchangeInfo
from ._transport import _resend_safe
from ._ws_api import WsApiCore, dressed_as, install, shared_with
from ._ws_api_methods import Sent, WsMethod

if TYPE_CHECKING:
    from ._endpoints import Endpoint
    from ._transport import Transport

__all__ = ["Forward", "NotForwarded", "WsApiRelay"]

Forward = Callable[[str, dict[str, Any], float], Mapping[str, Any]]
"""(WebSocket API method, its signed params, seconds to wait) -> the exchange's answer."""


class NotForwarded(TransportError):
    """The request never reached the exchange (no session to carry it, or none took it in
    time): sending it another way, such as REST, is safe."""


class WsApiRelay(WsApiCore):
    """The methods of :class:`AsyncWsApiClient` (named, typed and answered as the REST
    client's), blocking, each request sent through ``forward``.

    ``forward(method, params, timeout)`` returns the exchange's answer envelope, raises
    :class:`NotForwarded` (or another :class:`TransportError`) when nothing was sent, and
    :class:`ConnectionLost` / :class:`RequestTimeout` when it was sent but no answer came:
    a placing call then raises :class:`ExecutionUnknown` with its client order id.
    """

    def __init__(
        self,
        forward: Forward,
        api_key: str | None = None,
        api_secret: Any = None,
        *,
        sync_time: Callable[[], int] | None = None,
        retry_backoff: Sequence[float] = (0.2, 0.4, 0.8),
        **options: Any,
    ) -> None:
        super().__init__(api_key, api_secret, **options)
        self._forward = forward
        self._sync_time = sync_time
        self.retry_backoff = tuple(retry_backoff)

    @classmethod
    def from_client(cls, client: Transport, forward: Forward, **options: Any) -> Self:
        """A relay with the REST ``client``'s key, secret, clock and weight budget; the clock
        is measured with the REST client's ``sync_time``."""
        key, secret, shared = shared_with(client)
        return cls(forward, key, secret, sync_time=client.sync_time, **shared, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_key={'***' if self._api_key else None!r})"

    def sync_time(self) -> int:
        if self._sync_time is None:
            raise RuntimeError("this WsApiRelay has no way to measure the server time")
        return self._sync_time()

    def _invoke(
        self, row: WsMethod, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float | None
    ) -> Any:
        sent = self._recorder.record(row.name, args, kwargs)
        ep = row.endpoint
        self._check_credentials(row, ep)
        if ep.signed and self._sync_time is not None and self._clock_stale():
            self.sync_time()
        value = row.parse(self._request(row, ep, sent, timeout), sent.params)
        if isinstance(value, ExchangeInfo):
            self._recorder.remember(value)
        return value

    def _request(self, row: WsMethod, ep: Endpoint, sent: Sent, timeout: float | None) -> Any:
        """Resend what was refused unexecuted as the other clients do: once on -1021 with a
        fresh clock offset, and a 503 "not executed" after each of ``retry_backoff``."""
        resynced, attempt = False, 0
        while True:
            try:
                return self._send(row, ep, sent, timeout)
            except InvalidTimestamp:
                if not ep.signed or self._sync_time is None or resynced:
                    raise
                resynced = True
                self.sync_time()
            except ServiceUnavailable as exc:
                if not _resend_safe(ep, exc) or attempt >= len(self.retry_backoff):
                    raise
                time.sleep(self.retry_backoff[attempt] * (1 + 0.25 * random.random()))
                attempt += 1

    def _send(self, row: WsMethod, ep: Endpoint, sent: Sent, timeout: float | None) -> Any:
        self._check_blocked(row)
        self.weight_budget.acquire(ep.weight_for(sent.params))
        params = self._wire_params(ep, sent.params)
        wait = self.timeout if timeout is None else timeout
        try:
            answer = self._forward(row.ws, params, wait)
        except (ConnectionLost, RequestTimeout) as exc:
            raise self._no_answer(row, ep, sent, exc) from None
        return self._result(row, ep, sent, answer)


def _relay_method(row: WsMethod) -> Callable[..., Any]:
    @dressed_as(row, "WsApiRelay")
    def call(self: WsApiRelay, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return self._invoke(row, args, kwargs, timeout)

    return call


install(WsApiRelay, _relay_method)
