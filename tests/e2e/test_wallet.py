"""The Wallet tab in Chromium: a sandbox deposit that the page follows from pending to completed
without a reload, a withdrawal refused while its new address cools off then sent once (fresh
sign-in, confirmation) and followed to completion, and bad input refused field by field with
nothing sent."""

import re
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_LOGIN, login
from tests.support import until

pytestmark = pytest.mark.e2e

DEMO_EMAIL = "demo@sandbox.local"  # seed_demo's master account
WITHDRAW_APPLY = "/sapi/v1/capital/withdraw/apply"
# The seeded BTC network: credited after minConfirm (1) x blockSeconds (60), unlocked (status 1)
# after max(minConfirm, unLockConfirm) (2) x 60 s; withdrawals from 0.0002 BTC, fee 0.0001.
BTC_UNLOCK_MS = 2 * 60 * 1000

# What the beat runs every WALLET_ACTIVITY_SYNC_SECONDS (120 s): asked for now, not waited for.
BEAT_ACTIVITY_SYNC = (
    "from wallet.activity.tasks import sync_wallet_activity_all; sync_wallet_activity_all.delay()"
)
# The cool-off is server time, which the browser cannot move: the entry's wait is over.
# The session's last password check is made old, so the next withdrawal step asks again.
COOL_OFF_OVER_AND_STALE_SIGN_IN = """
from datetime import timedelta
from importlib import import_module
from django.conf import settings
from django.utils import timezone
from accounts.twofactor import AUTH_AT_SESSION_KEY
from wallet.withdrawals.models import AddressBookEntry
entry = AddressBookEntry.objects.filter(address={address!r})
assert entry.update(usable_from=timezone.now() - timedelta(minutes=1)) == 1
if {stale!r}:
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key={session!r})
    session[AUTH_AT_SESSION_KEY] = 0
    session.save()
"""


def _admin(stack, path: str, body: dict) -> dict:
    resp = requests.post(f"{stack.sandbox_url}/sandbox/v1/{path}", json=body, timeout=5)
    assert resp.ok, resp.text
    return resp.json()


def _withdraw_calls(stack) -> int:
    doc = requests.get(f"{stack.sandbox_url}/sandbox/v1/requests", timeout=5).json()
    return doc["byPath"].get(WITHDRAW_APPLY, 0)


class Tab:
    """The test's page, which leaves a page only once the page's connection sockets have had
    their first message: the server sends the balances right after accepting a socket, and a
    socket the browser drops in between makes daphne log a traceback (accounts/consumers.py),
    which the stack's teardown fails on."""

    def __init__(self, page) -> None:
        self.page = page
        self.sockets: list[dict] = []
        page.on("websocket", self._opened)

    def _opened(self, ws) -> None:
        s = {"frames": 0, "closed": False}
        ws.on("framereceived", lambda _: s.__setitem__("frames", s["frames"] + 1))
        ws.on("close", lambda _: s.__setitem__("closed", True))
        self.sockets.append(s)

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")

        def greeted() -> bool:
            self.page.evaluate("0")  # lets Playwright deliver the events it has received
            return all(s["frames"] or s["closed"] for s in self.sockets)

        until(greeted, timeout=15, interval=0.1, message="the page's sockets to be greeted")

    def goto(self, path: str) -> None:
        self.settle()
        self.page.goto(path)

    def leave_by(self, selector: str) -> None:
        """Click what navigates away (a link, a form's submit)."""
        self.settle()
        self.page.click(selector)


@pytest.fixture
def tab(page) -> Tab:
    tab = Tab(page)
    login(page)
    return tab


def _connection_pk(tab: Tab) -> str:
    from tests.e2e.conftest import demo_exchange_pk

    tab.settle()
    return demo_exchange_pk(tab.page)


def _btc_address() -> str:
    """A fresh address that matches the sandbox's BTC addressRegex (bc1 + 39 alphanumerics)."""
    return "bc1q" + uuid.uuid4().hex + "xyzxyz"


