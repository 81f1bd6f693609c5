"""Two stream processes (two HeldConnections in one loop, each with its own holder name) over
the same connections and the real sandbox: each connection is followed by exactly one of them,
and its user data stream and WebSocket API session are held by the same one."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from tests.factories import make_user, sandbox_connection
from tests.support import until_async
from trading.leases import Leases, lease_key
from trading.market.watchers import redis_client
from trading.orders.loops import HeldConnections
from trading.orders.streams import UserDataStreams
from trading.orders.wsapi import WsApiSessions

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

KIND = "connection-test"


def _connections(sandbox_url: str, n: int) -> list[int]:
    user = make_user()
    return [sandbox_connection(sandbox_url, user, balances={"USD": "10"})[0].pk for _ in range(n)]


def _process(r, name: str) -> tuple[UserDataStreams, WsApiSessions, HeldConnections]:
    streams, sessions = UserDataStreams(), WsApiSessions()
    held = HeldConnections([streams, sessions], Leases(r, KIND, holder=name), poll_seconds=0.3)
    return streams, sessions, held


async def test_each_connection_is_held_whole_by_one_of_two_processes(use_sandbox):
    pks = set(await sync_to_async(_connections)(use_sandbox, 4))
    r = redis_client()
    await r.delete(*[lease_key(KIND, str(pk)) for pk in pks], f"desk:lease:{KIND}:members")
    processes = [_process(r, name) for name in ("a", "b")]
    tasks = [asyncio.create_task(held.run()) for _, _, held in processes]

    def split() -> bool:
        followed = []
        for streams, sessions, _ in processes:
            following = {pk for pk, f in streams.followers.items() if f.stream} & pks
            sending = set(sessions.sessions) & pks
            followed.append((following, sending))
        (a, a_send), (b, b_send) = followed
        assert not (a_send & b_send), "a session held by both processes"
        return a | b == pks and a == a_send and b == b_send and a and b

    try:
        await until_async(split, timeout=30, message="the connections split between both")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    # Stopping gave every lease up: another process would take them over at once.
    assert not await r.exists(*[lease_key(KIND, str(pk)) for pk in pks])
