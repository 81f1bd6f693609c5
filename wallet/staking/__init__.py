"""Staking: the exchange's stakable assets, the connection's positions, stake and unstake sent
exactly once (``desk.intents``), and its staking and rewards histories copied by Celery.

- ``models``: the operations (intents), the synced history and rewards, the sync cursor.
- ``checks``: limits and funds, before anything is sent.
- ``services``: asking for a stake or an unstake (committed, then queued).
- ``sending`` / ``reconcile``: the worker's send, and settling an unknown outcome from the
  staking history (stake and unstake take no client id).
- ``sync``: the histories, with cursors; ``views`` / ``selectors``: the Staking tab.
"""
