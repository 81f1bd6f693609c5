"""Withdrawals out of a connection's account: the address book (destinations usable after a
cool-off the owner chooses) and crypto and fiat (USD via BITGO) withdrawals, each an intent of
``desk.intents`` sent exactly once (the life of one: ``models``).

- ``checks``: the exchange's rules (catalogue, balance, cool-off), each refusal on its field
- ``services``: the view side's writes (address book; checked, confirmed, committed, queued)
- ``sending``: the worker side (claim, send once, settle: saved, audited, pushed)
- ``reconcile``: unknown outcomes settled from the withdraw histories (the kit's sweep)
- ``follow``: the exchange's later status (processing → completed / returned), polled
- ``selectors``, ``tasks``, ``forms``, ``views``, ``urls``
"""
