"""Pushes made from worker threads of a process with a running loop (the stream process)."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from accounts import realtime

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.asyncio
async def test_pushes_from_worker_threads_arrive_in_the_order_they_were_made():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(realtime.connection_group(4242), channel)

    def push_many():
        for i in range(30):
            realtime.order_push(connection_id=4242, payload={"seq": i})

    async with realtime.publishing_on_this_loop() as publisher:
        await asyncio.to_thread(push_many)
        got = [await asyncio.wait_for(layer.receive(channel), timeout=5) for _ in range(30)]

    assert publisher.sent == 30  # by the loop's task, not by a loop of the thread's own
    assert [m["payload"]["seq"] for m in got] == list(range(30))
    assert {m["type"] for m in got} == {"order.updated"}


@pytest.mark.asyncio
async def test_a_push_made_on_the_loop_itself_or_after_it_stopped_still_goes_out():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(realtime.connection_group(4243), channel)

    async with realtime.publishing_on_this_loop():
        pass
    # No publisher any more: a worker thread sends through a loop of its own, as before.
    await asyncio.to_thread(realtime.order_push, connection_id=4243, payload={"seq": "after"})

    got = await asyncio.wait_for(layer.receive(channel), timeout=5)
    assert got["payload"] == {"seq": "after"}
