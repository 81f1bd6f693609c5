"""Referral, API partner and broker referral methods (``referral``, ``api_partner`` and
``broker_referral`` areas). None of them moves money.

Where the spec is silent or wrong, one choice each:

- The broker endpoints' document names ``https://api.binance.com`` as their base (R3): they are
  sent to the client's ``base_url`` like every other endpoint.
- No broker endpoint has a weight: each counts 1 (the table's ``null``).
- The partner and ``ifNewUser`` answers carry ``//`` comments (L9799, R19-20), not JSON: taken
  for annotations of the JSON the exchange sends.
- ``POST /sapi/v1/apiReferral/customization`` marks ``customerId`` and ``email`` both mandatory
  (R31-32): either missing is refused with ``ValueError`` before sending. Its ``GET`` takes at
  most one of them, "not at the same time" (R57): both given is refused alike; neither lists
  every customization.
- ``rebate/recentRecord`` marks ``startTime``, ``endTime`` and ``limit`` mandatory, then allows
  omitting both times (R123-130): all three are optional, the times "both specified or both
  omitted" and at most 7 days apart (R128-130), checked before sending.
- The kickback export's ``POST`` answer is not JSON (bare keys, no commas: R207-211) and its
  ``GET`` answer is only "url to the data" (R226): both are read loosely
  (:meth:`BrokerExportJob.from_answer`): a JSON or bare-keyed object gives ``code`` / ``msg`` /
  ``url``, any other text is the URL. Starting the export again only regenerates the data, so an
  unknown outcome of the ``POST`` may be resolved by starting it again.
- Rebates of the API Partner Program go to orders whose ``newClientOrderId`` begins with the
  partner id and a dash (L3302): :func:`partner_client_order_id` makes such ids.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Unpack

from ._endpoints import endpoint
from ._params import PagedWindow, Window
from ._rewards_models import (
    BrokerCustomization,
    BrokerExportJob,
    BrokerKickback,
    BrokerNewUser,
    BrokerRebate,
    BrokerUserCustomization,
    PartnerEligibility,
    PartnerRebate,
    ReferralRewardPage,
)
from ._time import to_ms_or_none
from ._transport import Transport, need_one, rows, sends

__all__ = ["RewardsMethods", "partner_client_order_id"]

_MAX_CLIENT_ORDER_ID = 36
_BROKER_REBATE_SPAN = timedelta(days=7)


def partner_client_order_id(partner_id: str) -> str:
    """A fresh client order id that earns the API partner's rebates: ``"<partner_id>-"`` and
    random hex, 36 characters in all (the exchange's maximum)."""
    if not partner_id or "-" in partner_id:
        raise ValueError(f"not a partner id: {partner_id!r}")
    prefix = f"{partner_id}-"
    room = _MAX_CLIENT_ORDER_ID - len(prefix)
    if room < 8:
        raise ValueError(f"partner id {partner_id!r} leaves no room for a unique suffix")
    return prefix + uuid.uuid4().hex[:room]


class RewardsMethods(Transport):
    """Referral rewards, API partner eligibility and rebates, and the broker referral program
    (customer ids, rebates, kickbacks and their export)."""

    areas = ("referral", "api_partner", "broker_referral")

    # -- referral ---------------------------------------------------------------------------

    @sends("GET /sapi/v1/marketing/referral/reward/history", ReferralRewardPage.from_api)
    def referral_rewards(self, *, user_biz_type: int, page: int, rows: int) -> ReferralRewardPage:
        """Referral rewards received as referrer (``user_biz_type=0``) or referee (``1``);
        ``page`` from 1, ``rows`` 1-200 a page."""
        if user_biz_type not in (0, 1):
            raise ValueError("user_biz_type is 0 (referrer) or 1 (referee)")
        if page < 1:
            raise ValueError("page counts from 1")
        if not 1 <= rows <= 200:
            raise ValueError("rows must be in 1..200")

    # -- API partner ------------------------------------------------------------------------

    @sends("GET /sapi/v1/apipartner/checkEligibility", PartnerEligibility.from_api)
    def partner_eligibility(self, *, partner_id: str) -> PartnerEligibility:
        """Whether this user's orders earn the rebates of partner ``partner_id`` (8 characters,
        e.g. ``"ABCD1234"``)."""
        need_one("partner_id", partner_id or None)

    @sends("GET /sapi/v1/apipartner/rebateHistory", rows(PartnerRebate.from_api))
    def partner_rebates(
        self, *, partner_id: str, **window: Unpack[PagedWindow]
    ) -> list[PartnerRebate]:
        """Rebates paid for partner ``partner_id`` (by default over the last 7 days; ``limit``
        100 by default, up to 1000)."""
        need_one("partner_id", partner_id or None)

    # -- broker referral --------------------------------------------------------------------

    @sends("GET /sapi/v1/apiReferral/ifNewUser", BrokerNewUser.from_api)
    def broker_if_new_user(self, *, api_agent_code: str) -> BrokerNewUser:
        """Whether this user is new to broker ``api_agent_code`` (the broker id)."""
        need_one("api_agent_code", api_agent_code or None)

    @sends("POST /sapi/v1/apiReferral/customization", BrokerCustomization.from_api)
    def broker_customize(
        self, *, customer_id: str | None = None, email: str | None = None
    ) -> BrokerCustomization:
        """(Broker) give the client with ``email`` the broker's own ``customer_id`` (unique;
        set again for the same email, it replaces the old one). Both are required."""
        if not customer_id or not email:
            raise ValueError("pass both customer_id and email")

    @sends("GET /sapi/v1/apiReferral/customization", rows(BrokerCustomization.from_api))
    def broker_customizations(
        self, *, customer_id: str | None = None, email: str | None = None
    ) -> list[BrokerCustomization]:
        """(Broker) the customer ids given, by ``customer_id`` or by ``email`` (never both);
        every one when neither is given."""
        if customer_id is not None and email is not None:
            raise ValueError("pass customer_id or email, not both")

    @sends("POST /sapi/v1/apiReferral/userCustomization", BrokerUserCustomization.from_api)
    def broker_user_customize(
        self, *, customer_id: str, api_agent_code: str
    ) -> BrokerUserCustomization:
        """(Client) give oneself ``customer_id`` with broker ``api_agent_code`` (unique per
        broker)."""
        if not customer_id or not api_agent_code:
            raise ValueError("pass both customer_id and api_agent_code")

    @sends("GET /sapi/v1/apiReferral/userCustomization", BrokerUserCustomization.from_api)
    def broker_user_customization(self, *, api_agent_code: str) -> BrokerUserCustomization:
        """(Client) the customer id one gave oneself with broker ``api_agent_code``."""
        need_one("api_agent_code", api_agent_code or None)

    @sends("GET /sapi/v1/apiReferral/rebate/recentRecord", rows(BrokerRebate.from_api))
    def broker_rebates(
        self, *, customer_id: str | None = None, **window: Unpack[Window]
    ) -> list[BrokerRebate]:
        """(Broker) income from the clients' trades (of ``customer_id`` when given): the last 7
        days, or ``start_time`` to ``end_time`` (both, at most 7 days apart); ``limit`` up to
        500."""
        start, end = window.get("start_time"), window.get("end_time")
        if (start is None) != (end is None):
            raise ValueError("pass both start_time and end_time, or neither")
        if start is not None and end is not None and end - start > _BROKER_REBATE_SPAN:
            raise ValueError("start_time and end_time must be at most 7 days apart")

    @sends("GET /sapi/v1/apiReferral/kickback/recentRecord", rows(BrokerKickback.from_api))
    def broker_kickbacks(self, **window: Unpack[Window]) -> list[BrokerKickback]:
        """(Trader) one's own rebates over the past 7 days at most (``limit`` 500 by default, up
        to 1000)."""

    @endpoint("POST /sapi/v1/apiReferral/kickback/historicalRecord")
    def broker_kickback_export_start(
        self,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        limit: int | None = None,
    ) -> BrokerExportJob:
        """(Trader) start collecting one's rebates of the past 30 days at most; fetch them with
        :meth:`broker_kickback_export`."""
        data = self._call(
            "POST /sapi/v1/apiReferral/kickback/historicalRecord",
            {
                "startTime": to_ms_or_none(start_time),
                "endTime": to_ms_or_none(end_time),
                "limit": limit,
            },
            text_ok=True,
        )
        return BrokerExportJob.from_answer(data)

    @endpoint("GET /sapi/v1/apiReferral/kickback/historicalRecord")
    def broker_kickback_export(self) -> BrokerExportJob:
        """(Trader) the collected rebates: :attr:`BrokerExportJob.url` once ready."""
        data = self._call("GET /sapi/v1/apiReferral/kickback/historicalRecord", text_ok=True)
        return BrokerExportJob.from_answer(data)
