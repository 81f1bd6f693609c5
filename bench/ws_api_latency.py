"""Order round trips from our client: REST against the WebSocket API, on one sandbox.

    .venv/bin/python bench/ws_api_latency.py [--orders 300] [--warmup 10] [--symbol BTCUSD]

Starts a private sandbox (quiet book: no market flow) and one account, then places
``--orders`` resting LIMIT BUYs (5 % under the average price: they never fill) through each
transport in turn — one REST order, one WebSocket API order, and so on, so that both see the
same moments of the machine — each cancelled at once through the same transport (the book stays
the same size). Both clients share one weight budget, as the desk's do.

Prints p50 / p90 / p99 / max (ms) of place → answer and cancel → answer per transport, and the
ratio of the medians. The client's side only: what the order ticket gains once it sends over
the WebSocket API (issue 14's ``bench/order_latency.py --transport ws``) also depends on the
web process's hop to the session holding the socket.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import binanceus  # noqa: E402
from tests.support import start_sandbox, terminate  # noqa: E402


def main() -> int:
    args = _args()
    proc, base = start_sandbox("--tick-ms", "0")
    try:
        key = _account(base)
        rest = binanceus.Client(
            key["apiKey"],
            key["secretKey"],
            base_url=base,
            weight_budget=binanceus.InMemoryWeightBudget(1_000_000),
        )
        ws = binanceus.WsApiClient.from_client(rest, url=base.replace("http", "ws") + "/ws-api/v3")
        with rest, ws:
            price = _resting_price(base, args.symbol)
            timings = _run(rest, ws, args, price)
    finally:
        terminate(proc)
    _report(timings, args.orders)
    return 0


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--symbol", default="BTCUSD")
    return parser.parse_args()


def _account(base: str) -> dict:
    resp = requests.post(
        f"{base}/sandbox/v1/accounts",
        json={"email": "latency@example.test", "balances": {"USD": "10000000"}},
        timeout=5,
    )
    resp.raise_for_status()
    return resp.json()


def _resting_price(base: str, symbol: str) -> Decimal:
    doc = requests.get(f"{base}/api/v3/avgPrice", params={"symbol": symbol}, timeout=5).json()
    return (Decimal(doc["price"]) * Decimal("0.95")).quantize(Decimal("0.01"))


def _run(rest, ws, args, price: Decimal) -> dict[str, list[float]]:
    timings = {f"{t} {what}": [] for t in ("REST", "WS API") for what in ("place", "cancel")}
    for n in range(args.warmup + args.orders):
        for name, client in (("REST", rest), ("WS API", ws)):
            place, cancel = _round_trip(client, args.symbol, price)
            if n >= args.warmup:
                timings[f"{name} place"].append(place)
                timings[f"{name} cancel"].append(cancel)
    return timings


def _round_trip(client, symbol: str, price: Decimal) -> tuple[float, float]:
    start = time.perf_counter()
    order = client.new_order(
        symbol=symbol,
        side="BUY",
        type="LIMIT",
        quantity=Decimal("0.001"),
        price=price,
        time_in_force="GTC",
    )
    placed = time.perf_counter()
    client.cancel_order(symbol=symbol, order_id=order.order_id)
    return (placed - start) * 1000, (time.perf_counter() - placed) * 1000


def _report(timings: dict[str, list[float]], orders: int) -> None:
    print(f"{orders} orders per transport, placed and cancelled in turn (ms):")
    for name, values in timings.items():
        q = statistics.quantiles(values, n=100, method="inclusive")
        print(
            f"  {name:<14} p50 {statistics.median(values):6.2f} · p90 {q[89]:6.2f} · "
            f"p99 {q[98]:6.2f} · max {max(values):6.2f}"
        )
    for what in ("place", "cancel"):
        ratio = statistics.median(timings[f"REST {what}"]) / statistics.median(
            timings[f"WS API {what}"]
        )
        print(f"  {what}: REST median / WS API median = {ratio:.2f}")


if __name__ == "__main__":
    sys.exit(main())
