"""The market pages in Chromium, against the whole stack: the live book, tape, ticker and candles of
one symbol; recovery from a sequence gap and from dropped upstream sockets without a reload; the
markets overview and the stream health page."""

from decimal import Decimal
from itertools import pairwise

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.support import wait_for

pytestmark = pytest.mark.e2e

SYMBOL = "BTCUSD"
SANDBOX_SYMBOLS = {"BTCUSD", "ETHUSD", "SOLUSD", "BTCUSDT", "ETHUSDT", "ETHBTC"}

# Every value #sync-state takes, in order, recorded by a MutationObserver so that a state the page
# shows only briefly (a fast resync) is still seen.
RECORD_STATES = """() => {
  const el = document.getElementById('sync-state');
  window.__states = [el.dataset.state];
  new MutationObserver(() => {
    const s = el.dataset.state;
    if (window.__states[window.__states.length - 1] !== s) window.__states.push(s);
  }).observe(el, {attributes: true, attributeFilter: ['data-state']});
}"""


def _open_market(page) -> None:
    login(page)
    page.goto(f"/market/{SYMBOL}/")
    page.wait_for_selector("#sync-state[data-state='live']", timeout=30_000)


def _ladder_text(page) -> str:
    return page.inner_text("#bids") + "|" + page.inner_text("#asks")


def _wait_for_ladder_change(page, timeout: int = 15_000) -> None:
    page.wait_for_function(
        "(before) => document.querySelector('#bids').innerText + '|' + "
        "document.querySelector('#asks').innerText !== before",
        arg=_ladder_text(page),
        timeout=timeout,
    )


def _assert_ladder_consistent(page) -> None:
    """Bids strictly descending, asks (rendered highest first) strictly descending top to bottom,
    i.e. ascending from the best ask, and best bid below best ask. Decimal, not float."""
    bids, asks = page.evaluate(
        """() => ['#bids', '#asks'].map((sel) =>
             [...document.querySelectorAll(sel + ' tr td.price')].map((td) => td.textContent))"""
    )
    bids = [Decimal(p) for p in bids]
    asks = [Decimal(p) for p in reversed(asks)]  # best ask first
    assert bids and asks
    assert all(a > b for a, b in pairwise(bids)), bids
    assert all(a < b for a, b in pairwise(asks)), asks
    assert bids[0] < asks[0]


def _health(page) -> dict:
    response = page.request.get("/market/health.json")
    assert response.ok, response.status
    return response.json()


def _symbol_health(page, symbol: str = SYMBOL) -> dict:
    """The stream process's report on ``symbol``, once it is following it (it reports each
    second, and picks a newly watched symbol up within one)."""
    found: list[dict] = []

    def reported() -> bool:
        found[:] = [s for s in _health(page)["symbols"] if s["symbol"] == symbol]
        return bool(found)

    wait_for(reported, timeout=10, what=f"the stream process to report {symbol}")
    return found[0]


def test_it_shows_a_live_book_tape_ticker_and_candles(page, stack):
    _open_market(page)
    page.wait_for_function("() => document.querySelectorAll('#bids tr').length === 20")
    page.wait_for_function("() => document.querySelectorAll('#asks tr').length === 20")
    _wait_for_ladder_change(page)
    page.wait_for_selector("#trades tr", timeout=15_000)
    _assert_ladder_consistent(page)

    # Candles: loaded from klines.json and drawn by lightweight-charts (it draws on canvases).
    page.wait_for_selector("#chart canvas")
    page.wait_for_function(
        "() => Number(document.querySelector('#chart').dataset.bars || 0) > 0", timeout=15_000
    )
    # The 24h ticker arrives on the market socket about once a second.
    page.wait_for_function(
        "() => /^\\d+(\\.\\d+)?$/.test(document.querySelector('#tk-last').textContent)",
        timeout=15_000,
    )
    assert Decimal(page.inner_text("#tk-last")) > 0

    # Another interval reloads the chart from klines.json.
    page.click("#intervals [data-interval='5m']")
    page.wait_for_function(
        "() => { const c = document.querySelector('#chart'); return c.dataset.interval === '5m' "
        "&& !c.dataset.loading && Number(c.dataset.bars) > 0; }"
    )
    assert page.get_attribute("#intervals [data-interval='5m']", "aria-pressed") == "true"

    # 50 levels: as many rows as the server sends, up to 50 (the sandbox quotes 25 a side).
    page.select_option("#levels", "50")
    for side in ("bids", "asks"):
        page.wait_for_function(
            f"""() => {{
                const sent = Number(document.querySelector('#market').dataset.{side}Sent);
                const rows = document.querySelectorAll('#{side} tr').length;
                return sent > 20 && rows === Math.min(50, sent);
            }}"""
        )
    _assert_ladder_consistent(page)

    # Grouping to 100 ticks: fewer, coarser levels, still a consistent ladder.
    page.select_option("#grouping", "100")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#bids td.price')]"
        ".every((td) => /\\.00$/.test(td.textContent))"
    )
    _assert_ladder_consistent(page)


def test_between_updates_the_page_draws_nothing_and_marks_the_newest_trades(page, stack):
    """No animation runs on a live market page: a running one has Chromium draw every frame
    for as long as it runs, and a live dot's pulse or each new trade's fade kept it drawing
    all the time (bench/page_cpu.py). The newest trades are still marked, and only they."""
    _open_market(page)
    page.wait_for_selector("#trades tr.fresh", timeout=15_000)
    marked = page.evaluate(
        """() => ({
            animations: document.getAnimations().map((a) => a.animationName || String(a.id)),
            fresh: [...document.querySelectorAll('#trades tr')].map((tr) =>
                tr.classList.contains('fresh')),
            newest: document.querySelector('#trades tr').dataset.tradeId,
        })"""
    )
    assert marked["animations"] == []
    count = marked["fresh"].count(True)
    assert count >= 1
    assert marked["fresh"][:count] == [True] * count  # the newest rows, at the top
    # Newer trades, or a second, take the mark off.
    page.wait_for_function(
        "(id) => { const tr = document.querySelector(`#trades tr[data-trade-id='${id}']`);"
        " return !tr || !tr.classList.contains('fresh'); }",
        arg=marked["newest"],
        timeout=5_000,
    )


