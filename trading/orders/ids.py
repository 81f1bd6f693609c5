"""The client order ids the ticket sends. With the connection's API-partner id set (Rewards
tab), each starts with "<partnerId>-", which is how the exchange credits the partner's rebate
(spec L3302); the rest is random hex, cut so the whole stays within the exchange's 36
characters (27 hex digits, 108 random bits, after an 8-character id and its dash)."""

from __future__ import annotations

import binanceus
from accounts.models import ExchangeConnection

MAX_LENGTH = 36


def client_order_id_for(connection: ExchangeConnection) -> str:
    from rewards.selectors import partner_prefix  # an app of its own, read only here

    prefix = partner_prefix(connection=connection)
    return (prefix + binanceus.generate_client_order_id())[:MAX_LENGTH]
