"""The client against a skewed exchange clock and an enforced rate limit.

    .venv/bin/python bench/clock_and_limits.py [--calls 50] [--flips 2] [--skew-ms 6000]
                                              [--processes 4] [--weight 60] [--rounds 3]

Starts a private redis-server and a sandbox exchange, then:

(a) Clock skew. One ``binanceus.Client`` (time sync on) makes a signed call, so it measures
    the exchange clock; then the sandbox's clockSkewMs is set to +``--skew-ms``, -``--skew-ms``
    (``--flips`` times each, alternating: more than the 5 s recvWindow each way) and the client
    makes ``--calls`` signed calls (GET /sapi/v3/accountStatus) after each change. Prints the -1021
    answers the exchange gave, the -1021 errors that reached the caller (must be 0), and the
    clock syncs the client made (GET /api/v3/time calls, counted by the sandbox).

(b) Retry-After. The sandbox enforces a ``--weight`` per minute limit, with its clock set so
    the current minute ends ``--window`` s from now (the Retry-After then is that long).
    ``--processes`` processes, each a ``binanceus.Client`` sharing one ``RedisWeightBudget``
    (the budget believes the exchange's default 1200, so only the exchange's 429 stops them),
    call GET /api/v3/ping as fast as they can until the window has ended. Per round it prints
    the 429s and their Retry-After; the requests that reached the sandbox from the moment the
    back-off was recorded in Redis (plus 50 ms for requests already on the wire to land) to
    the end of the window, by the sandbox's own request count (must be 0); the requests the
    shared budget let through inside the window (must be 0); those it had let through just
    before the back-off was recorded that went on the wire after it (the unavoidable
    check-then-send race: each gets its own 429, and the exchange tolerates a few); the 418s
    (must be 0); and how soon after the window the processes sent again.

Every wire answer is observed through the requests.Session the clients are given, and the
budget's admissions and back-offs through a subclass that only timestamps them. Exits 1 on any
"must be 0" that is not.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import binanceus  # noqa: E402
from tests.support import start_redis, start_sandbox, terminate  # noqa: E402

BUDGET_PREFIX = "bench:clock-and-limits"


class WatchedBudget(binanceus.RedisWeightBudget):
    """The real shared budget, noting when it was last asked for a request it let through and
    when this process recorded a back-off (host time.time()). Asked, not answered: a request
    whose check ran before the back-off was written but returned after it is the
    check-then-send race, not a request let through inside the window; one asked after the
    back-off was written can only have been checked after it."""

    admitted_at = 0.0
    backed_off_at: float | None = None

    def acquire(self, weight: int) -> None:
        asked = time.time()
        super().acquire(weight)
        self.admitted_at = asked

    def back_off(self, retry_after: float | None, *, status: int = 429) -> None:
        super().back_off(retry_after, status=status)
        if self.backed_off_at is None:
            self.backed_off_at = time.time()


class WatchedSession(requests.Session):
    """A real session that notes when each request left and what came back."""

    def __init__(self, budget: WatchedBudget | None = None) -> None:
        super().__init__()
        self.budget = budget
        # (admitted by the budget, went out, HTTP status, exchange error code); host times
        self.answers: list[tuple[float, float, int | None, int | None]] = []

    def request(self, method, url, *args, **kwargs):
        sent = time.time()
        admitted = self.budget.admitted_at if self.budget else sent
        try:
            resp = super().request(method, url, *args, **kwargs)
        except requests.RequestException:
            self.answers.append((admitted, sent, None, None))
            raise
        code = None
        if resp.status_code >= 400:
            with contextlib.suppress(ValueError):
                code = resp.json().get("code")
        self.answers.append((admitted, sent, resp.status_code, code))
        return resp


def admin(base: str, method: str, path: str, doc: dict | None = None) -> dict:
    r = requests.request(method, f"{base}/sandbox/v1/{path}", json=doc, timeout=5)
    r.raise_for_status()
    return r.json()


# --- (a) clock skew -----------------------------------------------------------------------------
@dataclass
class SkewResult:
    calls: int
    changes: int
    wire_1021: int
    caller_1021: int
    other_errors: int
    syncs: int


def clock_skew(base: str, args: argparse.Namespace) -> SkewResult:
    acct = admin(base, "POST", "accounts", {"email": "skew@example.test", "balances": {"USD": "1"}})
    session = WatchedSession()
    client = binanceus.Client(
        acct["apiKey"], acct["secretKey"], base_url=base, session=session, timeout=5
    )
    admin(base, "DELETE", "requests")
    client.account_status()  # the first signed call measures the offset (skew 0)
    caller_1021 = other = calls = 0
    skews = [s * args.skew_ms for _ in range(args.flips) for s in (1, -1)]
    for skew in skews:
        admin(base, "POST", "faults", {"clockSkewMs": skew})
        for _ in range(args.calls):
            calls += 1
            try:
                client.account_status()
            except binanceus.InvalidTimestamp:
                caller_1021 += 1
            except binanceus.BinanceUSError:
                other += 1
    admin(base, "DELETE", "faults")
    syncs = admin(base, "GET", "requests")["byPath"].get("/api/v3/time", 0)
    client.close()
    return SkewResult(
        calls=calls,
        changes=len(skews),
        wire_1021=sum(code == -1021 for *_, code in session.answers),
        caller_1021=caller_1021,
        other_errors=other,
        syncs=syncs,
    )


# --- (b) Retry-After across processes ----------------------------------------------------------
def hammer(base: str, redis_url: str, stop, out) -> None:
    """One process: ping until told to stop; report every wire request and what was caught."""
    budget = WatchedBudget.from_url(redis_url, key_prefix=BUDGET_PREFIX)
    session = WatchedSession(budget)
    client = binanceus.Client(base_url=base, session=session, weight_budget=budget, timeout=5)
    caught: list[tuple[float, float]] = []  # (when, Retry-After) of each 429 the caller saw
    refused = 0
    while not stop.is_set():
        try:
            client.ping()
        except binanceus.WeightLimitExceeded:
            refused += 1  # the shared budget said no: nothing sent
            time.sleep(0.005)
        except binanceus.RateLimited as exc:
            if exc.msg and exc.msg.startswith("not sent"):
                refused += 1  # this client's own back-off: nothing sent
                time.sleep(0.005)
            else:
                caught.append((time.time(), exc.retry_after or 0.0))
        except binanceus.BinanceUSError:
            time.sleep(0.005)
    out.put(
        {
            "answers": session.answers,
            "caught": caught,
            "backed_off_at": budget.backed_off_at,
            "refused": refused,
        }
    )


@dataclass
class RoundResult:
    retry_after: float
    wire: dict[int, int]  # answers to the requests sent before the window's end, by status
    sandbox_in_window: int  # the sandbox's count, from the back-off on to the window's end
    admitted_in_window: int  # let through by the budget once the back-off was recorded
    in_flight: int  # let through before it, on the wire after it (check-then-send race)
    refused: int
    resumed_after_ms: float | None


def limits_round(base: str, redis_url: str, args: argparse.Namespace) -> RoundResult:
    import redis

    r = redis.Redis.from_url(redis_url)
    r.delete(f"{BUDGET_PREFIX}:block")
    admin(base, "DELETE", "limits")  # forget counts, 429 windows and bans of earlier rounds
    now_ms = time.time_ns() // 1_000_000
    admin(base, "POST", "clock", {"serverTime": (now_ms // 60_000 + 1) * 60_000 - args.window_ms})
    admin(base, "POST", "limits", {"enforce": True, "weightPerMinute": args.weight})
    budget = binanceus.RedisWeightBudget(r, key_prefix=BUDGET_PREFIX)
    ctx = mp.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=hammer, args=(base, redis_url, stop, out)) for _ in range(args.processes)
    ]
    for p in procs:
        p.start()
    deadline = time.monotonic() + args.window_ms / 1000 + 30
    while budget.blocked_until is None and time.monotonic() < deadline:
        time.sleep(0.001)
    blocked_until = budget.blocked_until
    if blocked_until is None:
        stop.set()
        raise SystemExit("no 429 arrived: is the sandbox enforcing its limits?")
    until = blocked_until.timestamp()
    # Requests already in flight when the back-off was recorded land within milliseconds.
    time.sleep(0.05)
    before = admin(base, "GET", "requests")["total"]
    time.sleep(max(0.0, until - time.time() - 0.05))
    in_window = admin(base, "GET", "requests")["total"] - before
    time.sleep(0.2)  # let them resume, to show the back-off is not longer than asked
    stop.set()
    reports = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    admin(base, "POST", "limits", {"enforce": False})
    admin(base, "POST", "clock", {"offsetMs": 0})
    return summarize(reports, until, in_window)


def summarize(reports: list[dict], until: float, sandbox_in_window: int) -> RoundResult:
    """Wire answers up to the window's end; requests let through once the back-off was
    recorded (by the first process to record one)."""
    start = min(rep["backed_off_at"] for rep in reports if rep["backed_off_at"] is not None)
    answers = [a for rep in reports for a in rep["answers"]]
    wire: dict[int, int] = {}
    for _, sent, status, _ in answers:
        if sent < until:
            wire[status or 0] = wire.get(status or 0, 0) + 1
    after = [sent for _, sent, _, _ in answers if sent >= until]
    return RoundResult(
        retry_after=min(c for rep in reports for c in rep["caught"])[1],  # the first 429's
        wire=wire,
        sandbox_in_window=sandbox_in_window,
        admitted_in_window=sum(start <= admitted < until for admitted, *_ in answers),
        in_flight=sum(admitted < start <= sent < until for admitted, sent, *_ in answers),
        refused=sum(rep["refused"] for rep in reports),
        resumed_after_ms=(min(after) - until) * 1000 if after else None,
    )


# --- report ------------------------------------------------------------------------------------
def report(args, skew: SkewResult, rounds: list[RoundResult]) -> bool:
    print(
        f"(a) clock skew ±{args.skew_ms} ms (recvWindow 5000), {skew.changes} changes, "
        f"{skew.calls} signed calls after the first sync"
    )
    print(f"    -1021 answers from the exchange:   {skew.wire_1021}")
    print(f"    -1021 errors reaching the caller:  {skew.caller_1021}   (must be 0)")
    print(f"    clock syncs (GET /api/v3/time):    {skew.syncs}   (1 initial + 1 per change)")
    print(f"    other errors:                      {skew.other_errors}")
    ok = skew.caller_1021 == 0 and skew.other_errors == 0 and skew.syncs <= skew.changes + 1
    print(
        f"(b) Retry-After: {args.processes} processes sharing one RedisWeightBudget, sandbox "
        f"limit {args.weight} weight/min, {args.rounds} rounds"
    )
    for i, r in enumerate(rounds, 1):
        resumed = "—" if r.resumed_after_ms is None else f"{r.resumed_after_ms:.0f} ms"
        print(
            f"    round {i}: answers until the window's end {dict(sorted(r.wire.items()))}, "
            f"Retry-After {r.retry_after:g} s, refused by the budget without sending "
            f"{r.refused}\n"
            f"      reached the sandbox inside the window: {r.sandbox_in_window} · let through "
            f"inside it: {r.admitted_in_window} · let through before the back-off, sent "
            f"after it: {r.in_flight} · 418s: {r.wire.get(418, 0)} · next request "
            f"{resumed} after the window"
        )
        ok = ok and r.sandbox_in_window == r.admitted_in_window == 0 and 418 not in r.wire
    total_429 = sum(r.wire.get(429, 0) for r in rounds)
    print(
        f"    totals: 429s {total_429} · inside-window requests "
        f"{sum(r.sandbox_in_window for r in rounds)} (must be 0) · 418s "
        f"{sum(r.wire.get(418, 0) for r in rounds)} (must be 0)"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50, help="signed calls after each change")
    parser.add_argument("--flips", type=int, default=2, help="+skew/-skew pairs")
    parser.add_argument("--skew-ms", type=int, default=6000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--weight", type=int, default=60, help="sandbox weight per minute")
    parser.add_argument("--window-ms", type=int, default=5000, help="time to the minute's end")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="desk-clock-limits-"))
    redis_proc, redis_url = start_redis(tmp)
    sandbox, base = start_sandbox(seed=5)
    try:
        skew = clock_skew(base, args)
        rounds = [limits_round(base, redis_url, args) for _ in range(args.rounds)]
    finally:
        terminate(sandbox)
        terminate(redis_proc)
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if report(args, skew, rounds) else 1)


if __name__ == "__main__":
    main()
