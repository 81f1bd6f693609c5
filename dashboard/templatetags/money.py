from decimal import ROUND_HALF_UP, Decimal

from django import template

from desk.money import plain

register = template.Library()


@register.filter
def amount(value) -> str:
    """A money value as plain digits (see ``desk.money.plain``); empty for None."""
    if value is None or value == "":
        return ""
    return plain(value if isinstance(value, Decimal) else Decimal(str(value)))


@register.filter
def percent(value) -> str:
    """A rate as the exchange sends it (``0.0325``) as a percentage (``3.25 %``), exactly."""
    if value is None or value == "":
        return "—"
    return f"{plain(Decimal(str(value)) * 100)} %"


@register.filter
def epoch_ms(value) -> str:
    """A time as milliseconds since the epoch (the exchange's unit), for page scripts."""
    return "" if value is None else str(int(value.timestamp() * 1000))


@register.filter
def usd(value) -> str:
    """A USD value to the cent, half away from zero as the page's script rounds, with thousands
    separators: ``12,345.67``; "—" for None (no price)."""
    if value is None:
        return "—"
    cents = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{cents:,.2f}"