def test_it_resyncs_after_a_sequence_gap_without_a_reload(page, stack):
    _open_market(page)
    _wait_for_ladder_change(page)
    page.evaluate("window.__marker = 'kept'")
    page.evaluate(RECORD_STATES)
    resyncs_before = _symbol_health(page)["resyncs"]

    response = requests.post(
        f"{stack.sandbox_url}/sandbox/v1/faults",
        json={"depthGap": {"symbol": SYMBOL, "count": 1}},
        timeout=5,
    )
    assert response.ok, response.text

    page.wait_for_function("() => window.__states.includes('resyncing')", timeout=30_000)
    page.wait_for_function(
        "() => window.__states.lastIndexOf('live') > window.__states.indexOf('resyncing')",
        timeout=30_000,
    )
    page.wait_for_selector("#sync-state[data-state='live']")
    _wait_for_ladder_change(page)
    _assert_ladder_consistent(page)
    # The stream process reports once a second: wait for the report that counts this resync.
    wait_for(
        lambda: _symbol_health(page)["resyncs"] > resyncs_before,
        timeout=10,
        what="the health report to count the resync",
    )
    assert page.evaluate("window.__marker") == "kept"


def test_it_recovers_from_dropped_upstream_sockets_without_a_reload(page, stack):
    _open_market(page)
    _wait_for_ladder_change(page)
    page.evaluate("window.__marker = 'kept'")
    navigations = page.evaluate("performance.getEntriesByType('navigation').length")
    reconnects_before = sum(u["reconnects"] for u in _health(page)["upstream"])

    response = requests.post(f"{stack.sandbox_url}/sandbox/v1/streams/drop", json={}, timeout=5)
    assert response.ok, response.text

    # The stream process reconnects upstream and resynchronises the book; the page just follows.
    def reconnected() -> bool:
        return sum(u["reconnects"] for u in _health(page)["upstream"]) > reconnects_before

    wait_for(reconnected, timeout=30, what="the stream process to reconnect upstream")
    page.wait_for_selector("#sync-state[data-state='live']", timeout=30_000)
    _wait_for_ladder_change(page)
    _assert_ladder_consistent(page)
    assert page.evaluate("window.__marker") == "kept"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == navigations


def test_it_lists_every_market_with_live_updates(page, stack):
    login(page)
    page.goto("/market/")
    page.wait_for_selector("#markets-state[data-state='live']", timeout=30_000)
    symbols = set(
        page.eval_on_selector_all(
            "#markets-rows tr[data-symbol]", "(rows) => rows.map((r) => r.dataset.symbol)"
        )
    )
    assert symbols >= SANDBOX_SYMBOLS
    page.wait_for_function(
        "() => [...document.querySelectorAll('#markets-rows td.last')]"
        ".every((td) => td.textContent !== '—')",
        timeout=15_000,
    )
    page.wait_for_selector("#markets-rows td[data-changed-at]", state="attached", timeout=30_000)
    # A changed cell is tinted, then not, with no animation drawing every frame in between.
    changed = page.wait_for_selector("#markets-rows td.flash-up, #markets-rows td.flash-down")
    assert page.evaluate("document.getAnimations().length") == 0
    page.wait_for_function(
        "(td) => !td.classList.contains('flash-up') && !td.classList.contains('flash-down')",
        arg=changed,
        timeout=5_000,
    )
    last = page.inner_text(f"#markets-rows tr[data-symbol='{SYMBOL}'] td.last")
    assert Decimal(last) > 0

    # Sorting by a column, then following a symbol to its market page.
    page.click("#markets-table th[data-key='quoteVolume']")
    assert page.get_attribute("#markets-table th[data-key='quoteVolume']", "aria-sort")
    page.click(f"#markets-rows tr[data-symbol='{SYMBOL}'] td.symbol a")
    page.wait_for_url(f"**/market/{SYMBOL}/")
    page.wait_for_selector("#sync-state[data-state='live']", timeout=30_000)


def test_it_shows_stream_health(page, stack):
    login(page)
    # The stream process follows only the symbols someone is watching: watch BTCUSD in a tab.
    watcher = page.context.new_page()
    watcher.goto(f"/market/{SYMBOL}/")
    watcher.wait_for_selector("#sync-state[data-state='live']", timeout=30_000)
    page.goto("/market/health/")
    page.wait_for_selector("#upstream-rows tr[data-url]", timeout=15_000)
    page.wait_for_selector(f"#symbol-rows tr[data-symbol='{SYMBOL}']")
    assert page.get_attribute("#upstream-rows tr[data-url]", "data-connected") == "true"
    # The stack runs one stream process: it holds the watched symbol and the demo's sessions.
    process = page.locator("#process-rows tr[data-process]")
    expect(process).to_have_count(1)
    expect(process.locator("td").nth(2)).to_contain_text(SYMBOL)
    expect(process.locator("td").nth(4)).not_to_have_text("0")
    page.wait_for_selector(
        f"#symbol-rows tr[data-symbol='{SYMBOL}'] .sync-state[data-state='live']", timeout=15_000
    )
    polls = int(page.get_attribute("#health", "data-polls"))
    page.wait_for_function(
        "(n) => Number(document.querySelector('#health').dataset.polls) > n", arg=polls
    )
