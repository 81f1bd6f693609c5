"""Models of the OTC (convert) and dust answers: coin pairs, quotes, OTC / OCBS orders, the
dust conversion, its history and the convertible assets.

Conventions as in :mod:`binanceus._models`, with one difference: the OTC times
(``validTimestamp``, ``createTime``) are printed in seconds (L5098, L5181, L5265); they are read
as :data:`~binanceus._fields.MsOrSeconds` (seconds, or milliseconds should the exchange send
them), the dust times (``operateTime``) in milliseconds. Order and quote ids are text (the spec
prints ``"10002349"``; a number is read as its digits).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ._fields import Model, MsOrSeconds, model, wire

__all__ = [
    "DustAsset",
    "DustAssets",
    "DustConversion",
    "DustLog",
    "DustLogDetail",
    "DustResult",
    "OcbsOrder",
    "OcbsOrderPage",
    "OtcCoinPair",
    "OtcOrder",
    "OtcOrderAck",
    "OtcOrderPage",
    "OtcQuote",
]

# -- OTC ------------------------------------------------------------------------------------


@model
class OtcCoinPair(Model):
    """One row of ``GET /sapi/v1/otc/coinPairs``: the bounds of a quote's amount per side."""

    from_coin: str
    to_coin: str
    from_coin_min_amount: Decimal
    from_coin_max_amount: Decimal
    to_coin_min_amount: Decimal
    to_coin_max_amount: Decimal


@model
class OtcQuote(Model):
    """``POST /sapi/v1/otc/quotes``: the price of converting ``from_amount`` into ``to_amount``,
    valid until ``valid_until``."""

    symbol: str
    ratio: Decimal
    """``to`` coins per ``from`` coin."""
    inverse_ratio: Decimal
    valid_until: MsOrSeconds = wire("validTimestamp")
    to_amount: Decimal
    from_amount: Decimal
    quote_id: str | None
    """What :meth:`~binanceus.Client.otc_place_order` takes. The spec's answer lacks it (L5094);
    the exchange must send it for the quote to be usable (the sandbox does): ``None`` if not."""


@model
class OtcOrderAck(Model):
    """``POST /sapi/v1/otc/orders``: the order placed from a quote (``status``: ``PROCESS``,
    ``ACCEPT_SUCCESS``, ``SUCCESS`` or ``FAIL``)."""

    order_id: str
    created: MsOrSeconds = wire("createTime")
    status: str = wire("orderStatus")


@model
class OtcOrder(Model):
    """``GET /sapi/v1/otc/orders/{orderId}`` and a row of ``GET /sapi/v1/otc/orders``."""

    quote_id: str
    order_id: str
    status: str = wire("orderStatus")
    from_coin: str
    from_amount: Decimal
    to_coin: str
    to_amount: Decimal
    ratio: Decimal
    inverse_ratio: Decimal
    created: MsOrSeconds = wire("createTime")

    @property
    def final(self) -> bool:
        """``SUCCESS`` or ``FAIL``: the status will not change any more."""
        return self.status in ("SUCCESS", "FAIL")


@model
class OtcOrderPage(Model):
    """``GET /sapi/v1/otc/orders``: one page of orders and how many match in all."""

    total: int
    rows: list[OtcOrder]


@model
class OcbsOrder(Model):
    """A row of ``GET /sapi/v1/ocbs/orders`` (``dataList``): an order of the OCBS service,
    with its fee and no inverse ratio."""

    quote_id: str
    order_id: str
    status: str = wire("orderStatus")
    from_coin: str
    from_amount: Decimal
    to_coin: str
    to_amount: Decimal
    fee_coin: str
    fee_amount: Decimal
    ratio: Decimal
    created: MsOrSeconds = wire("createTime")


@model
class OcbsOrderPage(Model):
    """``GET /sapi/v1/ocbs/orders``: one page of OCBS orders and how many match in all."""

    total: int
    rows: list[OcbsOrder] = wire("dataList")


# -- dust -----------------------------------------------------------------------------------


@model
class DustResult(Model):
    """One asset of ``POST /sapi/v1/asset/dust`` (``transferResult``). ``transferred_amount`` is
    here the amount *before* the service charge (L6546: 0.00289855 with a 0.00005797 charge);
    the history reports the same ``tran_id`` net of it (:class:`DustLogDetail`)."""

    tran_id: int
    from_asset: str
    to_asset: str
    amount: Decimal
    transferred_amount: Decimal
    service_charge_amount: Decimal
    operated: datetime = wire("operateTime")
    result: str
    """``"S"``: converted."""

    @property
    def ok(self) -> bool:
        return self.result == "S"


@model
class DustConversion(Model):
    """``POST /sapi/v1/asset/dust``: the totals (``total_transferred`` before the charge, as its
    rows) and one result per asset."""

    total_transferred: Decimal
    total_service_charge: Decimal
    results: list[DustResult] = wire("transferResult")


@model
class DustLogDetail(Model):
    """One asset of a past conversion (``userAssetDribbletDetails``); ``transferred_amount``
    is net of the service charge (L6634)."""

    tran_id: int
    from_asset: str
    to_asset: str
    amount: Decimal
    transferred_amount: Decimal
    service_charge_amount: Decimal
    operated: datetime = wire("operateTime")


@model
class DustLog(Model):
    """One conversion of ``GET /sapi/v1/asset/query/dust-logs`` (``userDustConvertHistory``)."""

    operated: datetime = wire("operateTime")
    total_service_charge_amount: Decimal
    total_transferred_amount: Decimal
    details: list[DustLogDetail] = wire("userAssetDribbletDetails")


@model
class DustAsset(Model):
    """One convertible asset of ``GET /sapi/v1/asset/query/dust-assets``: its balance and what
    converting it would give (``received_asset`` = ``converted_asset`` - ``conversion_fee``)."""

    from_asset: str
    to_asset: str
    available_balance: Decimal
    converted_asset: Decimal
    usd_value_converted_asset: Decimal
    conversion_fee: Decimal
    received_asset: Decimal


@model
class DustAssets(Model):
    """``GET /sapi/v1/asset/query/dust-assets``: the convertible assets, their totals, the fee
    rate (``0.02`` = 2 %) and whether a conversion is refused for now
    (``within_restricted_time``)."""

    assets: list[DustAsset] = wire("convertibleAssets")
    total_converted_asset: Decimal
    usd_value_total_converted_asset: Decimal
    total_conversion_fee: Decimal
    total_received_asset: Decimal
    fee_rate: Decimal
    within_restricted_time: bool
