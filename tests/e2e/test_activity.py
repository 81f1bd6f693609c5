"""The activity feed in Chromium against the whole stack: a fill made from the market page shows
in the feed, filtered to its kind and asset, and in the CSV the page exports; a bad filter is
refused at its field."""

import csv
import io
from decimal import Decimal

import pytest

from tests.e2e.conftest import login
from tests.support import until

pytestmark = pytest.mark.e2e

SYMBOL = "ETHUSD"  # no other browser test trades it
QTY = "0.0123"


def _buy_at_market(page) -> None:
    page.goto(f"/market/{SYMBOL}/")
    page.wait_for_selector("#ticket-form")
    page.check("#ticket-form input[name=side][value=BUY]")
    page.select_option("#id_type", "MARKET")
    page.fill("#id_quantity", QTY)
    page.click("#ticket-submit")
    page.wait_for_function(
        "() => document.getElementById('ticket-result').textContent.includes('filled')"
    )


def _fill_listed(page) -> bool:
    page.goto("/activity/?kind=fill&asset=ETH")
    return page.locator(f"#activity-rows tr[data-kind=fill]:has-text('({SYMBOL})')").count()


def test_a_fill_shows_in_the_feed_and_its_csv(page, stack):
    login(page)
    _buy_at_market(page)

    # The fill is stored from the execution report the stream process receives.
    until(lambda: _fill_listed(page), timeout=30, message="the fill in the activity feed")
    assert page.locator("#activity-rows tr[data-kind]:not([data-kind=fill])").count() == 0
    assert "Buy " in page.inner_text("#activity-rows tr[data-kind=fill]")

    with page.expect_download() as download:
        page.click("#activity-export")
    text = download.value.path().read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["date_utc", "kind", "connection", "asset", "amount", "detail"]
    # The order may fill against several makers: its fills add up to its quantity.
    assert sum(Decimal(r[4]) for r in rows[1:] if r[3] == "ETH") == Decimal(QTY)
    assert all(r[1] == "fill" for r in rows[1:])


def test_a_bad_filter_is_refused_at_its_field(browser, stack):
    # Not the ``page`` fixture: it fails a test on any console error, and Chromium logs the
    # refused filter's 400 answer, which is the point here, as one.
    context = browser.new_context(base_url=stack.url)
    page = context.new_page()
    login(page)
    page.goto("/activity/")
    page.fill("#id_asset", "ETH;")
    page.click("#activity-filters button[type=submit]")

    error = page.locator("#errors-asset")
    assert "Letters and digits only" in error.inner_text()
    assert page.get_attribute("#id_asset", "aria-describedby") == "errors-asset"
    assert page.locator("#activity-export").count() == 0
    context.close()
