"""The tabs of a connection's page: one per area under ``/connections/<pk>/<area>/``, shown only
when the connection's key type can do what the area is for (``accounts.access``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.access import (
    CONVERT,
    CREDIT_LINE,
    CUSTODY,
    HISTORY,
    REWARDS,
    TRADE,
    TRANSFER,
    WALLET,
    key_type_can,
)
from accounts.models import ExchangeConnection


@dataclass(frozen=True)
class Tab:
    name: str
    label: str
    url_name: str
    capability: str | None  # None: every key type has it


TABS = (
    Tab("overview", "Overview", "accounts:detail", None),
    Tab("trade", "Trade", "accounts:trade", TRADE),
    Tab("orders", "Orders", "accounts:orders", TRADE),
    Tab("history", "History", "history:trades", HISTORY),
    Tab("transfers", "Transfers", "accounts:transfers", TRANSFER),
    Tab("wallet", "Wallet", "wallet:index", WALLET),
    Tab("staking", "Staking", "wallet:staking", WALLET),
    Tab("convert", "Convert", "convert:index", CONVERT),
    Tab("dust", "Dust", "convert:dust", CONVERT),
    Tab("rewards", "Rewards", "rewards:index", REWARDS),
    Tab("broker", "Broker", "rewards:broker", REWARDS),
    Tab("custody", "Custody", "custody:index", CUSTODY),
    Tab("credit", "Credit line", "creditline:index", CREDIT_LINE),
)


@dataclass(frozen=True)
class TabLink:
    name: str
    label: str
    url: str
    active: bool


def connection_tabs(connection: ExchangeConnection, *, active: str = "") -> list[TabLink]:
    """By key type, not by the connection's state: a disabled connection still shows its Trade
    tab, whose page then says why it cannot trade."""
    return [
        TabLink(
            tab.name, tab.label, reverse(tab.url_name, args=[connection.pk]), tab.name == active
        )
        for tab in TABS
        if tab.capability is None or key_type_can(connection.key_type, tab.capability)
    ]
