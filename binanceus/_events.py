"""Typed user-data-stream events: :func:`parse_user_event` turns the JSON the
:class:`~binanceus.UserStream` yields into one of the event classes below."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ._fields import Model, each, model, wire
from ._models import Balance
from ._trading_models import OrderListEntry

__all__ = [
    "AccountPosition",
    "BalanceUpdate",
    "ExecutionReport",
    "ListStatus",
    "ListenKeyExpired",
    "UnknownEvent",
    "UserEvent",
    "parse_user_event",
]


def _non_negative(value: Any) -> int | None:
    """Ids the exchange sends as ``-1`` when not applicable map to ``None``."""
    number = int(value)
    return None if number < 0 else number


def _or_none(value: Any) -> str | None:
    return str(value) or None


@model
class ExecutionReport(Model):
    """An ``executionReport``: every change of one order (new, trade, cancel, expiry, STP)."""

    event_time: datetime = wire("E")
    symbol: str = wire("s")
    client_order_id: str = wire("c")
    side: str = wire("S")
    order_type: str = wire("o")
    time_in_force: str = wire("f")
    quantity: Decimal = wire("q")
    price: Decimal = wire("p")
    stop_price: Decimal = wire("P", missing=0)
    iceberg_qty: Decimal = wire("F", missing=0)
    order_list_id: int | None = wire("g", parse=_non_negative)
    """``None`` unless the order is a leg of an order list (``g`` = -1)."""
    orig_client_order_id: str | None = wire("C", parse=_or_none)
    """The client id of the order being canceled (``C``; empty -> ``None``)."""
    execution_type: str = wire("x")
    order_status: str = wire("X")
    reject_reason: str = wire("r", missing="NONE")
    order_id: int = wire("i")
    last_executed_qty: Decimal = wire("l")
    cumulative_filled_qty: Decimal = wire("z")
    last_executed_price: Decimal = wire("L")
    commission: Decimal = wire("n", missing=0)
    commission_asset: str | None = wire("N")
    transaction_time: datetime = wire("T")
    trade_id: int | None = wire("t", parse=_non_negative)
    """``None`` unless this report is a trade (``t`` = -1)."""
    is_working: bool = wire("w", missing=False)
    is_maker: bool = wire("m", missing=False)
    order_creation_time: datetime | None = wire("O")
    cumulative_quote_qty: Decimal = wire("Z", missing=0)
    last_quote_qty: Decimal = wire("Y", missing=0)
    quote_order_qty: Decimal | None = wire("Q")
    self_trade_prevention_mode: str | None = wire("V", default=None)
    trailing_delta: int | None = wire("d", default=None)
    trailing_time: datetime | None = wire("D", default=None)
    working_time: datetime | None = wire("W", default=None)
    trade_group_id: int | None = wire("u", default=None)
    prevented_match_id: int | None = wire("v", default=None)
    counter_order_id: int | None = wire("U", default=None)
    prevented_quantity: Decimal | None = wire("A", default=None)
    last_prevented_quantity: Decimal | None = wire("B", default=None)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def average_price(self) -> Decimal | None:
        """``Z / z``: the average fill price so far (``None`` before the first fill)."""
        if self.cumulative_filled_qty == 0:
            return None
        return self.cumulative_quote_qty / self.cumulative_filled_qty


@model
class ListStatus(Model):
    """A ``listStatus``: an order list (OCO) was placed, updated, finished or rejected."""

    event_time: datetime = wire("E")
    symbol: str = wire("s")
    order_list_id: int = wire("g")
    contingency_type: str = wire("c")
    list_status_type: str = wire("l")
    list_order_status: str = wire("L")
    list_reject_reason: str = wire("r", missing="NONE")
    list_client_order_id: str = wire("C")
    transaction_time: datetime = wire("T")
    orders: list[OrderListEntry] = wire("O")
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@model
class AccountPosition(Model):
    """An ``outboundAccountPosition``: the balances an event may have changed."""

    event_time: datetime = wire("E")
    last_update_time: datetime = wire("u")
    balances: list[Balance] = wire("B", missing=(), parse=each(Balance.from_stream))
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@model
class BalanceUpdate(Model):
    """A ``balanceUpdate``: a deposit or withdrawal changed ``asset`` by ``delta``."""

    event_time: datetime = wire("E")
    asset: str = wire("a")
    delta: Decimal = wire("d")
    clear_time: datetime = wire("T")
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@model
class ListenKeyExpired(Model):
    """``listenKeyExpired``: the stream's listen key is no longer valid; create a new one."""

    event_time: datetime = wire("E")
    listen_key: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """Any event type this package does not model (kept whole in ``raw``)."""

    event_type: str
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


UserEvent = (
    ExecutionReport | ListStatus | AccountPosition | BalanceUpdate | ListenKeyExpired | UnknownEvent
)

_PARSERS: dict[str, Any] = {
    "executionReport": ExecutionReport.from_api,
    "listStatus": ListStatus.from_api,
    "outboundAccountPosition": AccountPosition.from_api,
    "balanceUpdate": BalanceUpdate.from_api,
    "listenKeyExpired": ListenKeyExpired.from_api,
}


def parse_user_event(data: Mapping[str, Any]) -> UserEvent:
    """Type one user-data-stream message (a bare event or a combined-stream envelope)."""
    if "data" in data and "stream" in data:
        data = data["data"]
    kind = str(data.get("e", ""))
    parser = _PARSERS.get(kind)
    if parser is None:
        return UnknownEvent(event_type=kind, raw=dict(data))
    return parser(data)
