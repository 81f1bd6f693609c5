"""Settling conversions whose outcome is unknown (reported so, or left "sending" by a dead
worker) against the exchange's own records, through the kit's sweep; handing back conversions a
dead worker claimed but never sent; and following OTC orders still in progress.

OTC: the order list is read from just before the order went out, and the row carrying the
conversion's ``quoteId`` is it (a quote is single use, so there is at most one). Absent past the
grace period: the order was not placed, and the quote has expired by then, so it is failed —
never re-sent and never re-quoted.

Dust: the log is read over the same stretch; the oldest conversion into the same asset whose
assets are exactly the conversion's, and whose ``tranId``\\s no other conversion of ours has
claimed, is it. A connection has at most one dust conversion in flight (a database
constraint), so no second candidate of ours can be confused with it; one made outside the desk
with the same assets in that stretch could be, and the README says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

import binanceus
from convert.models import ORDER_FINAL, DustConversion, OtcConversion
from convert.sending import DUST, OTC, dust_result, follow_queue
from desk.intents import FAILED, State, Strategy, intents_reconcile, intents_requeue_unsent
from desk.intents.models import Status

MATCH_BEFORE = timedelta(seconds=120)
MATCH_AFTER = timedelta(seconds=600)
ORDERS_PAGE = 100  # the order list's largest page
PRUNE_QUOTES_AFTER = timedelta(days=1)


def _window(conversion, client: binanceus.Client) -> tuple[datetime, datetime]:
    """Our clock's stretch in which the exchange may have recorded the request, moved onto the
    exchange's clock as measured now."""
    offset = timedelta(milliseconds=client.sync_time())
    sent = conversion.sent_at or conversion.created_at
    return sent - MATCH_BEFORE + offset, sent + MATCH_AFTER + offset


class OtcStrategy(Strategy):
    kind = "otc conversion"
    model = OtcConversion
    sent_field = "sent_at"
    grace_setting = "CONVERT_RECONCILE_GRACE_SECONDS"
    stale_setting = "CONVERT_STALE_SECONDS"

    def record(self, client: binanceus.Client, conversion: OtcConversion):
        start, end = _window(conversion, client)
        page = 1
        while True:
            found = client.otc_orders(start_time=start, end_time=end, page=page, limit=ORDERS_PAGE)
            match = next((r for r in found.rows if r.quote_id == conversion.quote_id), None)
            if match is not None or page * ORDERS_PAGE >= found.total or not found.rows:
                return match
            page += 1

    def found(self, conversion: OtcConversion, order) -> None:
        OTC.finish(
            conversion,
            State.EXECUTED,
            message="Confirmed in the exchange's OTC order list.",
            fields={
                "order_id": str(order.order_id),
                "order_status": order.status,
                "exchange_time": order.created,
            },
        )

    def absent(self, conversion: OtcConversion, *, now: datetime) -> str:
        OTC.finish(
            conversion,
            State.FAILED,
            code=conversion.error_code,
            message="Not in the exchange's OTC orders after the grace period: nothing was "
            "converted. Ask a new quote if you still want it.",
        )
        return FAILED

    def push(self, conversion: OtcConversion) -> None:
        OTC.push_after_commit(conversion)


class DustStrategy(Strategy):
    kind = "dust conversion"
    model = DustConversion
    sent_field = "sent_at"
    grace_setting = "CONVERT_RECONCILE_GRACE_SECONDS"
    stale_setting = "CONVERT_STALE_SECONDS"

    def record(self, client: binanceus.Client, conversion: DustConversion):
        start, end = _window(conversion, client)
        taken: set[str] = set()
        others = DustConversion.objects.filter(connection=conversion.connection)
        for other in others.exclude(pk=conversion.pk).exclude(results=[]):
            taken |= other.tran_ids
        logs = client.dust_logs(start_time=start, end_time=end)
        matches = [
            log
            for log in logs
            if sorted(d.from_asset for d in log.details) == conversion.from_assets
            and all(d.to_asset == conversion.to_asset for d in log.details)
            and not {str(d.tran_id) for d in log.details} & taken
        ]
        return min(matches, key=lambda log: log.operated, default=None)

    def found(self, conversion: DustConversion, log) -> None:
        DUST.finish(
            conversion,
            State.EXECUTED,
            message="Confirmed in the exchange's dust log.",
            fields={
                "total_transferred": log.total_transferred_amount,
                "total_service_charge": log.total_service_charge_amount,
                "results": [dust_result(d) for d in log.details],
            },
        )

    def absent(self, conversion: DustConversion, *, now: datetime) -> str:
        DUST.finish(
            conversion,
            State.FAILED,
            code=conversion.error_code,
            message="Not in the exchange's dust log after the grace period: nothing was "
            "converted. Try again if you still want it.",
        )
        return FAILED

    def push(self, conversion: DustConversion) -> None:
        DUST.push_after_commit(conversion)


OTC_STRATEGY = OtcStrategy()
DUST_STRATEGY = DustStrategy()


def conversions_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The beat sweep over both kinds: unsent ones queued again, unknown ones settled, OTC
    orders still in progress followed, old quotes pruned; how many ended how."""
    from convert.tasks import send_dust_conversion, send_otc_conversion

    now = now or timezone.now()
    requeued = 0
    for strategy, task in (
        (OTC_STRATEGY, send_otc_conversion),
        (DUST_STRATEGY, send_dust_conversion),
    ):
        requeued += intents_requeue_unsent(
            strategy.model, task=task, claimed=Status.CLAIMED, stale=strategy.stale(), now=now
        )
    counts = intents_reconcile(OTC_STRATEGY, DUST_STRATEGY, now=now)
    followed = _follow_stragglers(now)
    _prune_quotes(now)
    return {
        "requeued": requeued,
        "done": counts["found"],
        "failed": counts[FAILED],
        "waiting": counts["waiting"],
        "followed": followed,
    }


def _follow_stragglers(now: datetime) -> int:
    """Orders placed but not ended whose follow chain stopped (a worker restart, out of tries)."""
    quiet = now - timedelta(seconds=5)
    rows = OtcConversion.objects.filter(status=Status.DONE).exclude(order_status__in=ORDER_FINAL)
    rows = rows.exclude(followed_at__gt=quiet)
    count = 0
    for conversion in rows:
        follow_queue(conversion)
        count += 1
    return count


def _prune_quotes(now: datetime) -> None:
    from convert.models import OtcQuote

    OtcQuote.objects.filter(created_at__lt=now - PRUNE_QUOTES_AFTER).delete()
