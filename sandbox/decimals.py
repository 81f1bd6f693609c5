"""Decimal helpers. Prices, quantities and balances are `Decimal` end to end, never float."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
EIGHT = Decimal("0.00000001")

# The exchange's own legal range for DECIMAL parameters (used in its -1100 message too).
DECIMAL_RE = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")


def fmt8(value: Decimal) -> str:
    """Render the way the exchange does: fixed point, 8 decimals ("0.00380100")."""
    return f"{value.quantize(EIGHT, rounding=ROUND_HALF_UP):f}"


def q8(value: Decimal) -> Decimal:
    return value.quantize(EIGHT, rounding=ROUND_HALF_UP)


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of `step` not above `value` (`step` 0 disables the rounding)."""
    if step == 0:
        return value
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return step == 0 or value % step == 0


def scale(value: Decimal) -> int:
    """Number of decimals actually used (trailing zeros ignored)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_amount(raw: object, name: str) -> Decimal:
    """An admin call's amount: a decimal string (or int), >= 0, at most 8 decimals; ValueError
    naming ``name`` otherwise."""
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        raise ValueError(f"{name} must be a decimal string")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"{name} must be a decimal string") from None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -8:  # type: ignore[operator]
        raise ValueError(f"{name} must be >= 0 with at most 8 decimals")
    return value
