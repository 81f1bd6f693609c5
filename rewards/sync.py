"""Copying a connection's referral rewards and API-partner rebates into the database.

    referral   GET /sapi/v1/marketing/referral/reward/history   both userBizTypes, every page
    rebates    GET /sapi/v1/apipartner/rebateHistory            the partner id's, from OVERLAP
                                                                before the newest stored
                                                                (FIRST_DAYS back the first time)

A sync runs when the Rewards tab is opened (at most once per ``REWARDS_SYNC_SECONDS`` per
connection), from "Sync now" and from the beat (both ``force``: past the minute's gate, never
two at once for one connection). Rows are upserted on their natural keys
(``rewards.models``) in one transaction, then the open pages are told after commit. A sync the
exchange refuses keeps the rows and says why (``sync_error``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import access, crypto, realtime
from accounts.exchange import client_for_connection, describe_error
from accounts.models import ExchangeConnection
from rewards.models import BizType, PartnerRebate, ReferralReward, RewardsProfile

log = logging.getLogger(__name__)

REFERRAL_ROWS = 200  # the endpoint's largest page
MAX_REFERRAL_PAGES = 50  # 10,000 rewards per type: far more than any account has
REBATE_PAGE = 1000  # rebateHistory's largest limit
MAX_REBATE_PAGES = 20
OVERLAP = timedelta(hours=1)  # rebate history comes from a database that may lag the fills
FIRST_DAYS = 30  # the first read reaches back this far (the endpoint's default is 7 days)


def sync_seconds() -> int:
    return getattr(settings, "REWARDS_SYNC_SECONDS", 60)


def rewards_syncable(*, connection: ExchangeConnection) -> bool:
    return (
        connection.is_active
        and not connection.needs_new_keys
        and access.connection_can(connection, access.REWARDS)
    )


def rewards_sync(*, connection_id: int, force: bool = False) -> bool | None:
    """Read and store the connection's rewards and rebates. None: skipped (synced within the
    minute unless ``force``, another sync running, or not a usable exchange connection);
    False: the exchange refused (the page shows why)."""
    if not _gate(connection_id, force=force):
        return None
    try:
        return _sync(connection_id)
    finally:
        cache.delete(f"desk:rewards:syncing:{connection_id}")


def _gate(connection_id: int, *, force: bool) -> bool:
    if not cache.add(f"desk:rewards:syncing:{connection_id}", 1, timeout=90):
        return False
    recent = f"desk:rewards:synced:{connection_id}"
    if force:
        cache.set(recent, 1, timeout=sync_seconds())
        return True
    if not cache.add(recent, 1, timeout=sync_seconds()):
        cache.delete(f"desk:rewards:syncing:{connection_id}")
        return False
    return True


def _sync(connection_id: int) -> bool | None:
    connection = ExchangeConnection.objects.filter(pk=connection_id).first()
    if connection is None or not rewards_syncable(connection=connection):
        return None
    profile, _ = RewardsProfile.objects.get_or_create(connection=connection)
    try:
        with client_for_connection(connection) as client:
            referrals = {biz: _referrals(client, biz) for biz in BizType.values}
            rebates = _rebates(client, connection, profile.partner_id)
    except crypto.CredentialsUnavailable:
        connection.needs_new_keys = True
        connection.save(update_fields=["needs_new_keys", "updated_at"])
        return None
    except binanceus.BinanceUSError as exc:
        _keep_error(profile, describe_error(exc))
        return False
    _store(connection, profile, referrals, rebates)
    return True


def _referrals(client: binanceus.Client, biz_type: int) -> list:
    rows: list = []
    for page in range(1, MAX_REFERRAL_PAGES + 1):
        answer = client.referral_rewards(user_biz_type=biz_type, page=page, rows=REFERRAL_ROWS)
        rows.extend(answer.rows)
        if len(answer.rows) < REFERRAL_ROWS or len(rows) >= answer.total:
            break
    return rows


def _rebates(client: binanceus.Client, connection, partner_id: str) -> list:
    if not partner_id:
        return []
    newest = (
        PartnerRebate.objects.filter(connection=connection, partner_id=partner_id)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    start = newest - OVERLAP if newest else timezone.now() - timedelta(days=FIRST_DAYS)
    rows: list = []
    for page in range(1, MAX_REBATE_PAGES + 1):
        got = client.partner_rebates(
            partner_id=partner_id, start_time=start, limit=REBATE_PAGE, page=page
        )
        rows.extend(got)
        if len(got) < REBATE_PAGE:
            break
    return rows


def _ranked(keys: Iterable[tuple]) -> list[int]:
    """Each key's rank among the identical keys before it (``occurrence``)."""
    seen: Counter = Counter()
    ranks = []
    for key in keys:
        ranks.append(seen[key])
        seen[key] += 1
    return ranks


def _keep_error(profile: RewardsProfile, message: str) -> None:
    profile.sync_error = message[:300]
    profile.save(update_fields=["sync_error"])
    connection_id = profile.connection_id
    transaction.on_commit(
        lambda: realtime.rewards_push(connection_id=connection_id, payload={"synced": False})
    )


def _store(connection, profile: RewardsProfile, referrals: dict, rebates: list) -> None:
    with transaction.atomic():
        before = _count(connection)
        for biz, rows in referrals.items():
            ReferralReward.objects.bulk_create(
                _reward_rows(connection, biz, rows), ignore_conflicts=True
            )
        PartnerRebate.objects.bulk_create(
            _rebate_rows(connection, profile.partner_id, rebates), ignore_conflicts=True
        )
        added = _count(connection) - before
        profile.synced_at = timezone.now()
        profile.sync_error = ""
        profile.save(update_fields=["synced_at", "sync_error"])
        payload = {"synced": True, "added": added}
        transaction.on_commit(
            lambda: realtime.rewards_push(connection_id=connection.pk, payload=payload)
        )


def _count(connection) -> int:
    return (
        ReferralReward.objects.filter(connection=connection).count()
        + PartnerRebate.objects.filter(connection=connection).count()
    )


def _reward_rows(connection, biz: int, rows: list) -> list[ReferralReward]:
    keys = [(r.user_id, r.received, r.reward_type, r.reward_amount) for r in rows]
    return [
        ReferralReward(
            connection=connection,
            biz_type=biz,
            user_id=r.user_id,
            reward_amount=r.reward_amount,
            reward_type=r.reward_type,
            received=r.received,
            occurrence=rank,
        )
        for r, rank in zip(rows, _ranked(keys), strict=True)
    ]


def _rebate_rows(connection, partner_id: str, rows: list) -> list[PartnerRebate]:
    keys = [(r.date, r.asset, r.qty) for r in rows]
    return [
        PartnerRebate(
            connection=connection,
            partner_id=partner_id,
            qty=r.qty,
            asset=r.asset,
            date=r.date,
            occurrence=rank,
        )
        for r, rank in zip(rows, _ranked(keys), strict=True)
    ]
