"""A person's first session, in Chromium, against the whole stack as `make run` starts it."""

import re
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import demo_exchange_pk, login

pytestmark = pytest.mark.e2e


def _ladder_snapshot(page) -> str:
    return page.inner_text("#bids") + "|" + page.inner_text("#asks")


def test_it_shows_synced_balances_and_a_moving_live_book(page, stack):
    login(page)
    # The demo's exchange connection (other tests add connections that may sort before it).
    page.goto(f"/?connection={demo_exchange_pk(page)}")
    # Balances arrive from the Celery worker (beat schedules a sync every 2 s in this stack).
    page.wait_for_selector("#balance-rows td:text-is('USD')", timeout=30_000)
    assert page.inner_text("#balance-rows").count("\n") >= 4
    assert "never" not in page.inner_text("#balances-synced")

    # The book comes from the stream process through Redis and the consumer.
    page.wait_for_selector("#sync-state[data-state='live']", timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('#bids tr').length === 20")
    page.wait_for_function("() => document.querySelectorAll('#asks tr').length === 20")
    first = _ladder_snapshot(page)
    page.wait_for_function(
        "(before) => document.querySelector('#bids').innerText + '|' + "
        "document.querySelector('#asks').innerText !== before",
        arg=first,
        timeout=15_000,
    )
    page.wait_for_selector("#trades tr", timeout=15_000)
    best_bid = page.inner_text("#bids tr:first-child td.price")
    best_ask = page.inner_text("#asks tr:last-child td.price")
    assert float(best_bid) < float(best_ask)  # display check only; money stays text


def test_it_adds_a_second_connection_verified_by_the_sandbox(page, stack):
    account = requests.post(
        f"{stack.sandbox_url}/sandbox/v1/accounts",
        json={"email": "second@example.test", "balances": {"USD": "1234.5", "ETH": "2"}},
        timeout=5,
    ).json()
    login(page)
    page.goto("/connections/add/")
    page.fill("#id_label", "Second account")
    page.fill("#id_api_key", account["apiKey"])
    page.fill("#id_api_secret", "wrong" + account["secretKey"][5:])
    page.click("main button[type=submit]")
    assert "-1022" in page.inner_text("#form-errors")

    page.fill("#id_label", "Second account")
    page.fill("#id_api_key", account["apiKey"])
    page.fill("#id_api_secret", account["secretKey"])
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/connections/\d+/$"))
    assert re.fullmatch(r"[0-9a-f]{16}", page.inner_text("#fingerprint"))
    html = page.content()
    assert account["secretKey"] not in html
    assert account["apiKey"] not in html
    assert "1234.5" in page.inner_text("main")


def _database_bytes(stack) -> bytes:
    """Everything the stack's database holds, as an attacker with the disk or a dump sees it."""
    if stack.database_url.startswith("sqlite"):
        database = Path(stack.database_url.removeprefix("sqlite:///"))
        files = list(database.parent.glob(database.name + "*"))  # with -wal / -shm
        assert files
        return b"".join(path.read_bytes() for path in files)
    import psycopg

    chunks = []
    with psycopg.connect(stack.database_url) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        for (table,) in tables:
            rows = conn.execute(f'SELECT t::text FROM "{table}" t').fetchall()
            chunks.extend(row[0].encode() for row in rows)
    return b"\n".join(chunks)


def test_it_keeps_secrets_out_of_the_database(stack):
    bootstrap = (stack.var / "sandbox-bootstrap.json").read_text()
    secret = re.search(r'"secretKey": "(\w+)"', bootstrap).group(1)
    api_key = re.search(r'"apiKey": "(\w+)"', bootstrap).group(1)
    data = _database_bytes(stack)
    assert b"demo" in data  # the dump is real: it holds the demo user
    assert secret.encode() not in data
    assert api_key.encode() not in data
