"""Following withdrawals the exchange took (``sent``) until they end, from its withdraw
histories: ``processing`` → ``completed`` (crypto: with the chain's txId), or ``returned``
(failure, rejected or canceled, fiat "Failed": the exchange refunded it).

One history read per connection and coin (fiat: per connection) covers every withdrawal of it
still open; a connection whose history cannot be read is skipped until the next pass, and never
holds up the others (``desk.periodic.each_row``).
"""

from __future__ import annotations

import collections
import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

import binanceus
from desk.periodic import ERROR, each_row
from wallet.withdrawals.models import Withdrawal, WithdrawalKind, WithdrawalStatus
from wallet.withdrawals.sending import audit_status, push_after_commit

log = logging.getLogger(__name__)

CRYPTO_DONE, CRYPTO_RETURNED = 6, (1, 3, 5)
FIAT_DONE, FIAT_RETURNED = "Successful", "Failed"
WINDOW_MARGIN = timedelta(minutes=5)
HISTORY_REACH = timedelta(days=89)  # the histories refuse a window of 90 days or more


def crypto_status(record: binanceus.WithdrawalRecord) -> tuple[str, dict]:
    """(our status, fields) for a crypto withdraw-history row."""
    fields = {"withdraw_id": record.id, "exchange_status": record.status_text}
    if record.status == CRYPTO_DONE:
        return WithdrawalStatus.COMPLETED, {**fields, "tx_id": record.tx_id or ""}
    if record.status in CRYPTO_RETURNED:
        return WithdrawalStatus.RETURNED, fields
    return WithdrawalStatus.SENT, fields


def fiat_status(record: binanceus.FiatTransferRecord) -> tuple[str, dict]:
    fields = {"withdraw_id": record.order_id, "exchange_status": record.order_status}
    if record.order_status == FIAT_DONE:
        return WithdrawalStatus.COMPLETED, fields
    if record.order_status == FIAT_RETURNED:
        return WithdrawalStatus.RETURNED, fields
    return WithdrawalStatus.SENT, fields


def withdrawal_apply(withdrawal: Withdrawal, status: str, fields: dict) -> bool:
    """Store what the exchange says of a sent withdrawal; audited and pushed if it changed.
    Written only over the status and fields read: a sweep may have moved it meanwhile, and of
    two passes that saw the same change (two beats) only the first writes and audits it, even
    when the status stays (a fiat withdrawal's INIT -> Processing)."""
    now = timezone.now()
    changed = {name for name, value in fields.items() if getattr(withdrawal, name) != value}
    if status == withdrawal.status and not changed:
        Withdrawal.objects.filter(pk=withdrawal.pk).update(followed_at=now)
        return False
    values = {**fields, "status": status, "followed_at": now, "updated_at": now}
    if status in (WithdrawalStatus.COMPLETED, WithdrawalStatus.RETURNED):
        values["finished_at"] = now
    read = {name: getattr(withdrawal, name) for name in changed}
    with transaction.atomic():
        rows = Withdrawal.objects.filter(pk=withdrawal.pk, status=withdrawal.status, **read)
        if not rows.update(**values):
            return False
        for name, value in values.items():
            setattr(withdrawal, name, value)
        audit_status(withdrawal)
        push_after_commit(withdrawal)
    return True


def _open_groups() -> dict[tuple[int, str, str], list[int]]:
    groups: dict[tuple[int, str, str], list[int]] = collections.defaultdict(list)
    rows = Withdrawal.objects.filter(status=WithdrawalStatus.SENT).order_by("pk")
    for pk, connection_id, kind, coin in rows.values_list("pk", "connection_id", "kind", "coin"):
        groups[(connection_id, kind, coin)].append(pk)
    return groups


def withdrawals_follow() -> dict[str, int]:
    """One pass over every sent withdrawal; how many changed, and how many groups failed."""
    from accounts.exchange import client_for_connection

    def follow(group) -> int:
        (_, kind, coin), pks = group
        rows = list(
            Withdrawal.objects.filter(pk__in=pks, status=WithdrawalStatus.SENT).select_related(
                "connection", "connection__user"
            )
        )
        if not rows:
            return 0
        with client_for_connection(rows[0].connection) as client:
            if kind == WithdrawalKind.FIAT:
                return _follow_fiat(client, rows)
            return _follow_crypto(client, coin, rows)

    results = each_row("follow withdrawals", list(_open_groups().items()), follow)
    return {
        "changed": sum(r for r in results if r != ERROR),
        "errors": sum(1 for r in results if r == ERROR),
    }


def _start(rows: list[Withdrawal]):
    """Just before the oldest of them was sent, and within the histories' 90-day window (the
    end is left to the exchange's own "now": its clock, not ours)."""
    oldest = min(w.sent_at or w.created_at for w in rows) - WINDOW_MARGIN
    return max(oldest, timezone.now() - HISTORY_REACH)


def _follow_crypto(client: binanceus.Client, coin: str, rows: list[Withdrawal]) -> int:
    history = client.withdraw_history(coin=coin, start_time=_start(rows), limit=1000)
    by_key = {r.withdraw_order_id: r for r in history if r.withdraw_order_id}
    by_id = {r.id: r for r in history}
    found = {w: by_key.get(w.request_key) or by_id.get(w.withdraw_id) for w in rows}
    return _apply_found(found, crypto_status)


def _follow_fiat(client: binanceus.Client, rows: list[Withdrawal]) -> int:
    history = client.fiat_withdraw_history(start_time=_start(rows))
    by_id = {r.order_id: r for r in history}
    return _apply_found({w: by_id.get(w.withdraw_id) for w in rows}, fiat_status)


def _apply_found(found: dict, status_of) -> int:
    """Apply each withdrawal's history row; those the history does not list (yet: it lags) are
    marked looked at, nothing else."""
    missing = [w.pk for w, record in found.items() if record is None]
    Withdrawal.objects.filter(pk__in=missing).update(followed_at=timezone.now())
    return sum(withdrawal_apply(w, *status_of(r)) for w, r in found.items() if r is not None)
