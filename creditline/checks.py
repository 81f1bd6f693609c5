"""The rules a credit-line transfer must meet before anything is sent, from the credit line as
last polled (at most a minute old: ``creditline.sync``): the account's transfer flags, the free
balance, and ``availableAmountToTransferOut``.

The spec does not say what unit ``availableAmountToTransferOut`` is in; its example ("500" next
to a USD balance of 948.46) reads as US dollars, and the sandbox answers so: a transfer out of
another asset is valued at its last ``<ASSET>USD`` price. The exchange checks it all again (the
LTV may have moved since the poll) and a refusal there fails the transfer with its code and
message; checking first means the usual mistakes cost nothing and leave no failed row behind.
"""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Balance, ExchangeConnection
from creditline.models import CreditLineState, TransferType
from desk.money import plain
from desk.problems import refuse

MAX_DECIMALS = 8


def _decimals(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def transfer_check(
    *, connection: ExchangeConnection, transfer_type: str, asset: str, quantity: Decimal, price
) -> None:
    """Raises ``desk.problems.Refused`` naming what is wrong; returns when the transfer may go.
    ``price(asset)`` is the asset's last USD price (None: unknown)."""
    if quantity <= 0:
        raise refuse("quantity", "must be more than 0")
    if _decimals(quantity) > MAX_DECIMALS:
        raise refuse("quantity", f"at most {MAX_DECIMALS} decimal places")
    state = CreditLineState.objects.filter(connection=connection).first()
    if state is None:
        raise refuse(None, "The credit line has not been read yet; try again in a minute.")
    if transfer_type == TransferType.TRANSFER_IN:
        if not state.can_transfer_in:
            raise refuse("transfer_type", "this credit line cannot take transfers in")
        return
    if not state.can_transfer_out:
        raise refuse("transfer_type", "this credit line cannot transfer out")
    _out_check(connection, state, asset, quantity, price)


def _out_check(connection, state: CreditLineState, asset: str, quantity: Decimal, price) -> None:
    free = Balance.objects.filter(connection=connection, asset=asset).first()
    if free is None or free.free < quantity:
        held = plain(free.free) if free else "0"
        raise refuse("quantity", f"more than the free {asset} balance ({held} {asset})")
    value = quantity if asset == "USD" else _valued(asset, quantity, price)
    available = state.available_to_transfer_out
    if value > available:
        raise refuse(
            "quantity",
            f"worth {plain(value.quantize(Decimal('0.01')))} USD, more than the "
            f"{plain(available)} USD available to transfer out at the current loan-to-value",
        )


def _valued(asset: str, quantity: Decimal, price) -> Decimal:
    last = price(asset)
    if last is None:
        raise refuse("asset", f"{asset} has no USD price to value it against the loan")
    return quantity * last
