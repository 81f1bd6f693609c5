"""Pushes to browsers through the channel layer. Called from ``transaction.on_commit``."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.selectors import balances_payload

log = logging.getLogger(__name__)


class LoopPublisher:
    """Group sends handed from worker threads to one task on a running event loop, in order.

    The stream process stores each user-data event in a worker thread (``asyncio.to_thread``).
    There ``async_to_sync`` would start an event loop of its own for every push, and the channel
    layer a Redis connection for that loop: about 1.5 ms on the way from the exchange's
    executionReport to the page (bench/order_latency.py). Handed over instead, the push goes out
    on the loop's own connection, and the thread goes on without waiting for it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
        self.sent = 0

    def put(self, group: str, message: dict) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (group, message))

    async def run(self) -> None:
        layer = get_channel_layer()
        while True:
            group, message = await self.queue.get()
            try:
                await layer.group_send(group, message)
                self.sent += 1
            except Exception:  # one failed push must not stop the ones after it
                log.exception("push to %s failed", group)


_publisher: LoopPublisher | None = None


@contextlib.asynccontextmanager
async def publishing_on_this_loop():
    """While inside, pushes made from other threads of this process go out on this loop."""
    global _publisher
    publisher = LoopPublisher(asyncio.get_running_loop())
    task = asyncio.create_task(publisher.run(), name="pushes")
    _publisher = publisher
    try:
        yield publisher
    finally:
        _publisher = None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _group_send(group: str, message: dict) -> None:
    publisher = _publisher
    if publisher is not None and not _on_loop(publisher.loop):
        publisher.put(group, message)
    else:
        async_to_sync(get_channel_layer().group_send)(group, message)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def connection_group(connection_id: int) -> str:
    return f"connection.{connection_id}"


def balances_push(*, connection_id: int) -> None:
    _group_send(
        connection_group(connection_id),
        {"type": "balances.updated", "payload": balances_payload(connection_id=connection_id)},
    )


def _send(connection_id: int, event_type: str, payload: dict) -> None:
    _group_send(connection_group(connection_id), {"type": event_type, "payload": payload})


def order_push(*, connection_id: int, payload: dict) -> None:
    """An order of the connection changed (placed, filled, canceled, settled after a check)."""
    _send(connection_id, "order.updated", payload)


def fill_push(*, connection_id: int, payload: dict) -> None:
    """One of the connection's orders traded: pages show a toast."""
    _send(connection_id, "order.fill", payload)


def order_list_push(*, connection_id: int, payload: dict) -> None:
    _send(connection_id, "order_list.updated", payload)


def transfer_run_push(*, connection_id: int, payload: dict) -> None:
    """A transfer run of the connection changed: its page follows it without polling."""
    _send(connection_id, "transfer_run.updated", payload)


def history_progress_push(*, connection_id: int, payload: dict) -> None:
    """A history sync of the connection stepped: the progress bars follow it."""
    _send(connection_id, "history_progress.updated", payload)


def wallet_activity_push(*, connection_id: int, payload: dict) -> None:
    """The connection's deposits or withdrawals were synced: the Wallet page re-reads them."""
    _send(connection_id, "wallet_activity.updated", payload)


def staking_push(*, connection_id: int, payload: dict) -> None:
    """A stake or unstake changed, or the staking histories were synced: the Staking tab
    re-reads its figures."""
    _send(connection_id, "staking.updated", payload)


def withdrawal_push(*, connection_id: int, payload: dict) -> None:
    """A withdrawal of the connection changed: its page follows it without polling."""
    _send(connection_id, "withdrawal.updated", payload)


def custody_push(*, connection_id: int, payload: dict) -> None:
    """A custodian transfer, custodial order, balance or settlement of the connection changed:
    the Custody tab re-reads its live part."""
    _send(connection_id, "custody.updated", payload)


def credit_line_push(*, connection_id: int, payload: dict) -> None:
    """The credit line's figures changed (LTV, loans, transfers), or a new alert arrived: the
    Credit line tab redraws, and every page of the owner shows a new alert as a banner."""
    _send(connection_id, "credit_line.updated", payload)


def convert_push(*, connection_id: int, payload: dict) -> None:
    """An OTC conversion or a dust conversion of the connection changed: the Convert and Dust
    tabs re-read their live part."""
    _send(connection_id, "convert.updated", payload)


def rewards_push(*, connection_id: int, payload: dict) -> None:
    """Rewards or rebates were synced, or a broker export moved: the Rewards and Broker pages
    re-read their live part."""
    _send(connection_id, "rewards.updated", payload)
