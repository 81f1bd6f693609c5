"""Every page shares one socket per connection among its widgets: the toasts, the balances card,
the ticket and the open orders of one connection read the same /ws/connections/<pk>/, and a page
that follows a connection's work (the history's sync progress) rides on it too."""

import re
from collections import Counter

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def _connection_pk(page) -> str:
    from tests.e2e.conftest import demo_exchange_pk

    pk = demo_exchange_pk(page)
    # Leave the dashboard for a page of no scripts: its sockets must not be counted as the next
    # page's.
    page.goto("about:blank")
    return pk


def _sockets_while(page, path: str, ready: str) -> Counter:
    """The WebSocket URLs the page at ``path`` opened, once ``ready`` is shown and the network
    has settled (the toasts' list of connections is fetched before their sockets open)."""
    opened: list[str] = []
    page.on("websocket", lambda ws: opened.append(re.sub(r"^wss?://[^/]+", "", ws.url)))
    page.goto(path)
    page.wait_for_selector(ready, state="attached", timeout=30_000)
    page.wait_for_load_state("networkidle")
    return Counter(opened)


@pytest.mark.parametrize(
    "path, ready",
    [
        ("/", "#sync-state[data-state='live']"),
        ("/market/BTCUSD/", "#open-orders[data-live='open']"),
        ("/market/orders/{pk}/", "#open-orders[data-live='open']"),
        ("/market/", "#markets-state[data-state='live']"),
        ("/connections/{pk}/", "#key-type"),
        ("/connections/{pk}/history/", "#history-progress[data-live='open']"),
    ],
    ids=["dashboard", "market", "orders", "markets", "connection", "history"],
)
def test_it_opens_at_most_one_socket_per_connection(page, path, ready):
    login(page)
    pk = _connection_pk(page)
    sockets = _sockets_while(page, path.format(pk=pk), ready)
    assert any(url.startswith("/ws/connections/") for url in sockets), (
        f"{path}: no connection socket at all ({dict(sockets)})"
    )
    assert all(n == 1 for n in sockets.values()), f"{path}: {dict(sockets)}"


# What a history sync step pushes (``history_progress.updated`` on the connection's group), with
# a problem text no sync writes, so the page can only show it if it came through the socket.
PUSH_PROGRESS = """
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from accounts.models import ExchangeConnection
from accounts.realtime import connection_group
from trading.history.selectors import history_progress_payload
conn = ExchangeConnection.objects.get(pk={pk})
doc = history_progress_payload(connection=conn)
for sync in doc["syncs"]:
    sync["last_error"] = "pushed through the socket"
event = {{"type": "history_progress.updated", "payload": doc}}
async_to_sync(get_channel_layer().group_send)(connection_group(conn.pk), event)
"""


def test_it_follows_history_progress_pushed_on_the_connection_socket(page, stack):
    login(page)
    pk = _connection_pk(page)
    page.goto(f"/connections/{pk}/history/")
    if not page.locator("#history-progress tr[data-sync]").count():
        page.click("#history-sync")
    page.wait_for_selector("#history-progress tr[data-sync]")
    page.wait_for_selector("#history-progress[data-live='open']")
    stack.manage("shell", "-c", PUSH_PROGRESS.format(pk=int(pk)))
    page.wait_for_selector("#history-progress .problem:text('pushed through the socket')")
