"""Models of the referral, API partner and broker referral answers: referral rewards, partner
eligibility and rebates, the broker's customer ids, rebates and kickbacks, and the kickback
export job.

Conventions as in :mod:`binanceus._models` (amounts ``Decimal``, times aware UTC datetimes from
milliseconds).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from ._fields import Model, model, wire

__all__ = [
    "BrokerCustomization",
    "BrokerExportJob",
    "BrokerKickback",
    "BrokerNewUser",
    "BrokerRebate",
    "BrokerUserCustomization",
    "PartnerEligibility",
    "PartnerRebate",
    "ReferralReward",
    "ReferralRewardPage",
]


# -- referral -------------------------------------------------------------------------------


@model
class ReferralReward(Model):
    """One row of ``GET /sapi/v1/marketing/referral/reward/history``."""

    user_id: int
    reward_amount: Decimal
    received: datetime = wire("receiveDateTime")
    reward_type: str
    """The reward's asset, e.g. ``"USD"``."""


@model
class ReferralRewardPage(Model):
    """``GET /sapi/v1/marketing/referral/reward/history``: one page and how many in all."""

    total: int
    rows: list[ReferralReward]


# -- API partner ----------------------------------------------------------------------------


@model
class PartnerEligibility(Model):
    """``GET /sapi/v1/apipartner/checkEligibility``: whether this user's orders earn the
    partner rebates."""

    is_eligible: bool
    if_new_user: bool
    """``True``: a new user (to the partner)."""
    vip_level: int | None
    referrer_id: int | None


@model
class PartnerRebate(Model):
    """One row of ``GET /sapi/v1/apipartner/rebateHistory``."""

    qty: Decimal
    asset: str
    date: datetime


# -- broker referral ------------------------------------------------------------------------


@model
class BrokerNewUser(Model):
    """``GET /sapi/v1/apiReferral/ifNewUser``: whether this user is new to the broker
    (``api_agent_code``) and whether the broker's rebate works for them."""

    api_agent_code: str
    rebate_working: bool
    if_new_user: bool
    referrer_id: int | None


@model
class BrokerCustomization(Model):
    """``POST /sapi/v1/apiReferral/customization`` and a row of its ``GET``: the broker's own
    id for a client, by the client's email."""

    customer_id: str
    email: str


@model
class BrokerUserCustomization(Model):
    """``POST`` / ``GET /sapi/v1/apiReferral/userCustomization``: the id the client gave
    itself with a broker."""

    customer_id: str


def _blank_is_none(value: Any) -> str | None:
    return str(value) or None


@model
class BrokerRebate(Model):
    """One row of ``GET /sapi/v1/apiReferral/rebate/recentRecord``: the broker's income from
    one client trade. ``customer_id`` is ``None`` where the client has none (the spec's
    ``""``); ``email`` comes masked (``"test*****@126.com"``)."""

    customer_id: str | None = wire(parse=_blank_is_none)
    email: str
    income: Decimal
    asset: str
    symbol: str
    time: datetime
    order_id: int
    trade_id: int


@model
class BrokerKickback(Model):
    """One row of ``GET /sapi/v1/apiReferral/kickback/recentRecord``: the trader's own rebate
    from one trade."""

    income: Decimal
    asset: str
    symbol: str
    time: datetime


# ``key: value`` inside the export answer, which is not JSON (R207-211): bare keys, no commas.
_LOOSE_FIELD = re.compile(r'"?(\w+)"?\s*:\s*("(?:[^"\\]|\\.)*"|[^\s,}]+)')


def _loose_object(text: str) -> dict[str, Any]:
    """The ``key: value`` pairs of an object-like text (strings unquoted)."""
    found: dict[str, Any] = {}
    for key, value in _LOOSE_FIELD.findall(text):
        found[key] = value[1:-1] if value.startswith('"') else value
    return found


@model
class BrokerExportJob(Model):
    """The commission rebate export (for traders): ``POST
    /sapi/v1/apiReferral/kickback/historicalRecord`` starts it and answers its state (``code``
    200, ``status`` ``"Historical data is collecting"``); its ``GET`` answers the data's ``url``
    once the data is there (:attr:`ready`).

    Neither answer is JSON in the spec (R207-211, R226); :meth:`from_answer` reads them
    loosely: an object (JSON, or the spec's bare ``code: 200`` keys without commas) gives
    ``code``, ``msg`` as ``status`` and ``url``; any other text is the URL itself; an empty
    answer is a job not ready.
    """

    code: int | None
    status: str | None = wire("msg")
    url: str | None

    @property
    def ready(self) -> bool:
        return bool(self.url)

    @classmethod
    def from_answer(cls, data: Any) -> Self:
        text = "" if isinstance(data, Mapping) else str(data).strip()
        if isinstance(data, Mapping) or text.startswith("{"):
            doc = dict(data) if isinstance(data, Mapping) else _loose_object(text)
            # The POST's state is its "msg"; an answer that names a "status" instead (the
            # sandbox's GET, the spec printing none) says it there.
            doc.setdefault("msg", doc.get("status"))
            return cls.from_api(doc)
        url = text.strip('"').strip()
        return cls(code=None, status=None, url=url or None)
