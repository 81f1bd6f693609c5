"""The rules a custodian transfer or an undo must meet before anything is sent: the rail's
supported assets and their precision, and the balance it moves from.

Each refusal names the form field it is about; the exchange checks it all again, so checking
first means a refusal costs nothing and never leaves a failed transfer behind.

Where the spec is silent: ``transferEligible`` ("eligibility for transfer (from custodial
partner)") is taken as the list for transfers from the exchange wallet too (the spec gives no
other), and an undo needs its amount free in the custodial sub-account (it is taken back from
there). The partner's own balance is in no answer: a partner transfer's amount is checked by
the exchange alone.
"""

from __future__ import annotations

from decimal import Decimal

import binanceus
from accounts.models import ExchangeConnection
from custody import reads
from custody.models import CustodyTransfer, TransferKind
from desk.money import plain
from desk.problems import Refused, refuse

# The desk's one refusal: refused before anything was sent, each problem on its field.
CustodyProblems = Refused


def _decimals(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def _eligible(connection: ExchangeConnection, asset: str) -> binanceus.CustodianSupportedAsset:
    read = reads.supported_assets(connection=connection)
    if read.error:
        raise refuse(None, f"The custodial asset list cannot be read ({read.error}).")
    spec = next((a for a in read.value.transfer_eligible if a.asset == asset), None)
    if spec is None:
        raise refuse("asset", f"{asset} cannot be transferred on this custodial rail")
    return spec


def _free(connection: ExchangeConnection, asset: str, kind: str) -> Decimal:
    """What is free of ``asset`` where ``kind`` takes it from, asked of the exchange now."""
    read = reads.balances(connection=connection, fresh=True)
    if read.error:
        raise refuse(None, f"The balances cannot be read right now ({read.error}).")
    balance: binanceus.CustodianBalance = read.value
    rows = (
        balance.exchange_wallet_balance
        if kind == TransferKind.WALLET
        else balance.custodial_account_balance
    )
    return sum((r.free for r in rows if r.asset == asset), Decimal(0))


def transfer_check(
    *, connection: ExchangeConnection, kind: str, asset: str, amount: Decimal
) -> None:
    """Raises ``CustodyProblems`` naming what is wrong; returns when the transfer may go."""
    if amount <= 0:
        raise refuse("amount", "must be more than zero")
    spec = _eligible(connection, asset)
    if spec.precision and _decimals(amount) > spec.precision:
        raise refuse("amount", f"at most {spec.precision} decimal places for {asset}")
    if kind != TransferKind.WALLET:
        return
    free = _free(connection, asset, kind)
    if amount > free:
        raise refuse("amount", f"more than is free in the exchange wallet ({plain(free)} {asset})")


def undo_check(*, connection: ExchangeConnection, origin: CustodyTransfer) -> None:
    """An undo takes the partner transfer's amount back out of the custodial sub-account."""
    free = _free(connection, origin.asset, TransferKind.UNDO)
    if origin.amount > free:
        raise refuse(
            "origin",
            f"{plain(origin.amount)} {origin.asset} is more than is free in the custodial "
            f"sub-account ({plain(free)} {origin.asset})",
        )
