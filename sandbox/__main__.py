"""`python -m sandbox --host 127.0.0.1 --port 9900 [--seed N] [--bootstrap FILE] [--tick-ms N]
[--history-days D] [--enforce-limits] [--ws-ping-s S] [--ws-max-age-s S]`

--bootstrap FILE: JSON {"accounts": [{"email": ..., "balances": {"USD": "25000"}, "master"?: email,
"keys": [{"type": "exchange", "apiKey": ..., "secretKey": ...}], "custody"?: {...},
"creditLine"?: {...}, "staking"?: [{"stakingAsset": "SOL", "amount": "60", "autoRestake"?: false}]
}]}, created at startup ("custody" and "creditLine" as the admin calls take; "staking" as stake
requests, staked from the balances given).
--tick-ms 0 turns the background market flow off (the initial book is still placed).
--history-days D opens with D days of synthetic trades per symbol (klines, trades, tickers),
ending at the starting prices; `make run` asks for 3. Off by default: an empty tape is what
tests that count trades expect, and 3 days add about half a second to the start.
--ws-max-age-s S closes every WebSocket connection S seconds after it opened (spec: 24 hours).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from .app import serve
from .state import Exchange

log = logging.getLogger("sandbox")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m sandbox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9900)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bootstrap", type=Path)
    ap.add_argument(
        "--tick-ms", type=int, default=250, help="market-flow period in ms; 0 disables the flow"
    )
    ap.add_argument(
        "--history-days",
        type=float,
        default=0.0,
        help="days of synthetic price history before the start (0: none; make run: 3)",
    )
    ap.add_argument(
        "--enforce-limits",
        action="store_true",
        help="answer 429/418 when request-weight/order limits are broken (off by default)",
    )
    ap.add_argument(
        "--ws-ping-s",
        type=float,
        default=180.0,
        help="seconds between WebSocket ping frames (spec: 3 minutes)",
    )
    ap.add_argument(
        "--ws-max-age-s",
        type=float,
        default=86_400.0,
        help="seconds after which the server closes a WebSocket connection (spec: 24 hours)",
    )
    return ap.parse_args(argv)


async def main(args: argparse.Namespace) -> None:
    ex = Exchange(args.seed, args.history_days)
    ex.limits.limits.enforce = args.enforce_limits
    if args.bootstrap:
        ex.load_bootstrap(args.bootstrap)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(
        ex,
        args.host,
        args.port,
        tick_ms=args.tick_ms,
        ws_ping_s=args.ws_ping_s,
        ws_max_age_s=args.ws_max_age_s,
    ) as url:
        log.info(
            "sandbox exchange listening on %s (seed %d, tick %d ms)", url, args.seed, args.tick_ms
        )
        await stop.wait()
    log.info("sandbox exchange stopped")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(main(parse_args()))
