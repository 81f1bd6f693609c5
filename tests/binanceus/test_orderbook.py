from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binanceus import BookNotSynced, DepthSnapshot, LocalOrderBook, OrderBook, SequenceGap

D = Decimal


def ev(first: int, final: int, bids=(), asks=()) -> dict:
    return {
        "e": "depthUpdate",
        "E": 0,
        "s": "BTCUSD",
        "U": first,
        "u": final,
        "b": [[p, q] for p, q in bids],
        "a": [[p, q] for p, q in asks],
    }


def snap(last: int, bids=(), asks=()) -> DepthSnapshot:
    return DepthSnapshot(last, [(D(p), D(q)) for p, q in bids], [(D(p), D(q)) for p, q in asks])


def test_it_follows_the_spec_procedure_for_the_first_and_next_events():
    book = OrderBook("BTCUSD")
    with pytest.raises(BookNotSynced):
        book.apply_diff(ev(1, 2))
    book.apply_snapshot(snap(100, bids=[("10", "1"), ("9", "2")], asks=[("11", "1"), ("12", "3")]))
    assert book.synced and book.last_update_id == 100
    assert book.apply_diff(ev(90, 100, bids=[("10", "99")])) is False  # u <= lastUpdateId: drop
    assert book.best_bid() == (D("10"), D("1"))
    assert book.apply_diff(ev(95, 105, bids=[("10", "0")], asks=[("10.5", "4")])) is True
    assert book.last_update_id == 105
    assert book.best_bid() == (D("9"), D("2")) and book.best_ask() == (D("10.5"), D("4"))
    assert book.apply_diff(ev(106, 106, bids=[("8.5", "0")])) is True  # unknown level: fine
    assert book.apply_diff(ev(100, 106)) is False  # duplicate: stale, dropped
    with pytest.raises(SequenceGap) as info:
        book.apply_diff(ev(108, 110))  # 107 is missing
    assert (info.value.last_update_id, info.value.first_update_id) == (106, 108)
    assert book.synced is False
    with pytest.raises(BookNotSynced):
        book.apply_diff(ev(107, 107))


def test_it_rejects_a_first_event_that_starts_after_the_snapshot():
    book = OrderBook("BTCUSD")
    book.apply_snapshot(snap(100))
    with pytest.raises(SequenceGap):
        book.apply_diff(ev(102, 104))
    assert not book.synced


def test_it_orders_levels_and_returns_top_n():
    book = OrderBook("BTCUSD")
    book.apply_snapshot(
        snap(
            1,
            bids=[("100.5", "1"), ("99", "2"), ("101", "3")],
            asks=[("103", "1"), ("102.25", "2"), ("104", "0")],
        )
    )
    bids, asks = book.top(2)
    assert bids == [(D("101"), D("3")), (D("100.5"), D("1"))]
    assert asks == [(D("102.25"), D("2")), (D("103"), D("1"))]
    assert book.top(10)[0] == book.bids and len(book.bids) == 3 and len(book.asks) == 2
    assert all(type(p) is Decimal and type(q) is Decimal for p, q in bids + asks)
    empty = OrderBook("X")
    assert empty.best_bid() is None and empty.top(5) == ([], [])


# --- property test: book vs. a dict model over random event streams -----------------------

PRICES = [str(D(100) + D(i) / 4) for i in range(12)]
level = st.tuples(st.sampled_from(PRICES), st.sampled_from(["0", "0.5", "1", "2.25", "7"]))
event_body = st.tuples(
    st.lists(level, max_size=4), st.lists(level, max_size=4), st.integers(min_value=1, max_value=3)
)
OPS = ["next"] * 6 + ["skip", "dup", "stale", "swap"]


def exchange_history(bodies, snapshot_at):
    """The true event list plus the true book state after each event (keyed by final id)."""
    bids: dict[Decimal, Decimal] = {}
    asks: dict[Decimal, Decimal] = {}
    events, states, next_id = [], {}, 1
    for i, (b, a, width) in enumerate(bodies):
        first, final = next_id, next_id + width - 1
        next_id = final + 1
        events.append(ev(first, final, b, a))
        for side, rows in ((bids, b), (asks, a)):
            for p, q in rows:
                if D(q) == 0:
                    side.pop(D(p), None)
                else:
                    side[D(p)] = D(q)
        states[final] = (dict(bids), dict(asks))
        if i == snapshot_at:
            snapshot = DepthSnapshot(final, list(bids.items()), list(asks.items()))
    return events, states, snapshot


