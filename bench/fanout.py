"""Fan-out benchmark: one symbol's book updates to N browser WebSockets through daphne.

    .venv/bin/python bench/fanout.py [--sockets 100,250,500,1000] [--rate 10] [--seconds 15]
                                     [--layer pubsub|core] [--server fanout|daphne]

Starts a private redis-server and one server process — `--server fanout` (manage.py runfanout,
the default) or `--server daphne` (the Channels consumer) — with real auth: every socket carries
a logged-in session cookie and an allowed Origin. Opens N sockets to
/ws/market/BENCHUSD/, then publishes a realistic 50-level book message `--rate` times a second the
way the stream process does (one group_send per update, encoded once). Each message carries its
send time; clients record arrival - send. Prints, per N: p50 / p99 latency, daphne CPU (% of one
core) and resident memory per socket. Clients run in this process, daphne in its own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import app_env, free_port, manage, proc_stat, start_redis  # noqa: E402

SYMBOL = "BENCHUSD"


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} never opened")


def proc_cpu_seconds(pid: int) -> float:
    return proc_stat(pid)[1]


def proc_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def book_message(seq: int) -> dict:
    # 50 levels a side, as the stream process sends them.
    bids = [[f"{60000 - i}.00000000", f"0.{(seq * 7 + i) % 99999:05d}000"] for i in range(50)]
    asks = [[f"{60001 + i}.00000000", f"0.{(seq * 3 + i) % 99999:05d}000"] for i in range(50)]
    return {
        "type": "book",
        "symbol": SYMBOL,
        "state": "live",
        "lastUpdateId": seq,
        "bids": bids,
        "asks": asks,
        "precision": {"price": 2, "qty": 5},
    }


class Env:
    """redis + a migrated database with one user and session + the settings to reach them."""

    def __init__(self, layer: str):
        self.tmp = Path(tempfile.mkdtemp(prefix="desk-bench-"))
        self.redis, redis_url = start_redis(self.tmp)
        self.env = app_env(
            DATABASE_URL=f"sqlite:///{self.tmp / 'bench.sqlite3'}",
            REDIS_URL=redis_url,
            DESK_CHANNEL_LAYER=layer,
            LOG_LEVEL="WARNING",
        )
        self.manage("migrate", "--noinput")
        self.session = self.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model;"
            "from django.contrib.sessions.backends.db import SessionStore;"
            "u = get_user_model().objects.create_user('bench', password='bench-pass-123');"
            "s = SessionStore(); s['_auth_user_id'] = str(u.pk);"
            "s['_auth_user_backend'] = 'accounts.backends.UserBackend';"
            "s['_auth_user_hash'] = u.get_session_auth_hash(); s.create(); print(s.session_key)",
        ).split()[-1]  # the shell may print a banner line first

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)

    def close(self) -> None:
        self.redis.terminate()
        self.redis.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def server_command(server: str, port: int) -> list[str]:
    if server == "daphne":
        daphne = str(Path(sys.executable).parent / "daphne")
        return [daphne, "-b", "127.0.0.1", "-p", str(port), "desk.asgi:application"]
    return [sys.executable, "manage.py", "runfanout", "--host", "127.0.0.1", "--port", str(port)]


async def run_round(env: Env, server: str, n: int, rate: float, seconds: float) -> dict:
    port = free_port()
    daphne = subprocess.Popen(
        server_command(server, port),
        cwd=ROOT,
        env=env.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        rss_before = proc_rss_bytes(daphne.pid)
        sockets = await open_sockets(port, n, env.session, SYMBOL)
        latencies: list[float] = []
        received = [0]
        ready: set[int] = set()

        async def reader(i, ws):
            async for raw in ws:
                msg = orjson.loads(raw)
                if msg.get("probe"):
                    ready.add(i)
                elif "sentAt" in msg:
                    latencies.append(time.time() - msg["sentAt"])
                    received[0] += 1

        readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        group = f"market.{SYMBOL}"
        # Measure only once every socket is joined and authenticated: probe until all answer.
        while len(ready) < n:
            probe = orjson.dumps({"type": "probe", "probe": True}).decode()
            await layer.group_send(group, {"type": "market.book", "text": probe})
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)
        cpu0, t0 = proc_cpu_seconds(daphne.pid), time.monotonic()
        sent = 0
        interval = 1.0 / rate
        next_at = time.monotonic()
        while time.monotonic() - t0 < seconds:
            msg = book_message(sent)
            msg["sentAt"] = time.time()
            await layer.group_send(
                group, {"type": "market.book", "text": orjson.dumps(msg).decode()}
            )
            sent += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.sleep(1.0)  # let the tail arrive
        cpu = (proc_cpu_seconds(daphne.pid) - cpu0) / (time.monotonic() - t0)
        rss_per_socket = (proc_rss_bytes(daphne.pid) - rss_before) / n
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        latencies.sort()
        expected = sent * n
        return {
            "sockets": n,
            "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000
            if latencies
            else float("nan"),
            "delivered": received[0] / expected if expected else 0,
            "cpu_pct": cpu * 100,
            "kib_per_socket": rss_per_socket / 1024,
        }
    finally:
        daphne.terminate()
        daphne.wait()


async def open_sockets(port: int, n: int, session: str, symbol: str) -> list:
    import websockets

    headers = {"Origin": "http://127.0.0.1", "Cookie": f"sessionid={session}"}
    sockets = []
    for i in range(0, n, 50):  # connect in batches, as browsers arriving
        batch = [
            websockets.connect(
                f"ws://127.0.0.1:{port}/ws/market/{symbol}/",
                additional_headers=headers,
                max_queue=None,
            )
            for _ in range(min(50, n - i))
        ]
        sockets += await asyncio.gather(*batch)
    return sockets


async def run_round_from_sandbox(env: Env, server: str, n: int, seconds: float) -> dict:
    """sandbox depth@100ms → stream process (book, throttle, encode) → server → n sockets."""
    from tests.support import start_sandbox, terminate

    sandbox, sandbox_url = start_sandbox("--tick-ms", "100", seed=3)
    stream_env = {
        **env.env,
        "SANDBOX_REST_URL": sandbox_url,
        "SANDBOX_WS_URL": sandbox_url.replace("http", "ws"),
    }
    stream = subprocess.Popen(
        [sys.executable, "manage.py", "runstreams"],
        cwd=ROOT,
        env=stream_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = free_port()
    srv = subprocess.Popen(
        server_command(server, port),
        cwd=ROOT,
        env=stream_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        rss_before = proc_rss_bytes(srv.pid)
        sockets = await open_sockets(port, n, env.session, "BTCUSD")
        latencies: list[float] = []
        live: set[int] = set()
        measuring = [False]

        async def reader(i, ws):
            # Bytes in, one field out: the clients share a core with everything else here, so
            # they do as little as a browser's network thread would before timestamping.
            while True:
                raw = await ws.recv(decode=False)
                if b'"state":"live"' not in raw or not raw.startswith(b'{"type":"book"'):
                    continue
                live.add(i)
                if measuring[0]:
                    at = raw.rfind(b'"eventTime":')
                    event_ms = int(raw[at + 12 : raw.index(b"}", at)])
                    latencies.append(time.time() - event_ms / 1000)

        readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
        deadline = time.monotonic() + 60
        while len(live) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        measuring[0] = True
        me0 = time.process_time()
        cpu0, stream_cpu0, t0 = (
            proc_cpu_seconds(srv.pid),
            proc_cpu_seconds(stream.pid),
            (time.monotonic()),
        )
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - t0
        cpu = (proc_cpu_seconds(srv.pid) - cpu0) / elapsed
        stream_cpu = (proc_cpu_seconds(stream.pid) - stream_cpu0) / elapsed
        client_cpu = (time.process_time() - me0) / elapsed
        rss_per_socket = (proc_rss_bytes(srv.pid) - rss_before) / n
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        latencies.sort()
        return {
            "sockets": n,
            "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000
            if latencies
            else float("nan"),
            "p90_ms": latencies[int(len(latencies) * 0.9) - 1] * 1000 if latencies else 0,
            "delivered": len(latencies) / (n * seconds) / 10,  # vs 10 book updates/s/socket
            "cpu_pct": cpu * 100,
            "stream_cpu_pct": stream_cpu * 100,
            "client_cpu_pct": client_cpu * 100,
            "kib_per_socket": rss_per_socket / 1024,
        }
    finally:
        for proc in (srv, stream):
            proc.terminate()
            proc.wait()
        terminate(sandbox)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", default="100,250,500,1000")
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--layer", choices=["pubsub", "core"], default="pubsub")
    parser.add_argument("--server", choices=["fanout", "daphne"], default="fanout")
    parser.add_argument(
        "--source",
        choices=["publish", "sandbox"],
        default="publish",
        help="publish: this script publishes book messages; sandbox: the real pipeline, sandbox "
        "→ stream process → server, latency measured from the exchange's event time",
    )
    args = parser.parse_args()
    env = Env(args.layer)
    os.environ.update(
        {
            k: env.env[k]
            for k in (
                "DEBUG",
                "SECRET_KEY",
                "DESK_ENCRYPTION_KEYS",
                "DATABASE_URL",
                "REDIS_URL",
                "DESK_CHANNEL_LAYER",
            )
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
    import django

    django.setup()
    print(
        f"server={args.server} source={args.source} "
        f"layer={args.layer} rate={args.rate}/s seconds={args.seconds} "
        f"message={len(orjson.dumps(book_message(0)))} bytes"
    )
    print(
        f"{'sockets':>8} {'p50 ms':>8} {'p99 ms':>8} {'delivered':>10} {'server CPU':>11} "
        f"{'KiB/socket':>11}"
    )
    try:
        for n in (int(x) for x in args.sockets.split(",")):
            if args.source == "sandbox":
                r = asyncio.run(run_round_from_sandbox(env, args.server, n, args.seconds))
            else:
                r = asyncio.run(run_round(env, args.server, n, args.rate, args.seconds))
            print(
                f"{r['sockets']:>8} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                f"{r['delivered']:>10.1%} {r['cpu_pct']:>10.0f}% {r['kib_per_socket']:>11.1f}"
                + (
                    f"   (stream process CPU {r['stream_cpu_pct']:.0f}%, "
                    f"bench clients CPU {r['client_cpu_pct']:.0f}%)"
                    if "stream_cpu_pct" in r
                    else ""
                ),
                flush=True,
            )
    finally:
        env.close()


if __name__ == "__main__":
    main()
