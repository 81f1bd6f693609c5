"""Asking for an OTC quote, accepting it, and converting dust: checked (``checks``), committed
once under the intent's key, queued for the worker (``tasks`` → ``sending``), which sends it
once.

A quote is not an intent: asking one moves nothing, so it is sent at once and stored. Accepting
it is: the conversion is committed under the quote's ``quoteId`` (single use on the exchange)
before the order is placed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_connection, server_clock
from accounts.models import ExchangeConnection
from convert import checks, reads
from convert.models import IN_FLIGHT, DustConversion, OtcConversion, OtcQuote
from desk.intents import describe, intent_commit, queue
from desk.problems import refuse

_DUST_BUSY = (
    "Another dust conversion is still being sent or checked: wait until its outcome is known. "
    "Nothing was sent."
)


def exchange_now(connection: ExchangeConnection) -> datetime:
    return datetime.fromtimestamp(server_clock(connection.environment).now_ms() / 1000, tz=UTC)


# -- OTC ---------------------------------------------------------------------------------------


def quote_request(
    *,
    connection: ExchangeConnection,
    from_coin: str,
    to_coin: str,
    request_coin: str,
    request_amount: Decimal,
) -> OtcQuote:
    """Ask the exchange for a quote and keep it; ``desk.problems.Refused`` naming the field (or
    the exchange's code and message) when it cannot be had."""
    pairs = reads.coin_pairs(connection=connection)
    if pairs.error:
        raise refuse(None, f"The exchange's coin pairs cannot be read: {pairs.error}")
    checks.quote_check(
        pairs=pairs.value,
        from_coin=from_coin,
        to_coin=to_coin,
        request_coin=request_coin,
        amount=request_amount,
    )
    if request_coin == from_coin:
        checks.funds_check(connection, from_coin, request_amount, "request_amount")
    quote = _ask(connection, from_coin, to_coin, request_coin, request_amount)
    return OtcQuote.objects.create(
        connection=connection,
        quote_id=quote.quote_id,
        from_coin=from_coin,
        to_coin=to_coin,
        request_coin=request_coin,
        request_amount=request_amount,
        from_amount=quote.from_amount,
        to_amount=quote.to_amount,
        ratio=quote.ratio,
        inverse_ratio=quote.inverse_ratio,
        symbol=quote.symbol or "",
        valid_until=quote.valid_until,
    )


def _ask(connection, from_coin, to_coin, request_coin, request_amount):
    try:
        with client_for_connection(connection) as client:
            quote = client.otc_quote(
                from_coin=from_coin,
                to_coin=to_coin,
                request_coin=request_coin,
                request_amount=request_amount,
            )
    except (binanceus.BinanceUSError, crypto.CredentialsUnavailable) as exc:
        code, message = describe(exc)
        said = f"{message} (code {code})" if code is not None else message
        raise refuse(None, f"No quote: the exchange answered {said}") from exc
    if not quote.quote_id:
        raise refuse(None, "The exchange's quote carries no quoteId; it cannot be accepted.")
    return quote


def conversion_accept(
    *, connection: ExchangeConnection, user, quote_id: str, ip: str | None = None
) -> OtcConversion:
    """Commit the conversion under the quote's id and queue its order. Accepting the same quote
    again finds the first conversion and sends nothing; refusals write nothing."""
    existing = OtcConversion.objects.filter(connection=connection, quote_id=quote_id).first()
    if existing is not None:
        return existing
    quote = OtcQuote.objects.filter(connection=connection, quote_id=quote_id).first()
    if quote is None:
        raise refuse("quote_id", "no such quote for this connection; ask a new quote")
    checks.accept_check(connection=connection, quote=quote, exchange_now=exchange_now(connection))
    fields = {
        "from_coin": quote.from_coin,
        "to_coin": quote.to_coin,
        "from_amount": quote.from_amount,
        "to_amount": quote.to_amount,
        "ratio": quote.ratio,
        "valid_until": quote.valid_until,
    }
    with transaction.atomic():
        conversion, created = intent_commit(
            OtcConversion, key={"connection": connection, "quote_id": quote_id}, fields=fields
        )
        if created:
            _audit_request("convert.otc.request", conversion, user=user, ip=ip)
            _queue("send_otc_conversion", conversion.pk)
    return conversion


# -- dust --------------------------------------------------------------------------------------


def dust_request(
    *,
    connection: ExchangeConnection,
    user,
    from_assets: list[str],
    to_asset: str,
    request_key: str,
    ip: str | None = None,
) -> DustConversion:
    """Check against the exchange's convertible list read now, then commit once and queue. A
    form submitted again finds its first conversion; refusals write nothing."""
    existing = DustConversion.objects.filter(request_key=request_key).first()
    if existing is not None:
        return _same_dust(existing, connection, from_assets, to_asset)
    if DustConversion.objects.filter(connection=connection, status__in=IN_FLIGHT).exists():
        raise refuse(None, _DUST_BUSY)
    dust = reads.dust_assets(connection=connection, to_asset=to_asset, fresh=True)
    if dust.error:
        raise refuse(None, f"The convertible assets cannot be read: {dust.error}")
    checks.dust_check(dust=dust.value, from_assets=from_assets, to_asset=to_asset)
    fee = sum(
        (a.conversion_fee for a in dust.value.assets if a.from_asset in from_assets), Decimal(0)
    )
    fields = {
        "connection": connection,
        "from_assets": sorted(from_assets),
        "to_asset": to_asset,
        "fee_rate": dust.value.fee_rate,
        "total_service_charge": fee,
    }
    try:
        with transaction.atomic():
            conversion, created = intent_commit(
                DustConversion, key={"request_key": request_key}, fields=fields
            )
            if created:
                _audit_request("convert.dust.request", conversion, user=user, ip=ip)
                _queue("send_dust_conversion", conversion.pk)
    except DustConversion.DoesNotExist:  # the key is free: the in-flight constraint refused
        raise refuse(None, _DUST_BUSY) from None
    return _same_dust(conversion, connection, from_assets, to_asset)


def _same_dust(conversion, connection, from_assets, to_asset) -> DustConversion:
    asked = (connection.pk, sorted(from_assets), to_asset)
    if (conversion.connection_id, conversion.from_assets, conversion.to_asset) != asked:
        raise refuse(
            None,
            "This form was already submitted to convert "
            f"{', '.join(conversion.from_assets)}; nothing new was sent. Reload the page.",
        )
    return conversion


# -- shared ------------------------------------------------------------------------------------


def _audit_request(action: str, conversion, *, user, ip) -> None:
    audit_record(
        user=user,
        action=action,
        connection=conversion.connection,
        params=conversion.audit_params(),
        ip=ip,
    )


def _queue(task_name: str, pk: int) -> None:
    from convert import tasks  # tasks import the worker side

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: queue(task, pk))
