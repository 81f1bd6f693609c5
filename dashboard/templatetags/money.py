from decimal import Decimal

from django import template

from desk.money import plain

register = template.Library()


@register.filter
def amount(value) -> str:
    """A money value as plain digits (see ``desk.money.plain``); empty for None."""
    if value is None or value == "":
        return ""
    return plain(value if isinstance(value, Decimal) else Decimal(str(value)))
