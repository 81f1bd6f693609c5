"""The keyword-parameter groups that recur across the endpoint methods, each declared once.

A method takes a group as ``**params: Unpack[Group]`` next to its own keywords; callers pass
the same keywords as ever. :func:`keywords` is the runtime half of the annotation: a keyword
the group does not declare raises the ``TypeError`` Python raises for any unexpected keyword
argument, so a typo still fails loudly. :func:`~binanceus._transport.sends` applies it to
every ``@sends`` method; the others call it themselves.

No ``from __future__ import annotations`` here: the groups are read at run time.
"""

import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Required, TypedDict

__all__ = [
    "CustodianOcoParams",
    "CustodianOrderParams",
    "CustodianTransferQuery",
    "DepositQuery",
    "ExpressTrade",
    "FiatHistory",
    "IdWindow",
    "OcoCheck",
    "OcoContext",
    "OcoParams",
    "OcoShape",
    "OffsetWindow",
    "OrderCheck",
    "OrderContext",
    "OrderParams",
    "OrderShape",
    "PagedWindow",
    "Paging",
    "TimeWindow",
    "Window",
    "group_keys",
    "keywords",
    "pick",
    "unpacked",
]


# -- history windows and paging -------------------------------------------------------------


class TimeWindow(TypedDict, total=False):
    """A time range (aware datetimes, sent as exchange milliseconds): ``klines``."""

    start_time: datetime
    end_time: datetime


class Window(TimeWindow, total=False):
    """A time range and how many rows at most: ``all_orders``, the credit line histories,
    ``asset_distribution_history``."""

    limit: int


class IdWindow(Window, total=False):
    """A window, or (never both) the id of the first row: ``agg_trades``, ``my_trades``,
    ``all_order_lists``."""

    from_id: int


class Paging(TypedDict, total=False):
    page: int
    """From 1."""
    limit: int
    """Rows a page."""


class PagedWindow(Window, Paging, total=False):
    """A window paged by page number: the staking histories, the sub-account transfer
    history, the custodian settlement history."""


class OffsetWindow(Window, total=False):
    offset: int
    """Rows to skip."""


class DepositQuery(OffsetWindow, total=False):
    """A crypto deposit / withdrawal history's filter: ``status`` and a window paged by
    offset (``deposit_history``, ``withdraw_history``, ``sub_account_deposit_history``)."""

    status: int


class FiatHistory(TimeWindow, total=False):
    """The fiat deposit and withdrawal histories' filters (``order_id``: the exchange's)."""

    fiat_currency: str
    order_id: str
    offset: int
    payment_channel: str
    payment_method: str


class CustodianTransferQuery(PagedWindow, total=False):
    """The custodian transfer histories' filters (``transfer_id``, ``client_order_id``,
    ``asset``) and a window paged by page number."""

    transfer_id: str
    client_order_id: str
    asset: str


# -- custodial orders -------------------------------------------------------------------------


class ExpressTrade(TypedDict, total=False):
    """A custodial order's switch to pull a short balance from the custodial partner
    (``allow_express_trade``) and the asset it then sells (``asset``: ``"USD"`` for a BUY of
    BTCUSD)."""

    asset: str
    allow_express_trade: bool


class CustodianOrderParams(ExpressTrade, total=False):
    """``custodian_order_new``'s order: side and type, and what the type needs (as for
    ``new_order``: LIMIT takes ``time_in_force``, ``quantity`` and ``price``)."""

    side: Required[str]
    type: Required[str]
    time_in_force: str
    quantity: Decimal
    quote_order_qty: Decimal
    price: Decimal
    stop_price: Decimal
    iceberg_qty: Decimal


class CustodianOcoParams(ExpressTrade, total=False):
    """``custodian_oco_order_new``'s optional legs' parameters."""

    limit_client_order_id: str
    limit_iceberg_qty: Decimal
    stop_client_order_id: str
    stop_limit_price: Decimal
    stop_iceberg_qty: Decimal
    stop_limit_time_in_force: str


# -- orders -----------------------------------------------------------------------------------


class OcoContext(TypedDict, total=False):
    """What the account and market look like now (enables the price and count filters)."""

    avg_price: Decimal
    open_orders: int
    open_algo_orders: int