def _add_address(tab: Tab, pk: str, label: str, address: str) -> None:
    page = tab.page
    tab.goto(f"/connections/{pk}/wallet/addresses/new/")
    page.fill("#id_label", label)
    page.select_option("#id_coin", "BTC")
    page.select_option("#id_network", "BTC")
    page.fill("#id_address", address)
    page.select_option("#id_cool_off_hours", "1")
    tab.leave_by("#address-save")
    page.wait_for_url(re.compile(rf"/connections/{pk}/wallet/addresses/$"))
    expect(page.locator("#address-list")).to_contain_text(address)


def _cool_off_over(tab: Tab, stack, address: str, *, stale_sign_in: bool = False) -> None:
    session = next(c["value"] for c in tab.page.context.cookies() if c["name"] == "sessionid")
    script = COOL_OFF_OVER_AND_STALE_SIGN_IN.format(
        address=address, stale=stale_sign_in, session=session
    )
    stack.manage("shell", "-c", script)


def _fill_withdrawal(tab: Tab, label: str, address: str, amount: str) -> None:
    page = tab.page
    page.select_option("#id_coin", "BTC")
    page.select_option("#id_network", "BTC")
    page.select_option("#id_address", label=f"{label}: BTC on BTC, {address}")
    page.fill("#id_amount", amount)
    tab.leave_by("#withdraw-review")


def _field_refused(page, field: str, text: str) -> None:
    """The field's error is shown and tied to its input (aria-invalid, aria-describedby)."""
    expect(page.locator(f"#errors-{field}")).to_contain_text(text)
    box = page.locator(f"#id_{field}")
    expect(box).to_have_attribute("aria-invalid", "true")
    described = (box.get_attribute("aria-describedby") or "").split()
    assert any(page.locator(f"#errors-{field} #{i}").count() for i in described), described


def _pushed(page, frames: list, n: int) -> None:
    """At least ``n`` syncs were pushed to the page on its connection socket ("walletActivity":
    the tables were re-read because the server said so, not on a timer)."""

    def count() -> bool:
        page.evaluate("0")  # lets Playwright deliver the frames it has received
        return sum('"walletActivity"' in str(f) for f in frames) >= n

    until(count, timeout=10, interval=0.2, message=f"{n} walletActivity pushes")


def test_a_deposit_appears_and_completes_on_the_wallet_tab_without_a_reload(tab, stack):
    page = tab.page
    pk = _connection_pk(tab)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)))
    tab.goto(f"/connections/{pk}/wallet/")
    expect(page.locator("#deposit-card")).to_be_visible()
    tab.settle()
    # A reload would drop this mark.
    page.evaluate("window.__sameDocument = true")

    deposit = _admin(
        stack, "wallet/deposits", {"email": DEMO_EMAIL, "coin": "BTC", "amount": "0.1"}
    )
    assert deposit["status"] == 0
    # A deposit row has no id of its own: the desk names it by coin, network and txId.
    ident = f"BTC:{deposit['network']}:{deposit['txId']}"
    row = page.locator(f"#deposits-rows tr[data-id='{ident}']")

    # Nothing moved a balance yet: the beat's sync finds it, and the page is told.
    stack.manage("shell", "-c", BEAT_ACTIVITY_SYNC)
    expect(row).to_have_attribute("data-state", "pending", timeout=30_000)
    expect(row).to_contain_text("0.1")
    _pushed(page, frames, 1)

    # The exchange's clock passes minConfirm and unLockConfirm: the credit is a balanceUpdate on
    # the user-data stream, which syncs the held coins and pushes the tables to the page.
    _admin(stack, "clock", {"advanceMs": BTC_UNLOCK_MS + 5_000})
    expect(row).to_have_attribute("data-state", "success", timeout=30_000)
    _pushed(page, frames, 2)
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_bad_amounts_and_addresses_are_refused_on_their_fields_and_send_nothing(tab, stack):
    page = tab.page
    pk = _connection_pk(tab)
    before = _withdraw_calls(stack)

    # An address the BTC network's regex refuses: not stored.
    tab.goto(f"/connections/{pk}/wallet/addresses/new/")
    page.fill("#id_label", "Typo")
    page.select_option("#id_coin", "BTC")
    page.select_option("#id_network", "BTC")
    page.fill("#id_address", "not-a-bitcoin-address")
    tab.leave_by("#address-save")
    _field_refused(page, "address", "not a BTC address on BTC")
    tab.goto(f"/connections/{pk}/wallet/addresses/")
    expect(page.locator("#address-list")).not_to_contain_text("not-a-bitcoin-address")

    address = _btc_address()
    _add_address(tab, pk, "Checks", address)
    _cool_off_over(tab, stack, address)

    for amount, why in [
        ("12abc", "enter a number in plain digits"),
        ("0", "must be more than zero"),
        ("0.00001", "at least 0.0002 BTC"),
        ("5000", "more than the free balance"),
    ]:
        tab.goto(f"/connections/{pk}/wallet/withdraw/")
        _fill_withdrawal(tab, "Checks", address, amount)
        _field_refused(page, "amount", why)
        expect(page.locator("#withdraw-confirm")).to_have_count(0)
    tab.settle()
    assert _withdraw_calls(stack) == before


