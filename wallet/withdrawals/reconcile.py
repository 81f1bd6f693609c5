"""Settling withdrawals whose outcome is unknown — reported so, or left "sending" by a dead
worker — against the exchange's own withdraw histories, through the kit's one sweep
(``desk.intents.intents_reconcile``); and handing back withdrawals a dead worker claimed but
never sent, or whose task message was lost.

- Crypto: the request carried the intent's key as ``withdrawOrderId``, so the history is asked
  for exactly that id. Found: sent (with the exchange's id and status). Absent past the grace
  period (the history is read from a database that lags): nothing left, failed. Never re-sent:
  the owner decides, on the page, whether to withdraw again.
- Fiat: no client id. The fiat withdraw history is read from just before the request went out
  (on the exchange's clock) and a row with our payment account and amount (its ``amount`` plus
  ``transactionFee``) whose ``orderId`` no other withdrawal of ours holds is this one: a
  connection has at most one fiat withdrawal in flight (a database constraint), so there is no
  second candidate of ours to confuse it with.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

import binanceus
from desk.intents import ERROR as ROW_ERROR
from desk.intents import (
    FAILED,
    FOUND,
    WAITING,
    State,
    Strategy,
    intents_reconcile,
    intents_requeue_unsent,
)
from wallet.withdrawals.follow import crypto_status, fiat_status
from wallet.withdrawals.models import Withdrawal, WithdrawalKind, WithdrawalStatus
from wallet.withdrawals.sending import withdrawal_finish

FIAT_MATCH_BEFORE = timedelta(seconds=120)


def grace() -> timedelta:
    return timedelta(seconds=settings.WITHDRAW_RECONCILE_GRACE_SECONDS)


def stale() -> timedelta:
    return timedelta(seconds=settings.WITHDRAW_STALE_SECONDS)


class _WithdrawalStrategy(Strategy):
    model = Withdrawal
    sent_field = "sent_at"
    withdrawal_kind: str

    grace_setting = "WITHDRAW_RECONCILE_GRACE_SECONDS"
    stale_setting = "WITHDRAW_STALE_SECONDS"

    def pending(self, *, now: datetime) -> list[int]:
        mine = Withdrawal.objects.filter(pk__in=super().pending(now=now), kind=self.withdrawal_kind)
        return list(mine.order_by("pk").values_list("pk", flat=True))

    def record(self, client: binanceus.Client, withdrawal: Withdrawal):
        raise NotImplementedError

    def _status(self, record) -> tuple[str, dict]:
        raise NotImplementedError

    def found(self, withdrawal: Withdrawal, record) -> None:
        status, fields = self._status(record)
        if status in (WithdrawalStatus.COMPLETED, WithdrawalStatus.RETURNED):
            fields["finished_at"] = timezone.now()
        withdrawal_finish(
            withdrawal,
            State.EXECUTED,
            message="Confirmed in the exchange's withdraw history.",
            fields={**fields, "status": status},
        )

    def absent(self, withdrawal: Withdrawal, *, now: datetime) -> str:
        withdrawal_finish(
            withdrawal,
            State.FAILED,
            code=withdrawal.error_code,
            message="Not in the exchange's withdraw history after the grace period: nothing "
            "was withdrawn. Withdraw again if you still want it.",
        )
        return FAILED

    def push(self, withdrawal: Withdrawal) -> None:
        from wallet.withdrawals.sending import push_after_commit

        push_after_commit(withdrawal)


class CryptoWithdrawalStrategy(_WithdrawalStrategy):
    kind = "crypto withdrawal"
    withdrawal_kind = WithdrawalKind.CRYPTO

    def record(self, client, withdrawal):
        key = withdrawal.request_key
        rows = client.withdraw_history(coin=withdrawal.coin, withdraw_order_id=key)
        return next((r for r in rows if r.withdraw_order_id == key), None)

    def _status(self, record):
        return crypto_status(record)


class FiatWithdrawalStrategy(_WithdrawalStrategy):
    kind = "fiat withdrawal"
    withdrawal_kind = WithdrawalKind.FIAT

    def record(self, client, withdrawal):
        offset = timedelta(milliseconds=client.sync_time())  # the exchange's clock, measured now
        start = (withdrawal.sent_at or withdrawal.created_at) + offset - FIAT_MATCH_BEFORE
        rows = client.fiat_withdraw_history(start_time=start)
        known = set(
            Withdrawal.objects.filter(connection=withdrawal.connection, kind=self.withdrawal_kind)
            .exclude(withdraw_id="")
            .exclude(pk=withdrawal.pk)
            .values_list("withdraw_id", flat=True)
        )
        for row in reversed(rows):  # newest first from the exchange: the oldest match is ours
            if (
                row.order_id not in known
                and row.payment_account == withdrawal.address
                and row.amount + row.transaction_fee == withdrawal.amount
            ):
                return row
        return None

    def _status(self, record):
        return fiat_status(record)


STRATEGIES = (CryptoWithdrawalStrategy(), FiatWithdrawalStrategy())


def withdrawals_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The sweep over withdrawals; how many ended how (``errors``: could not even be looked at,
    logged; tried again next sweep)."""
    now = now or timezone.now()
    requeued = _requeue_unsent(now)
    counts = intents_reconcile(*STRATEGIES, now=now)
    return {
        "requeued": requeued,
        "sent": counts[FOUND],
        "failed": counts[FAILED],
        "waiting": counts[WAITING],
        "errors": counts[ROW_ERROR],
    }


def _requeue_unsent(now: datetime) -> int:
    from wallet.withdrawals.tasks import send_withdrawal  # tasks import the worker side

    return intents_requeue_unsent(
        Withdrawal, task=send_withdrawal, claimed=WithdrawalStatus.CLAIMED, stale=stale(), now=now
    )
