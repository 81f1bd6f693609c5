"""The Custody tab of custodial connections (spec "Custodial Solution"): exchange-wallet and
custodial balances, transfers into custody and the undo of a partner transfer sent exactly once
(``desk.intents``), the settlement setting and history, copied by Celery.

- ``models``: the transfers (intents), custodial balances, both transfer histories, settlements,
  the settlement setting and sync cursors.
- ``reads``: the exchange reads a page or a check makes (cached); ``checks``: before sending.
- ``services``: asking for a transfer or an undo (committed, then queued).
- ``sending`` / ``reconcile``: the worker's send, and settling an unknown outcome from the
  exchange's transfer histories (by ``clientOrderId``; an undo by its origin).
- ``sync``: balances, settlement and histories; ``views`` / ``pages`` / ``selectors``: the tab.

- ``orders``: trading from the custodial balance (custodial orders, their histories).
"""
