"""What arrived and left (the Wallet tab's read side), shaped like ``trading/history``:

- ``models``: deposit and withdrawal rows (``WalletActivity``) and a cursor per connection and
  kind (``ActivitySync``);
- ``reads``: the exchange reads the page shows (coin catalogue, deposit addresses), cached;
- ``services``: the sync (writes), ``planning``: what to sync when, ``tasks``: Celery;
- ``selectors``: database reads, ``forms``, ``views``, ``urls``, ``exports`` (audited CSV),
  ``qr`` (server-drawn SVG); its push is ``accounts.realtime.wallet_activity_push``.
"""
