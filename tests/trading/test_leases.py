"""Leases over a real Redis: several "processes" (Leases objects with their own holder names)
share items, each held by exactly one of them at every moment, through joins, deaths, a lost
connection to Redis and a Redis that lost its keys."""

import asyncio
import time

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from tests.support import free_port, until_async
from trading.leases import Leases, lease_key

pytestmark = pytest.mark.asyncio

TTL = 0.6  # short leases keep these tests quick; the stream processes use 3 s
MARGIN = 0.2
ITEMS = {f"S{i}" for i in range(6)}


@pytest_asyncio.fixture
async def r(redis_url):
    client = aioredis.Redis.from_url(redis_url.rsplit("/", 1)[0] + "/7")
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


def _process(r, name: str) -> Leases:
    return Leases(r, "test", holder=name, ttl=TTL, margin=MARGIN)


async def _round(processes: list[Leases], wanted: set[str] = ITEMS) -> dict[str, set[str]]:
    """One share-and-settle round of each live process, as their loops run them, checking
    after every step that no item is worked on by two processes."""
    for p in processes:
        await p.share(wanted)
        _assert_disjoint(processes)
        await p.settle()
    return {p.holder: set(p.mine) for p in processes}


def _assert_disjoint(processes: list[Leases]) -> None:
    seen: dict[str, str] = {}
    for p in processes:
        for item in p.mine:
            assert item not in seen, f"{item} worked on by {seen[item]} and {p.holder}"
            seen[item] = p.holder


async def _settled(processes: list[Leases], wanted: set[str] = ITEMS, sizes=None):
    """Rounds until every wanted item is worked on (and, if given, shares have these sizes)."""

    async def done():
        mine = await _round(processes, wanted)
        covered = set().union(*mine.values()) == wanted
        return (
            mine
            if covered and (sizes is None or sorted(map(len, mine.values())) == sizes)
            else None
        )

    return await until_async(done, timeout=10, interval=0.05, message="leases never settled")


async def test_each_item_is_held_by_exactly_one_process_and_the_work_is_shared(r):
    processes = [_process(r, name) for name in "abc"]
    mine = await _settled(processes, sizes=[2, 2, 2])
    for holder, items in mine.items():
        for item in items:
            assert await r.get(lease_key("test", item)) == holder.encode()


async def test_a_process_that_joins_gets_its_share_without_any_item_held_twice(r):
    a = _process(r, "a")
    assert await _settled([a], sizes=[6])
    b = _process(r, "b")
    mine = await _settled([a, b], sizes=[3, 3])
    assert mine["a"] | mine["b"] == ITEMS


async def test_the_items_of_a_killed_process_are_taken_over_once_its_leases_expire(r):
    a, b = _process(r, "a"), _process(r, "b")
    mine = await _settled([a, b], sizes=[3, 3])
    killed_at = time.monotonic()  # a stops renewing, like a SIGKILLed process
    # Until a's leases expire, b may not take a's items.
    while time.monotonic() - killed_at < TTL - MARGIN:
        held = await b.share(ITEMS)
        assert not held & mine["a"]
        await asyncio.sleep(0.05)
    await _settled([b], sizes=[6])


async def test_a_process_cut_off_from_redis_stops_before_another_can_take_over(r):
    a, b = _process(r, "a"), _process(r, "b")
    await _settled([a, b], sizes=[3, 3])
    a.redis = aioredis.Redis(port=free_port(), socket_connect_timeout=0.1)  # nothing listens
    while True:
        a_mine = await a.share(ITEMS)
        b_mine = await b.share(ITEMS)
        await b.settle()
        assert not a_mine & b_mine, "an item was worked on by both sides of the partition"
        if not a_mine:
            break
        await asyncio.sleep(0.05)
    await _settled([b], sizes=[6])
    await a.redis.aclose()


async def test_after_redis_loses_its_keys_the_holders_keep_their_items(r):
    a, b = _process(r, "a"), _process(r, "b")
    before = await _settled([a, b], sizes=[3, 3])
    await r.flushdb()  # what a restart without persistence leaves
    # b sees the restart first: it may not claim a's items, which a still works on.
    await b.share(ITEMS)
    await b.settle()
    assert b.mine == before["b"]
    after = await _settled([a, b], sizes=[3, 3])
    assert after == before


async def test_items_no_longer_wanted_are_given_up(r):
    a = _process(r, "a")
    await _settled([a], sizes=[6])
    await _round([a], {"S1", "S2"})
    assert a.mine == {"S1", "S2"}
    assert await r.get(lease_key("test", "S3")) is None


async def test_a_process_that_leaves_hands_its_items_over_at_once(r):
    a, b = _process(r, "a"), _process(r, "b")
    await _settled([a, b], sizes=[3, 3])
    await a.leave()
    mine = await _round([b])
    assert mine["b"] == ITEMS


async def test_keep_alive_holds_the_leases_of_a_process_busy_between_two_shares(r):
    a, b = _process(r, "a"), _process(r, "b")
    assert await _settled([a], sizes=[6])
    renewing = asyncio.create_task(a.keep_alive())
    try:
        # a is busy (stopping sockets, say) for several ttl without a share: b finds nothing free.
        deadline = time.monotonic() + 4 * TTL
        while time.monotonic() < deadline:
            assert await b.share(ITEMS) == set()
            await asyncio.sleep(TTL / 4)
        assert a.surviving() == ITEMS
    finally:
        renewing.cancel()
    # Without it a's leases lapse and b takes them.
    await until_async(
        lambda: b.share(ITEMS), timeout=10, interval=0.05, message="b never took over"
    )
