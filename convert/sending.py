"""The worker side of OTC and dust conversions: each sent exactly once (``desk.intents``), and an
OTC order followed from PROCESS to SUCCESS or FAIL.

"sending" is committed before the call, so a crash at any point leaves either a conversion that
certainly was not sent (planned / claimed: safe to send) or one that may have been (sending /
unknown: only the exchange's records decide, ``convert.reconcile``; never a blind resend).
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.exchange import client_for_connection
from accounts.realtime import convert_push
from convert.models import DustConversion, OtcConversion
from desk.intents import State, queue
from desk.intents.models import Status
from desk.intents.worker import Sender
from desk.money import plain

log = logging.getLogger(__name__)

FOLLOW_EVERY = 1.0  # seconds between reads of an order still in progress
FOLLOW_TRIES = 60  # then the beat's follow sweep takes over


def _refresh_balances(connection_id: int) -> None:
    from accounts.tasks import sync_balances

    queue(sync_balances, connection_id)


# -- OTC ---------------------------------------------------------------------------------------


class OtcSender(Sender):
    model = OtcConversion
    claimed = Status.CLAIMED
    audit_action = "convert.otc"

    def call(self, client: binanceus.Client, conversion: OtcConversion):
        return client.otc_place_order(quote_id=conversion.quote_id)

    def executed(self, conversion, answer):
        return (
            State.EXECUTED,
            {
                "order_id": str(answer.order_id),
                "order_status": answer.status,
                "exchange_time": answer.created,
            },
            "",
        )

    def exchange_ids(self, conversion: OtcConversion) -> dict:
        return {"quoteId": conversion.quote_id, "orderId": conversion.order_id}

    def push(self, conversion: OtcConversion) -> None:
        convert_push(
            connection_id=conversion.connection_id,
            payload={"conversion": otc_payload(conversion)},
        )

    def after_executed(self, conversion: OtcConversion) -> None:
        follow_queue(conversion)

    def task(self):
        from convert.tasks import send_otc_conversion  # tasks import the worker side

        return send_otc_conversion


OTC = OtcSender()


def otc_send(*, conversion_id: int, sleep=time.sleep) -> OtcConversion | None:
    """Claim the conversion and place its order once. None if another worker has it."""
    return OTC.send(conversion_id, sleep=sleep)


def follow_queue(conversion: OtcConversion, *, countdown: float = 0) -> None:
    from convert.tasks import follow_otc_conversion

    if conversion.order_final:
        _refresh_balances(conversion.connection_id)
    else:
        queue(follow_otc_conversion, conversion.pk, countdown=countdown)


def otc_follow(*, conversion_id: int, tries: int = 0) -> OtcConversion | None:
    """Read the order once; store and push a new status; read again in a second while it is in
    progress (the beat sweep picks up what runs out of tries)."""
    conversion = OtcConversion.objects.select_related("connection").get(pk=conversion_id)
    if conversion.status != Status.DONE or conversion.order_final or not conversion.order_id:
        return conversion
    try:
        with client_for_connection(conversion.connection) as client:
            order = client.otc_order(order_id=conversion.order_id)
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable) as exc:
        log.info("otc conversion %s: order unreadable: %s", conversion_id, type(exc).__name__)
        order = None
    if order is not None:
        otc_order_store(conversion, order)
    if not conversion.order_final and tries + 1 < FOLLOW_TRIES:
        from convert.tasks import follow_otc_conversion

        queue(follow_otc_conversion, conversion.pk, tries + 1, countdown=FOLLOW_EVERY)
    return conversion


def otc_order_store(conversion: OtcConversion, order) -> None:
    """The order's status as the exchange has it: saved, pushed, and the balances re-read once
    it ends."""
    changed = order.status != conversion.order_status
    conversion.order_status = order.status
    conversion.to_amount = order.to_amount or conversion.to_amount
    conversion.followed_at = timezone.now()
    conversion.save(update_fields=["order_status", "to_amount", "followed_at", "updated_at"])
    if not changed:
        return
    transaction.on_commit(lambda: OTC.push(conversion))
    if conversion.order_final:
        transaction.on_commit(lambda: _refresh_balances(conversion.connection_id))


def otc_payload(conversion: OtcConversion) -> dict:
    return {
        "id": conversion.pk,
        "quoteId": conversion.quote_id,
        "from": f"{plain(conversion.from_amount)} {conversion.from_coin}",
        "to": f"{plain(conversion.to_amount)} {conversion.to_coin}",
        "status": conversion.status,
        "orderStatus": conversion.order_status,
        "outcome": conversion.outcome,
        "errorCode": conversion.error_code,
        "errorMessage": conversion.error_message,
        "final": conversion.status == Status.FAILED or conversion.order_final,
    }


# -- dust --------------------------------------------------------------------------------------


class DustSender(Sender):
    model = DustConversion
    claimed = Status.CLAIMED
    audit_action = "convert.dust"

    def call(self, client: binanceus.Client, conversion: DustConversion):
        return client.dust_convert(
            from_assets=list(conversion.from_assets), to_asset=conversion.to_asset
        )

    def executed(self, conversion, answer):
        results = [dust_result(r) for r in answer.results]
        return (
            State.EXECUTED,
            {
                "total_transferred": answer.total_transferred,
                "total_service_charge": answer.total_service_charge,
                "results": results,
            },
            "",
        )

    def exchange_ids(self, conversion: DustConversion) -> dict:
        return {"tranIds": ",".join(sorted(conversion.tran_ids))}

    def push(self, conversion: DustConversion) -> None:
        convert_push(
            connection_id=conversion.connection_id, payload={"dust": dust_payload(conversion)}
        )

    def after_executed(self, conversion: DustConversion) -> None:
        _refresh_balances(conversion.connection_id)

    def task(self):
        from convert.tasks import send_dust_conversion  # tasks import the worker side

        return send_dust_conversion


DUST = DustSender()


def dust_send(*, conversion_id: int, sleep=time.sleep) -> DustConversion | None:
    return DUST.send(conversion_id, sleep=sleep)


def dust_result(row) -> dict:
    """One asset's result (from the answer or a log detail), as JSON with exact decimals."""
    return {
        "asset": row.from_asset,
        "amount": plain(row.amount),
        "transferred": plain(row.transferred_amount),
        "fee": plain(row.service_charge_amount),
        "tranId": str(row.tran_id),
        "result": getattr(row, "result", "") or "",
    }


def dust_payload(conversion: DustConversion) -> dict:
    return {
        "id": conversion.pk,
        "fromAssets": conversion.from_assets,
        "toAsset": conversion.to_asset,
        "status": conversion.status,
        "errorCode": conversion.error_code,
        "errorMessage": conversion.error_message,
        "final": conversion.is_final,
    }
