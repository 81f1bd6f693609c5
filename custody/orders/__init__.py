"""Trading from the custodial sub-account's funds (spec "Trade Order (Custodial)",
L8159-9110) on the Custody tab: a ticket (the trading ticket's form and live checks), the open
orders, and the order and trade histories synced from the exchange.

An order's life (the kit's states, ``desk.intents``)::

    planned ──claim──▶ claimed ──commit──▶ sending ──answer──▶ done (the exchange's orderId)
                                              │   └─ 4XX ──▶ failed (code, message)
                                              │   └─ 503: sent again after a backoff, then failed
                                              └─ 5XX / timeout / a dead worker
                                                     ▼
                                                  unknown ──open orders / order history──▶ done
                                                     └─ absent past the grace period ──▶ failed

- ``forms`` / ``checks``: the ticket, the symbol's filters and the custodial balance.
- ``services``: asking for an order (committed, queued) and canceling one.
- ``sending`` / ``reconcile``: the worker's send; settling an unknown outcome.
- ``sync`` / ``records``: open orders, order and trade history copied and stored.
- ``views`` / ``selectors`` / ``exports``: the tab's ticket, tables and CSV files.

Finding an order whose answer was lost. ``POST /sapi/v1/custodian/order`` takes no client
order id (L8167-8180) and its answer's ``clientOrderId`` is the exchange's own, so an order of
ours cannot be named in the exchange's records. After the grace period (the order history is
read from a database that lags) the sweep reads the symbol's open orders (live) and its order
history from two minutes before the request left (on the exchange's clock), and takes the
first order with the same symbol, side, type, quantity (or quote amount), price, and a time
between then and now that no other order of ours already is. To keep two of ours from matching
the same record, a connection has at most one custodial order per symbol in flight (planned,
claimed, sending or unknown: a database constraint); the next one of that symbol is refused
until it settles.

The weakness: an identical order (same symbol, side, type, amounts and price) placed in that
window outside the desk — another application with the same custodial key, or the exchange's
site — is indistinguishable from ours, and may be taken for it; ours, if it was in fact never
placed, is then shown as placed. Absent past the grace period, an order is failed and never
re-sent blind.
"""
