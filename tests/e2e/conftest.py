"""The whole product as `make run` starts it, in subprocesses on loopback, driven by Chromium.

sandbox (with the demo bootstrap) · daphne · celery worker · celery beat · stream process, over a
private Redis database and a file database of their own, so nothing is shared with the unit tests.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support import (
    ROOT,
    WORKER_QUEUES,
    app_env,
    free_port,
    manage,
    private_database_url,
    start_sandbox,
    terminate,
    wait_for,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_LOGIN = ("demo", "demo-desk-2026")


@dataclass
class Stack:
    url: str
    sandbox_url: str
    env: dict[str, str]
    var: Path
    database_url: str

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)


@pytest.fixture(scope="package")
def stack(tmp_path_factory, redis_url) -> Iterator[Stack]:
    var = tmp_path_factory.mktemp("stack-var")
    logs = var / "logs"
    logs.mkdir()
    database_url = private_database_url(var, "e2e")
    env = app_env(
        DESK_VAR_DIR=str(var),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url.rsplit("/", 1)[0] + "/1",
        DESK_BALANCE_SYNC_SECONDS="2",
        CREDIT_LINE_POLL_SECONDS="2",  # the credit line is read with the balances, every 2 s
        # An unknown order the exchange never took is declared not placed 10 s after it was
        # sent, not 60: the attention test watches one settle.
        ORDER_RECONCILE_GRACE_SECONDS="10",
        # The beat's follow pass over sent withdrawals every 5 s, not 30: the withdrawal test
        # watches one complete.
        WITHDRAW_FOLLOW_SECONDS="5",
        # The stack's own sandbox enforces no limit; its beat (balances every 2 s, history,
        # wallet and staking syncs) and every browser test share one address and one budget.
        EXCHANGE_WEIGHT_PER_MINUTE="12000",
    )
    env["CELERY_BROKER_URL"] = env["REDIS_URL"]
    env.pop("DJANGO_SETTINGS_MODULE", None)
    bootstrap = var / "sandbox-bootstrap.json"
    stack = Stack(url="", sandbox_url="", env=env, var=var, database_url=database_url)
    stack.manage("migrate", "--noinput")
    stack.manage("seed_demo", "--bootstrap", str(bootstrap))

    sandbox, sandbox_url = start_sandbox(
        "--bootstrap", str(bootstrap), seed=7, log=logs / "sandbox.log"
    )
    env["SANDBOX_REST_URL"] = sandbox_url
    env["SANDBOX_WS_URL"] = sandbox_url.replace("http://", "ws://")
    port, fanout_port = free_port(), free_port()
    env["DESK_FANOUT_PORT"] = str(fanout_port)
    bin_dir = Path(sys.executable).parent
    commands = {
        "web": [
            str(bin_dir / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "desk.asgi:application",
        ],
        "worker": [
            str(bin_dir / "celery"),
            "-A",
            "desk",
            "worker",
            *WORKER_QUEUES,
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
        ],
        "beat": [str(bin_dir / "celery"), "-A", "desk", "beat", "--loglevel", "INFO"],
        "stream": [sys.executable, "manage.py", "runstreams"],
        "fanout": [sys.executable, "manage.py", "runfanout", "--port", str(fanout_port)],
    }
    procs = [sandbox]
    for name, cmd in commands.items():
        out = (logs / f"{name}.log").open("w")
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
    stack.url = f"http://127.0.0.1:{port}"
    stack.sandbox_url = sandbox_url
    wait_for(lambda: requests.get(f"{stack.url}/login/", timeout=1).ok, timeout=30, what="daphne")
    yield stack
    for proc in reversed(procs):
        terminate(proc)
    _fail_on_tracebacks(logs)


def _fail_on_tracebacks(logs: Path) -> None:
    """Whatever the browser did, no process of the stack may have logged a traceback: an
    exception that only reaches a log is a defect the page never shows."""
    found = []
    for log in sorted(logs.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback (most recent call last)"):
                tail = next((t for t in lines[i + 1 :] if t and not t.startswith(" ")), "?")
                found.append(f"{log.name}:{i + 1}: {tail}")
    if found:
        pytest.fail("tracebacks in the stack's logs:\n" + "\n".join(found), pytrace=False)


# Package scope: Playwright's sync API keeps an event loop running in this thread until it
# stops, which would break asyncio.run() in any test that runs after it.
@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, stack):
    """A page whose test fails on any console error or uncaught exception, in every tab of its
    context. The stack sends its Content-Security-Policy enforced, and Chromium reports each
    violation (an inline script, a handler attribute, a socket to an origin not allowed) as a
    console error, so a page that breaks the policy fails the test that opened it."""
    context = browser.new_context(base_url=stack.url)
    problems: list[str] = []
    context.on("page", lambda p: _watch_console(p, problems))
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    if problems:
        pytest.fail("the browser reported errors:\n" + "\n".join(problems), pytrace=False)


def _watch_console(page, problems: list[str]) -> None:
    def on_console(msg) -> None:
        where = msg.location.get("url", "") if msg.location else ""
        # Chromium asks for /favicon.ico by itself on documents that name no icon (a JSON or
        # CSV answer opened in the tab): not the page's doing.
        if msg.type == "error" and not where.endswith("/favicon.ico"):
            problems.append(f"console error on {page.url}: {msg.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"uncaught on {page.url}: {exc}"))


def login(page, username: str = DEMO_LOGIN[0], password: str = DEMO_LOGIN[1]) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login/"))


DEMO_EXCHANGE_LABEL = "Demo (sandbox)"  # seed_demo's exchange connection


def demo_exchange_pk(page) -> str:
    """The demo's exchange connection, found by its label on the Connections page: the
    dashboard shows the first connection by label, and tests add others (custodial ones)."""
    page.goto("/connections/")
    link = page.get_by_role("link", name=DEMO_EXCHANGE_LABEL, exact=True)
    return link.get_attribute("href").strip("/").split("/")[-1]


NEW_DESK_PASSWORD = "nina-Desk-2026!"


def new_desk(tab, stack: Stack, *, balances: dict[str, str], label: str = "Own account") -> str:
    """A new user of their own, signed in on ``tab`` (``tests.e2e.test_wallet.Tab``), with one
    exchange connection to a fresh funded sandbox account added on the Connections page; the
    connection's pk. For a test whose figures another test moving the demo's accounts would
    disturb (or the reverse)."""
    page = tab.page
    tag = uuid.uuid4().hex[:8]
    user = f"nina{tag}"
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        f"get_user_model().objects.create_user({user!r}, password={NEW_DESK_PASSWORD!r})",
    )
    resp = requests.post(
        f"{stack.sandbox_url}/sandbox/v1/accounts",
        json={"email": f"{user}@example.test", "balances": balances},
        timeout=5,
    )
    assert resp.ok, resp.text
    account = resp.json()
    login(page, user, NEW_DESK_PASSWORD)
    return connection_add(tab, label=label, key_type="exchange", key=account)


def connection_add(tab, *, label: str, key_type: str, key: dict, rail: str = "") -> str:
    """A connection added on the Connections page as a person adds one (``key``: the sandbox's
    {"apiKey", "secretKey"}); its pk."""
    page = tab.page
    tab.goto("/connections/add/")
    page.fill("#id_label", label)
    page.select_option("#id_key_type", key_type)
    if rail:
        page.fill("#id_rail", rail)
    page.fill("#id_api_key", key["apiKey"])
    page.fill("#id_api_secret", key["secretKey"])
    tab.leave_by("main button[type=submit]")
    page.wait_for_url(re.compile(r"/connections/\d+/$"))
    return re.search(r"/connections/(\d+)/$", page.url).group(1)


ARTIFACTS = ROOT / "test-artifacts"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, keep a screenshot and the page's HTML under test-artifacts/."""
    report = yield
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.failed and call.when == "call" and page is not None:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{item.name}.png"), full_page=True)
        (ARTIFACTS / f"{item.name}.html").write_text(page.content())
    return report
