"""Helpers for the sandbox tests: signed requests, private sandbox processes, accounts."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import subprocess
import time
from urllib.parse import urlencode

import requests

from tests.support import start_sandbox, terminate

FUNDS = {"USD": "100000", "USDT": "100000", "BTC": "5", "ETH": "50"}


def now_ms() -> int:
    return int(time.time() * 1000)


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signed(
    base: str,
    method: str,
    path: str,
    acct: dict,
    params: dict | None = None,
    *,
    in_body: bool = False,
    timestamp: int | None = None,
    timeout: float = 5,
) -> requests.Response:
    """Send a SIGNED request the way the spec's examples do (query string or form body)."""
    params = {**(params or {}), "timestamp": timestamp if timestamp is not None else now_ms()}
    payload = urlencode(params)
    payload += "&signature=" + sign(acct["secretKey"], payload)
    headers = {"X-MBX-APIKEY": acct["apiKey"]}
    if in_body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return requests.request(method, base + path, data=payload, headers=headers, timeout=timeout)
    return requests.request(method, f"{base}{path}?{payload}", headers=headers, timeout=timeout)


def new_account(base: str, balances: dict | None = None) -> dict:
    email = f"t-{time.monotonic_ns()}@example.test"
    resp = requests.post(
        f"{base}/sandbox/v1/accounts",
        json={"email": email, "balances": balances or FUNDS},
        timeout=5,
    )
    resp.raise_for_status()
    return resp.json()


def balances(base: str, acct: dict) -> dict[str, tuple[str, str]]:
    resp = signed(base, "GET", "/api/v3/account", acct)
    resp.raise_for_status()
    return {b["asset"]: (b["free"], b["locked"]) for b in resp.json()["balances"]}


def start(*extra: str, seed: int = 1) -> tuple[subprocess.Popen, str]:
    """A private sandbox process (e.g. with --tick-ms 0 so no market flow interferes)."""
    return start_sandbox(*extra, seed=seed)


def stop(proc: subprocess.Popen) -> None:
    terminate(proc)


def admin(base: str, method: str, path: str, doc: dict | None = None) -> requests.Response:
    """Call the sandbox admin API (/sandbox/v1 + path) with an optional JSON body."""
    return requests.request(method, f"{base}/sandbox/v1{path}", json=doc, timeout=5)


def new_sub(base: str, master: dict, balances: dict | None = None, **extra: object) -> dict:
    """A sub-account of `master` (an account dict from `new_account`), with its own key."""
    email = f"sub-{time.monotonic_ns()}@example.test"
    resp = admin(
        base,
        "POST",
        "/accounts",
        {"email": email, "balances": balances or {}, "master": master["email"], **extra},
    )
    resp.raise_for_status()
    return resp.json()


def new_key(base: str, acct: dict, key_type: str = "exchange", **extra: object) -> dict:
    """Another key for `acct` (e.g. a custodial or credit_line key, or restricted permissions)."""
    resp = admin(base, "POST", "/keys", {"email": acct["email"], "type": key_type, **extra})
    resp.raise_for_status()
    return {**acct, **resp.json()}


def ws_url(base: str, path: str) -> str:
    """ws://host:port + path for the sandbox at http://host:port."""
    return base.replace("http://", "ws://") + path


async def recv_json(ws, timeout: float = 5.0):
    """The next message of websockets connection `ws`, parsed."""
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_until(ws, pred, timeout: float = 5.0):
    """The first message matching `pred` within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        msg = await recv_json(ws, max(0.01, deadline - time.monotonic()))
        if pred(msg):
            return msg
