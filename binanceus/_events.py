"""Typed user-data-stream events: :func:`parse_user_event` turns the JSON the
:class:`~binanceus.UserStream` yields into one of the event classes below."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ._models import Balance, _dec_or_none, _int_or_none, to_decimal
from ._time import from_ms, from_ms_or_none
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
    number = _int_or_none(value)
    return None if number is None or number < 0 else number


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """An ``executionReport``: every change of one order (new, trade, cancel, expiry, STP)."""

    event_time: datetime
    symbol: str
    client_order_id: str
    side: str
    order_type: str
    time_in_force: str
    quantity: Decimal
    price: Decimal
    stop_price: Decimal
    iceberg_qty: Decimal
    order_list_id: int | None
    """``None`` unless the order is a leg of an order list (``g`` = -1)."""
    orig_client_order_id: str | None
    """The client id of the order being canceled (``C``; empty -> ``None``)."""
    execution_type: str
    order_status: str
    reject_reason: str
    order_id: int
    last_executed_qty: Decimal
    cumulative_filled_qty: Decimal
    last_executed_price: Decimal
    commission: Decimal
    commission_asset: str | None
    transaction_time: datetime
    trade_id: int | None
    """``None`` unless this report is a trade (``t`` = -1)."""
    is_working: bool
    is_maker: bool
    order_creation_time: datetime | None
    cumulative_quote_qty: Decimal
    last_quote_qty: Decimal
    quote_order_qty: Decimal | None
    self_trade_prevention_mode: str | None = None
    trailing_delta: int | None = None
    trailing_time: datetime | None = None
    working_time: datetime | None = None
    trade_group_id: int | None = None
    prevented_match_id: int | None = None
    counter_order_id: int | None = None
    prevented_quantity: Decimal | None = None
    last_prevented_quantity: Decimal | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def average_price(self) -> Decimal | None:
        """``Z / z``: the average fill price so far (``None`` before the first fill)."""
        if self.cumulative_filled_qty == 0:
            return None
        return self.cumulative_quote_qty / self.cumulative_filled_qty

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> ExecutionReport:
        return cls(
            event_time=from_ms(d["E"]),
            symbol=d["s"],
            client_order_id=d["c"],
            side=d["S"],
            order_type=d["o"],
            time_in_force=d["f"],
            quantity=to_decimal(d["q"]),
            price=to_decimal(d["p"]),
            stop_price=to_decimal(d.get("P", 0)),
            iceberg_qty=to_decimal(d.get("F", 0)),
            order_list_id=_non_negative(d.get("g")),
            orig_client_order_id=d.get("C") or None,
            execution_type=d["x"],
            order_status=d["X"],
            reject_reason=d.get("r", "NONE"),
            order_id=int(d["i"]),
            last_executed_qty=to_decimal(d["l"]),
            cumulative_filled_qty=to_decimal(d["z"]),
            last_executed_price=to_decimal(d["L"]),
            commission=to_decimal(d.get("n") or 0),
            commission_asset=d.get("N"),
            transaction_time=from_ms(d["T"]),
            trade_id=_non_negative(d.get("t")),
            is_working=bool(d.get("w", False)),
            is_maker=bool(d.get("m", False)),
            order_creation_time=from_ms_or_none(d.get("O")),
            cumulative_quote_qty=to_decimal(d.get("Z", 0)),
            last_quote_qty=to_decimal(d.get("Y", 0)),
            quote_order_qty=_dec_or_none(d.get("Q")),
            self_trade_prevention_mode=d.get("V"),
            trailing_delta=_int_or_none(d.get("d")),
            trailing_time=from_ms_or_none(d.get("D")),
            working_time=from_ms_or_none(d.get("W")),
            trade_group_id=_int_or_none(d.get("u")),
            prevented_match_id=_int_or_none(d.get("v")),
            counter_order_id=_int_or_none(d.get("U")),
            prevented_quantity=_dec_or_none(d.get("A")),
            last_prevented_quantity=_dec_or_none(d.get("B")),
            raw=dict(d),
        )


@dataclass(frozen=True, slots=True)
class ListStatus:
    """A ``listStatus``: an order list (OCO) was placed, updated, finished or rejected."""

    event_time: datetime
    symbol: str
    order_list_id: int
    contingency_type: str
    list_status_type: str
    list_order_status: str
    list_reject_reason: str
    list_client_order_id: str
    transaction_time: datetime
    orders: list[OrderListEntry]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> ListStatus:
        return cls(
            event_time=from_ms(d["E"]),
            symbol=d["s"],
            order_list_id=int(d["g"]),
            contingency_type=d["c"],
            list_status_type=d["l"],
            list_order_status=d["L"],
            list_reject_reason=d.get("r", "NONE"),
            list_client_order_id=d["C"],
            transaction_time=from_ms(d["T"]),
            orders=[OrderListEntry.from_api(o) for o in d.get("O", []) or []],
            raw=dict(d),
        )


@dataclass(frozen=True, slots=True)
class AccountPosition:
    """An ``outboundAccountPosition``: the balances an event may have changed."""

    event_time: datetime
    last_update_time: datetime
    balances: list[Balance]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> AccountPosition:
        return cls(
            event_time=from_ms(d["E"]),
            last_update_time=from_ms(d["u"]),
            balances=[
                Balance(asset=b["a"], free=to_decimal(b["f"]), locked=to_decimal(b["l"]))
                for b in d.get("B", []) or []
            ],
            raw=dict(d),
        )


@dataclass(frozen=True, slots=True)
class BalanceUpdate:
    """A ``balanceUpdate``: a deposit or withdrawal changed ``asset`` by ``delta``."""

    event_time: datetime
    asset: str
    delta: Decimal
    clear_time: datetime
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> BalanceUpdate:
        return cls(
            event_time=from_ms(d["E"]),
            asset=d["a"],
            delta=to_decimal(d["d"]),
            clear_time=from_ms(d["T"]),
            raw=dict(d),
        )


@dataclass(frozen=True, slots=True)
class ListenKeyExpired:
    """``listenKeyExpired``: the stream's listen key is no longer valid; create a new one."""

    event_time: datetime
    listen_key: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> ListenKeyExpired:
        return cls(event_time=from_ms(d["E"]), listen_key=d.get("listenKey"), raw=dict(d))


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
