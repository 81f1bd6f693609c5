"""The client order ids the ticket sends. With the connection's API-partner id set (Rewards
tab), each starts with "<partnerId>-", which is how the exchange credits the partner's rebate
(spec L3302); the rest is random hex, cut so the whole stays within the exchange's 36
characters (27 hex digits, 108 random bits, after an 8-character id and its dash). An OCO's
legs are orders of their own, rebated by their own ids: with a partner id they get them too."""

from __future__ import annotations

import binanceus
from accounts.models import ExchangeConnection

MAX_LENGTH = 36


def client_order_id_for(connection: ExchangeConnection) -> str:
    from rewards.selectors import partner_prefix  # an app of its own, read only here

    prefix = partner_prefix(connection=connection)
    return (prefix + binanceus.generate_client_order_id())[:MAX_LENGTH]


def oco_leg_ids(connection: ExchangeConnection) -> dict[str, str]:
    """``new_oco``'s leg ids for a connection with a partner id; none (the exchange names the
    legs) without one. The OCO is found again by its list id, so these need not be kept."""
    from rewards.selectors import partner_prefix

    if not partner_prefix(connection=connection):
        return {}
    return {
        "limit_client_order_id": client_order_id_for(connection),
        "stop_client_order_id": client_order_id_for(connection),
    }