def deliver(events, start, ops):
    out, pos = [], start
    for op in ops:
        if pos >= len(events):
            break
        if op == "next":
            out.append(events[pos])
            pos += 1
        elif op == "skip":
            pos += 1
        elif op == "dup" and pos > 0:
            out.append(events[pos - 1])
        elif op == "stale":
            out.append(events[max(0, start - 1)])
        elif op == "swap" and pos + 1 < len(events):
            out += [events[pos + 1], events[pos]]
            pos += 2
    return out


def as_dicts(book):
    return dict(book.bids), dict(book.asks)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bodies=st.lists(event_body, min_size=2, max_size=25),
    snapshot_frac=st.floats(min_value=0, max_value=1),
    start_back=st.integers(min_value=0, max_value=3),
    ops=st.lists(st.sampled_from(OPS), max_size=40),
)
def test_it_matches_the_model_or_reports_not_synced(bodies, snapshot_frac, start_back, ops):
    snapshot_at = int(snapshot_frac * (len(bodies) - 1))
    events, states, snapshot = exchange_history(bodies, snapshot_at)
    stream = deliver(events, max(0, snapshot_at + 1 - start_back), ops)
    book = OrderBook("BTCUSD")
    book.apply_snapshot(snapshot)
    for e in stream:
        try:
            book.apply_diff(e)
        except SequenceGap:
            assert not book.synced
            break
        # never silently wrong: whenever synced, the book is the exchange's state at that id
        assert as_dicts(book) == states[book.last_update_id]
        top_b, top_a = book.top(3)
        assert top_b == sorted(states[book.last_update_id][0].items(), reverse=True)[:3]
        assert top_a == sorted(states[book.last_update_id][1].items())[:3]


@settings(max_examples=100, deadline=None)
@given(
    bodies=st.lists(event_body, min_size=2, max_size=25),
    snapshot_frac=st.floats(min_value=0, max_value=1),
    start_back=st.integers(min_value=0, max_value=3),
)
def test_it_stays_synced_on_an_in_order_stream_with_stale_prefix(bodies, snapshot_frac, start_back):
    snapshot_at = int(snapshot_frac * (len(bodies) - 1))
    events, states, snapshot = exchange_history(bodies, snapshot_at)
    book = OrderBook("BTCUSD")
    book.apply_snapshot(snapshot)
    for e in events[max(0, snapshot_at + 1 - start_back) :]:
        book.apply_diff(e)
    assert book.synced and as_dicts(book) == states[events[-1]["u"]]


# --- LocalOrderBook orchestration ---------------------------------------------------------


class FakeSnapshots:
    """fetch_snapshot that returns the exchange state at a position the test controls."""

    def __init__(self, states: dict, finals: list[int]) -> None:
        self.states, self.finals, self.at = states, finals, 0
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self) -> DepthSnapshot:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.gate.wait()
            final = self.finals[self.at]
            bids, asks = self.states[final]
            return DepthSnapshot(final, list(bids.items()), list(asks.items()))
        finally:
            self.in_flight -= 1


def history(n=12):
    bodies = [
        ([(PRICES[i % 12], str(i + 1))], [(PRICES[(i + 5) % 12], str(i + 2))], 2) for i in range(n)
    ]
    events, states, _ = exchange_history(bodies, 0)
    return events, states


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_it_buffers_while_fetching_then_goes_live_and_resyncs_on_a_gap():
    events, states = history()
    snaps = FakeSnapshots(states, [e["u"] for e in events])
    snaps.gate.clear()
    book = LocalOrderBook("BTCUSD", snaps, retry_delay=0)
    assert book.state == "syncing"
    for e in events[:4]:
        assert await book.feed(e) is False  # buffered
    snaps.at = 1  # snapshot taken after event 1 arrived
    snaps.gate.set()
    await book.wait_live(timeout=2)
    assert book.state == "live" and snaps.calls == 1 and snaps.max_in_flight == 1
    assert as_dicts(book.book) == states[events[3]["u"]]
    assert await book.feed(events[4]) is True
    # gap: event 5 lost
    snaps.gate.clear()
    assert await book.feed(events[6]) is False
    assert book.state == "resyncing" and book.gaps == 1
    for e in events[7:10]:
        await book.feed(e)
    await settle()
    assert snaps.max_in_flight == 1 and snaps.calls == 2  # single in-flight fetch
    snaps.at = 7
    snaps.gate.set()
    await book.wait_live(timeout=2)
    assert as_dicts(book.book) == states[events[9]["u"]]
    assert await book.feed(events[10]) is True
    assert as_dicts(book.book) == states[events[10]["u"]]