def test_a_withdrawal_waits_for_the_cool_off_then_is_sent_once_and_completes(tab, stack):
    page = tab.page
    pk = _connection_pk(tab)
    address = _btc_address()
    _add_address(tab, pk, "Cold wallet", address)

    # Still cooling off: refused on the address, nothing sent.
    before = _withdraw_calls(stack)
    tab.leave_by("#link-withdraw")
    _fill_withdrawal(tab, "Cold wallet", address, "0.01")
    _field_refused(page, "address", "is new: it can be used from")
    expect(page.locator("#withdraw-confirm")).to_have_count(0)
    assert _withdraw_calls(stack) == before

    # The wait is over, and the sign-in is no longer fresh: the password again first.
    _cool_off_over(tab, stack, address, stale_sign_in=True)
    tab.goto(f"/connections/{pk}/wallet/withdraw/")
    page.wait_for_url(re.compile(r"/account/confirm/"))
    page.fill("#id_secret", DEMO_LOGIN[1])
    tab.leave_by("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/connections/{pk}/wallet/withdraw/$"))

    _fill_withdrawal(tab, "Cold wallet", address, "0.01")
    expect(page.locator("#confirm-to")).to_contain_text(address)
    expect(page.locator("#confirm-amount")).to_have_text("0.01 BTC")
    expect(page.locator("#confirm-receive")).to_have_text("0.0099 BTC")
    assert _withdraw_calls(stack) == before  # the review sends nothing either
    tab.leave_by("#withdraw-confirm")
    page.wait_for_url(re.compile(rf"/connections/{pk}/wallet/withdrawals/\d+/$"))
    page.evaluate("window.__sameDocument = true")

    # The worker sends it once; the page follows it without a reload.
    status = page.locator("#withdrawal-status")
    expect(status).to_have_attribute("data-status", "sent", timeout=30_000)
    withdraw_id = page.inner_text("#withdrawal-id")
    assert withdraw_id != "—"
    assert _withdraw_calls(stack) == before + 1

    # The exchange completes it; the follow pass (beat, every 5 s here) finds it and pushes it.
    _admin(stack, f"wallet/withdrawals/{withdraw_id}", {"status": 6})
    expect(status).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(page.locator("#withdrawal-tx")).not_to_have_text("—")
    expect(page.locator("#withdrawal-following")).to_be_hidden()
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert _withdraw_calls(stack) == before + 1
    tab.settle()