class OrderContext(OcoContext, total=False):
    """:class:`OcoContext` plus the counts and position only a single order is checked by."""

    open_iceberg_orders: int
    position: Decimal
    exchange_open_orders: int
    exchange_open_algo_orders: int
    exchange_open_iceberg_orders: int


class OrderShape(TypedDict, total=False):
    """An order's side, type, amounts and prices: what the symbol's filters look at."""

    side: Required[str]
    type: Required[str]
    quantity: Decimal
    quote_order_qty: Decimal
    price: Decimal
    stop_price: Decimal
    trailing_delta: int
    iceberg_qty: Decimal


class OrderParams(OrderShape, total=False):
    """The new order's optional parameters shared by ``new_order``, ``test_new_order`` and
    ``cancel_replace``."""

    time_in_force: str
    self_trade_prevention_mode: str
    strategy_id: int
    strategy_type: int
    new_client_order_id: str


class OrderCheck(OrderShape, OrderContext, total=False):
    """What :func:`~binanceus.check_order` takes: the order and what surrounds it."""


class OcoShape(TypedDict, total=False):
    """An OCO's side, amount and legs' prices (what the filters look at)."""

    side: Required[str]
    quantity: Required[Decimal]
    price: Required[Decimal]
    stop_price: Required[Decimal]
    stop_limit_price: Decimal
    limit_iceberg_qty: Decimal
    stop_iceberg_qty: Decimal
    trailing_delta: int


class OcoParams(OcoShape, total=False):
    """``new_oco``'s optional parameters."""

    stop_limit_time_in_force: str
    list_client_order_id: str
    limit_client_order_id: str
    stop_client_order_id: str
    self_trade_prevention_mode: str
    new_order_resp_type: str


class OcoCheck(OcoShape, OcoContext, total=False):
    """What :func:`~binanceus.check_oco` takes: the OCO and what surrounds it."""


# -- run time -------------------------------------------------------------------------------


def group_keys(group: type) -> frozenset[str]:
    """Every keyword a TypedDict group declares (its bases' too)."""
    return frozenset(group.__required_keys__) | frozenset(group.__optional_keys__)  # type: ignore[attr-defined]


def keywords(owner: str, group: type, given: Mapping[str, Any]) -> None:
    """Refuse the keywords ``given`` lacks or ``group`` does not declare as Python refuses
    them for a signature: ``TypeError: <owner>() got an unexpected keyword argument 'x'``,
    ``<owner>() missing 1 required keyword-only argument: 'y'``."""
    allowed = group_keys(group)
    for name in given:
        if name not in allowed:
            raise TypeError(f"{owner}() got an unexpected keyword argument {name!r}")
    required = group.__required_keys__  # type: ignore[attr-defined]
    missing = [repr(n) for n in group.__annotations__ if n in required and n not in given]
    if missing:
        raise TypeError(f"{owner}() missing {_count(missing)}")


def _count(missing: list[str]) -> str:
    """Python's wording: ``1 required keyword-only argument: 'a'``, ``2 ...: 'a' and 'b'``,
    ``3 ...: 'a', 'b', and 'c'``."""
    if len(missing) == 1:
        return f"1 required keyword-only argument: {missing[0]}"
    names = ", ".join(missing[:-1]) + ("," if len(missing) > 2 else "") + " and " + missing[-1]
    return f"{len(missing)} required keyword-only arguments: {names}"


def pick(group: type, given: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords of ``given`` that ``group`` declares."""
    allowed = group_keys(group)
    return {k: v for k, v in given.items() if k in allowed}


def unpacked(annotation: Any, namespace: Mapping[str, Any]) -> type:
    """The TypedDict of a ``**params: Unpack[Group]`` annotation (a string under postponed
    annotations is evaluated in the function's module)."""
    if isinstance(annotation, str):
        annotation = eval(annotation, dict(namespace))  # noqa: S307 - the module's own text
    if typing.get_origin(annotation) is not typing.Unpack:
        raise TypeError(f"**params must be annotated Unpack[<TypedDict>], not {annotation!r}")
    (group,) = typing.get_args(annotation)
    if not typing.is_typeddict(group):
        raise TypeError(f"Unpack[{group!r}] is not a TypedDict")
    return group  # type: ignore[no-any-return]
