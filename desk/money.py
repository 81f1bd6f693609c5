"""Decimal to text for people and for JSON: plain digits, no exponent, no float on the way."""

from decimal import Decimal


def plain(value: Decimal) -> str:
    """1.500000000000000000 -> "1.5", 0E-18 -> "0", 1E+3 -> "1000"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
