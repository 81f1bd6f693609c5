"""What the Rewards tab and the Broker page write: the partner id and the broker agent code
(each checked with the exchange before it is saved), customer-id customizations, and starting
a kickback export (followed by ``rewards.exporting``).

None of these moves money, so none is an intent: each is one request, and only what the
exchange accepted is written. A refusal raises ``Refused`` with the exchange's code and
message on the field it names (``'partnerId'`` in a -1130 is the form's ``partner_id``), and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto, realtime
from accounts.audit import audit_record
from accounts.exchange import client_for_connection
from accounts.models import ExchangeConnection
from desk.intents import describe, queue
from desk.problems import Problem, Refused, refuse
from rewards import reads
from rewards.models import BrokerExport, ExportStatus, RewardsProfile

T = TypeVar("T")

# The exchange's parameter names -> the forms' fields, to put its refusal where it belongs.
PARAM_FIELDS = {
    "partnerId": "partner_id",
    "apiAgentCode": "agent_code",
    "customerId": "customer_id",
    "email": "email",
    "startTime": "export_since",
    "endTime": "export_until",
}
FIRST_EXPORT_CHECK_SECONDS = 2


def _exchange(
    connection: ExchangeConnection, call: Callable[[binanceus.Client], T], *, field: str | None
) -> T:
    """``call`` with the connection's client; its failure as a ``Refused`` on the field the
    exchange's message names, else on ``field``."""
    try:
        with client_for_connection(connection) as client:
            return call(client)
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable) as exc:
        code, message = describe(exc)
        text = f"The exchange answered {code}: {message}" if code else message
        named = next((f for p, f in PARAM_FIELDS.items() if f"'{p}'" in message), field)
        raise Refused([Problem(named, text)]) from None


def profile_for(*, connection: ExchangeConnection) -> RewardsProfile:
    profile, _ = RewardsProfile.objects.get_or_create(connection=connection)
    return profile


def _audit(user, action: str, connection, params: dict, ip: str | None) -> None:
    audit_record(user=user, action=action, connection=connection, params=params, ip=ip)


def _pushed(connection_id: int, payload: dict) -> None:
    transaction.on_commit(
        lambda: realtime.rewards_push(connection_id=connection_id, payload=payload)
    )


def partner_set(
    *, connection: ExchangeConnection, user, partner_id: str, ip: str | None = None
) -> RewardsProfile:
    """Save the API partner id after the exchange's ``checkEligibility`` answered for it
    (eligible or not: the answer is shown); "" clears it. The rebates are then read again."""
    eligibility = None
    if partner_id:
        eligibility = _exchange(
            connection, lambda c: c.partner_eligibility(partner_id=partner_id), field="partner_id"
        )
    with transaction.atomic():
        profile = profile_for(connection=connection)
        profile.partner_id = partner_id
        profile.partner_eligible = eligibility.is_eligible if eligibility else None
        profile.partner_new_user = eligibility.if_new_user if eligibility else None
        profile.partner_vip_level = eligibility.vip_level if eligibility else None
        profile.partner_referrer_id = eligibility.referrer_id if eligibility else None
        profile.partner_checked_at = timezone.now() if eligibility else None
        profile.save()
        _audit(user, "rewards.partner.set", connection, {"partner_id": partner_id}, ip)
        transaction.on_commit(lambda: _sync_soon(connection.pk))
    return profile


def _sync_soon(connection_id: int) -> None:
    from rewards.tasks import sync_rewards

    queue(sync_rewards, connection_id, True)


def sync_request(*, connection: ExchangeConnection) -> None:
    """ "Sync now": past the minute's gate."""
    profile_for(connection=connection)
    _sync_soon(connection.pk)


def agent_code_set(
    *, connection: ExchangeConnection, user, agent_code: str, ip: str | None = None
) -> RewardsProfile:
    """Save the broker agent code after the exchange's ``ifNewUser`` answered for it; ""
    clears it."""
    answer = None
    if agent_code:
        answer = _exchange(
            connection,
            lambda c: c.broker_if_new_user(api_agent_code=agent_code),
            field="agent_code",
        )
    with transaction.atomic():
        profile = profile_for(connection=connection)
        profile.agent_code = agent_code
        profile.agent_rebate_working = answer.rebate_working if answer else None
        profile.agent_new_user = answer.if_new_user if answer else None
        profile.agent_referrer_id = answer.referrer_id if answer else None
        profile.agent_checked_at = timezone.now() if answer else None
        profile.save()
        _audit(user, "rewards.broker.agent_code", connection, {"agent_code": agent_code}, ip)
    reads.forget(connection=connection)
    return profile


def customization_set(
    *, connection: ExchangeConnection, user, customer_id: str, email: str, ip: str | None = None
) -> binanceus.BrokerCustomization:
    """Give the client ``email`` the broker's ``customer_id`` (for an email that has one, the
    exchange replaces it in place: that is how an edit is made)."""
    made = _exchange(
        connection,
        lambda c: c.broker_customize(customer_id=customer_id, email=email),
        field=None,
    )
    params = {"customer_id": customer_id, "email": email}
    _audit(user, "rewards.broker.customize", connection, params, ip)
    reads.forget(connection=connection)
    return made


def user_customization_set(
    *, connection: ExchangeConnection, user, customer_id: str, ip: str | None = None
) -> binanceus.BrokerUserCustomization:
    """Give this account ``customer_id`` at the broker of the saved agent code."""
    profile = profile_for(connection=connection)
    if not profile.agent_code:
        raise refuse(None, "Save the broker agent code first: the customer id is given there.")
    code = profile.agent_code
    made = _exchange(
        connection,
        lambda c: c.broker_user_customize(customer_id=customer_id, api_agent_code=code),
        field="own_customer_id",
    )
    params = {"customer_id": customer_id, "agent_code": code}
    _audit(user, "rewards.broker.user_customize", connection, params, ip)
    reads.forget(connection=connection)
    return made


def export_start(
    *,
    connection: ExchangeConnection,
    user,
    start: datetime | None = None,
    end: datetime | None = None,
    ip: str | None = None,
) -> BrokerExport:
    """Ask the exchange to collect the kickback history of ``start``-``end`` (the last 30 days
    at most), then follow it. The exchange keeps only its latest export, so a new one replaces
    any still being prepared."""
    _exchange(
        connection,
        lambda c: c.broker_kickback_export_start(start_time=start, end_time=end),
        field=None,
    )
    now = timezone.now()
    with transaction.atomic():
        BrokerExport.objects.filter(connection=connection, status=ExportStatus.COLLECTING).update(
            status=ExportStatus.SUPERSEDED, finished_at=now
        )
        export = BrokerExport.objects.create(
            connection=connection, window_start=start, window_end=end, requested_at=now
        )
        params = {"export": export.pk, "start": start, "end": end}
        _audit(user, "rewards.broker.export", connection, params, ip)
        _pushed(connection.pk, {"export": export.pk, "status": export.status})
        transaction.on_commit(lambda: _follow_soon(export.pk))
    return export


def _follow_soon(export_id: int) -> None:
    from rewards.tasks import follow_broker_export

    queue(follow_broker_export, export_id, countdown=FIRST_EXPORT_CHECK_SECONDS)
