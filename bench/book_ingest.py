"""Order book ingest benchmark: parse -> sequence check -> apply -> top-20 -> encode, per diff.

    .venv/bin/python bench/book_ingest.py [--diffs 200000] [--levels 2000] [--seed 7]

Generates a realistic ``<symbol>@depth@100ms`` stream (a book of ``--levels`` price levels per
side around a drifting mid price; each diff touches 1-12 levels, ~30% deletions, mostly near
the top) as JSON bytes, then times, on one core, for every diff:

    orjson.loads -> OrderBook.apply_diff (sequence check + Decimal levels) -> top(20)
    -> orjson.dumps of the top-20 as strings

and the same pipeline on a naive book (two plain dicts, sorted on every read).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from binanceus import DepthSnapshot, OrderBook

TICK = Decimal("0.01")


def generate(n_diffs: int, levels: int, seed: int) -> tuple[DepthSnapshot, list[bytes]]:
    rng = random.Random(seed)
    mid = 30_000 * 100  # in ticks
    bids = {mid - i: rng.randint(1, 500_000) for i in range(1, levels + 1)}
    asks = {mid + i: rng.randint(1, 500_000) for i in range(1, levels + 1)}

    def fmt_p(ticks: int) -> str:
        return str(Decimal(ticks) * TICK)

    def fmt_q(units: int) -> str:
        return f"{units / 100_000:.8f}"  # exchange-style fixed 8 decimals

    snapshot = DepthSnapshot(
        last_update_id=1_000_000,
        bids=[(Decimal(fmt_p(p)), Decimal(fmt_q(q))) for p, q in bids.items()],
        asks=[(Decimal(fmt_p(p)), Decimal(fmt_q(q))) for p, q in asks.items()],
    )
    msgs: list[bytes] = []
    next_id = 1_000_001
    event_time = 1_700_000_000_000
    for _ in range(n_diffs):
        mid += rng.choice((-1, 0, 0, 1))
        b_rows, a_rows = [], []
        for _ in range(rng.randint(1, 12)):
            side, rows = (bids, b_rows) if rng.random() < 0.5 else (asks, a_rows)
            depth = int(rng.expovariate(1 / 15)) + 1
            price = mid - depth if side is bids else mid + depth
            if price in side and rng.random() < 0.3:
                del side[price]
                rows.append([fmt_p(price), "0.00000000"])
            else:
                side[price] = rng.randint(1, 500_000)
                rows.append([fmt_p(price), fmt_q(side[price])])
        width = rng.randint(1, 8)
        event_time += 100
        msgs.append(
            orjson.dumps(
                {
                    "stream": "btcusd@depth@100ms",
                    "data": {
                        "e": "depthUpdate",
                        "E": event_time,
                        "s": "BTCUSD",
                        "U": next_id,
                        "u": next_id + width - 1,
                        "b": b_rows,
                        "a": a_rows,
                    },
                }
            )
        )
        next_id += width
    return snapshot, msgs


def encode_top(bids, asks) -> bytes:
    return orjson.dumps(
        {
            "bids": [[str(p), str(q)] for p, q in bids],
            "asks": [[str(p), str(q)] for p, q in asks],
        }
    )


def run_sorted_book(snapshot: DepthSnapshot, msgs: list[bytes]) -> tuple[float, bytes]:
    book = OrderBook("BTCUSD")
    book.apply_snapshot(snapshot)
    out = b""
    start = time.perf_counter()
    for raw in msgs:
        event = orjson.loads(raw)["data"]
        book.apply_diff(event)
        bids, asks = book.top_wire(20)
        out = orjson.dumps({"bids": bids, "asks": asks})
    return time.perf_counter() - start, out


def run_sorted_book_decimal_top(snapshot: DepthSnapshot, msgs: list[bytes]) -> tuple[float, bytes]:
    """Same, but reading Decimal levels with top(20) and formatting them with str()."""
    book = OrderBook("BTCUSD")
    book.apply_snapshot(snapshot)
    out = b""
    start = time.perf_counter()
    for raw in msgs:
        event = orjson.loads(raw)["data"]
        book.apply_diff(event)
        bids, asks = book.top(20)
        out = encode_top(bids, asks)
    return time.perf_counter() - start, out


class NaiveBook:
    """Two dicts; the sequence check is the same, the read sorts every time."""

    def __init__(self, snapshot: DepthSnapshot) -> None:
        self.bids = dict(snapshot.bids)
        self.asks = dict(snapshot.asks)
        self.last = snapshot.last_update_id

    def apply(self, event: dict) -> None:
        if event["u"] <= self.last:
            return
        if event["U"] != self.last + 1:
            raise RuntimeError("gap")
        for side, rows in ((self.bids, event["b"]), (self.asks, event["a"])):
            for p, q in rows:
                price, qty = Decimal(p), Decimal(q)
                if qty == 0:
                    side.pop(price, None)
                else:
                    side[price] = qty
        self.last = event["u"]

    def top(self, n: int):
        return sorted(self.bids.items(), reverse=True)[:n], sorted(self.asks.items())[:n]


def run_naive_book(snapshot: DepthSnapshot, msgs: list[bytes]) -> tuple[float, bytes]:
    book = NaiveBook(snapshot)
    out = b""
    start = time.perf_counter()
    for raw in msgs:
        book.apply(orjson.loads(raw)["data"])
        bids, asks = book.top(20)
        out = encode_top(bids, asks)
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--diffs", type=int, default=200_000)
    ap.add_argument("--levels", type=int, default=2_000, help="initial levels per side")
    ap.add_argument("--naive-diffs", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    snapshot, msgs = generate(args.diffs, args.levels, args.seed)
    avg_levels = sum(raw.count(b'",') for raw in msgs[:1000]) / min(len(msgs), 1000)
    print(
        f"stream: {len(msgs):,} diffs, ~{avg_levels:.1f} levels/diff, "
        f"book {args.levels:,} levels/side, {sum(map(len, msgs)) / len(msgs):.0f} bytes/diff"
    )

    elapsed, out = run_sorted_book(snapshot, msgs)
    rate = len(msgs) / elapsed
    print(
        f"OrderBook (SortedDict):   {rate:>10,.0f} diffs/s  "
        f"({elapsed / len(msgs) * 1e6:.1f} us/diff)  target >= 20,000: "
        f"{'OK' if rate >= 20_000 else 'MISSED'}"
    )

    d_elapsed, d_out = run_sorted_book_decimal_top(snapshot, msgs)
    d_rate = len(msgs) / d_elapsed
    print(
        f"  same, top(20) as Decimals + str(): {d_rate:>8,.0f} diffs/s  "
        f"({d_elapsed / len(msgs) * 1e6:.1f} us/diff)"
    )
    assert d_out == out, "wire and Decimal top-20 disagree"

    naive_msgs = msgs[: args.naive_diffs]
    n_elapsed, n_out = run_naive_book(snapshot, naive_msgs)
    n_rate = len(naive_msgs) / n_elapsed
    print(
        f"naive dict + sort on read: {n_rate:>9,.0f} diffs/s  "
        f"({n_elapsed / len(naive_msgs) * 1e6:.1f} us/diff, first {len(naive_msgs):,} diffs)"
    )
    _, check = run_sorted_book_decimal_top(snapshot, naive_msgs)
    assert check == n_out, "the two books disagree"
    print(f"speed-up: {rate / n_rate:.1f}x; both books produce identical top-20 output")


if __name__ == "__main__":
    main()
