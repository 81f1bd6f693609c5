from decimal import Decimal

import pytest

from desk.money import plain


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1.500000000000000000"), "1.5"),
        (Decimal("0E-18"), "0"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.00000001"), "-0.00000001"),
        (Decimal("25000"), "25000"),
        (Decimal("-0E-8"), "0"),
    ],
)
def test_it_writes_plain_digits(value, text):
    assert plain(value) == text