@pytest.mark.asyncio
async def test_it_refetches_when_the_snapshot_is_older_than_the_buffer():
    events, states = history()
    finals = [e["u"] for e in events]
    snaps = FakeSnapshots(states, finals)
    snaps.at = 0  # stale: the buffer starts at event 3
    book = LocalOrderBook("BTCUSD", snaps, retry_delay=0)

    async def advance():
        while snaps.calls < 2:
            await asyncio.sleep(0)
        snaps.at = 4

    task = asyncio.create_task(advance())
    for e in events[3:6]:
        await book.feed(e)
    await book.wait_live(timeout=2)
    await task
    assert snaps.calls >= 2
    assert as_dicts(book.book) == states[finals[5]]


@pytest.mark.asyncio
async def test_it_retries_failed_snapshot_fetches_and_resets_after_reconnect():
    events, states = history()
    finals = [e["u"] for e in events]
    good = FakeSnapshots(states, finals)
    failures = [RuntimeError("boom")]

    async def flaky():
        if failures:
            raise failures.pop()
        return await good()

    book = LocalOrderBook("BTCUSD", flaky, retry_delay=0)
    await book.feed(events[0])
    await book.wait_live(timeout=2)
    assert book.state == "live"
    book.reset()
    assert book.state == "syncing" and len(book.book) == 0
    good.at = 8
    await book.feed(events[8])
    await book.feed(events[9])
    await book.wait_live(timeout=2)
    assert as_dicts(book.book) == states[finals[9]]
    await book.aclose()


@pytest.mark.asyncio
async def test_it_starts_the_resync_fetch_immediately_on_a_gap_and_is_live_within_1s():
    events, states = history()
    finals = [e["u"] for e in events]
    fetched_at: list[float] = []
    position = {"at": 1}

    async def fetch() -> DepthSnapshot:
        fetched_at.append(time.monotonic())
        await asyncio.sleep(0.05)  # REST latency
        bids, asks = states[finals[position["at"]]]
        return DepthSnapshot(finals[position["at"]], list(bids.items()), list(asks.items()))

    book = LocalOrderBook("BTCUSD", fetch)
    assert book.last_update_id == 0 and book.last_event_at is None
    for e in events[:3]:
        await book.feed({**e, "E": 1_700_000_000_123})
    await book.wait_live(timeout=1)
    assert book.last_update_id == finals[2] and book.snapshots_fetched == 1
    assert book.last_event_at == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    position["at"] = 5
    gap_at = time.monotonic()
    await book.feed(events[5])  # events 3 and 4 were lost
    assert book.state == "resyncing" and book.gaps == 1
    await asyncio.sleep(0)
    assert len(fetched_at) == 2 and fetched_at[1] - gap_at < 0.05  # no back-off first
    await book.wait_live(timeout=1)
    assert time.monotonic() - gap_at < 1.0
    assert book.snapshots_fetched == 2 and book.last_update_id == finals[5]
    assert as_dicts(book.book) == states[finals[5]]
    await book.aclose()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bodies=st.lists(event_body, min_size=2, max_size=20),
    ops=st.lists(st.sampled_from(OPS), max_size=40),
    leads=st.lists(st.integers(min_value=-2, max_value=3), min_size=1, max_size=8),
)
def test_the_local_book_is_never_silently_wrong(bodies, ops, leads):
    """Duplicates, stale, reordered and lost events with snapshots taken anywhere near the
    stream: whenever the book says live it equals the exchange at its update id, and a clean
    tail always brings it back to live."""
    events, states, _ = exchange_history(bodies, 0)
    states[0] = ({}, {})
    finals = [e["u"] for e in events]
    stream = deliver(events, 0, ops)

    async def main() -> None:
        head = {"i": -1}
        calls = {"n": 0}

        async def fetch() -> DepthSnapshot:
            calls["n"] += 1
            lead = leads[calls["n"] % len(leads)]
            if calls["n"] > 8:
                lead = abs(lead)  # later snapshots are never behind: make progress
            await asyncio.sleep(0)
            i = min(len(events) - 1, head["i"] + lead)
            final = finals[i] if i >= 0 else 0
            bids, asks = states[final]
            return DepthSnapshot(final, list(bids.items()), list(asks.items()))

        book = LocalOrderBook("BTCUSD", fetch, retry_delay=0)

        def check() -> None:
            if book.state == "live":
                assert book.book.synced
                assert as_dicts(book.book) == states[book.last_update_id]

        for e in stream:
            head["i"] = max(head["i"], finals.index(e["u"]))
            await book.feed(e)
            check()
            await settle()
            check()
        for e in events[head["i"] + 1 :]:
            head["i"] += 1
            await book.feed(e)
            check()
            await settle()
            check()
        if book.state != "live":
            await book.wait_live(timeout=2)
        check()
        assert book.state == "live"
        await book.aclose()

    asyncio.run(main())
