"""Reads for the withdrawal pages; no network. Every object is reached through its connection,
which the views fetch with ``accounts.access.connection_get_for_user`` (404 for strangers)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import ExchangeConnection
from desk.money import plain
from wallet.withdrawals.models import FIAT_COIN, FIAT_NETWORK, AddressBookEntry, Withdrawal


def address_list(*, connection: ExchangeConnection) -> QuerySet[AddressBookEntry]:
    return AddressBookEntry.objects.filter(connection=connection)


def address_get_for_connection(*, connection: ExchangeConnection, aid: int) -> AddressBookEntry:
    return get_object_or_404(AddressBookEntry, pk=aid, connection=connection)


def withdrawal_list(*, connection: ExchangeConnection, limit: int = 50) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(connection=connection)[:limit]


def withdrawal_get_for_connection(*, connection: ExchangeConnection, wid: int) -> Withdrawal:
    return get_object_or_404(Withdrawal, pk=wid, connection=connection)


def withdrawal_payload(withdrawal: Withdrawal) -> dict:
    """What the withdrawal page receives (push or poll): money as exact text, ISO-8601 UTC."""
    w = withdrawal
    return {
        "id": w.pk,
        "status": w.status,
        "status_label": w.get_status_display(),
        "final": w.is_final,
        "coin": w.coin,
        "network": w.network,
        "amount": plain(w.amount),
        "fee": plain(w.fee) if w.fee is not None else None,
        "receive": plain(w.receive) if w.receive is not None else None,
        "withdraw_id": w.withdraw_id,
        "exchange_status": w.exchange_status,
        "tx_id": w.tx_id,
        "error_code": w.error_code,
        "error_message": w.error_message,
        "finished_at": w.finished_at.isoformat() if w.finished_at else None,
    }


def withdraw_form_payload(*, catalogue: dict, entries) -> dict:
    """What the form's script needs to show the fee and "you receive" as the person types, and
    to offer only the networks and addresses of the chosen coin: {"coins": {coin: {network:
    {fee, min, max, multiple}}}, "entries": {pk: {coin, network}}}, money as exact text."""
    coins: dict = {}
    for name, config in catalogue.items():
        nets = {}
        for n in config.networks:
            if n.withdraw_enable:
                nets[n.network] = {
                    "fee": plain(n.withdraw_fee),
                    "min": plain(n.withdraw_min),
                    "max": plain(n.withdraw_max) if n.withdraw_max is not None else None,
                    "multiple": plain(n.withdraw_integer_multiple),
                }
        if nets and config.withdraw_all_enable:
            coins[name] = nets
    # USD has no crypto networks: it leaves through the BITGO rail, whose fee is not published.
    coins[FIAT_COIN] = {FIAT_NETWORK: {"fee": None, "min": None, "max": None, "multiple": None}}
    return {
        "coins": coins,
        "entries": {str(e.pk): {"coin": e.coin, "network": e.network} for e in entries},
    }
