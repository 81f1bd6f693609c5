"""Model fields shared by the apps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from desk.money import plain

MONEY_DIGITS = 38
MONEY_PLACES = 18


class MoneyField(models.DecimalField):
    """An exact decimal on every database.

    SQLite's NUMERIC affinity keeps only 15 significant digits (it stores a REAL), so a balance
    of 12345678.12345678 would come back as 12345678.1234568. On SQLite the column is TEXT
    holding the canonical decimal string instead; PostgreSQL keeps ``numeric(38, 18)``. Values
    read back are quantized to ``decimal_places`` on both, so Python sees the same Decimal.

    On SQLite, SQL-side comparison and arithmetic on these columns would be textual: compare
    against zero with ``exact`` (zero is always stored as "0") and do arithmetic in Python.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_digits") == MONEY_DIGITS:
            del kwargs["max_digits"]
        if kwargs.get("decimal_places") == MONEY_PLACES:
            del kwargs["decimal_places"]
        return name, path, args, kwargs

    def get_internal_type(self) -> str:
        # Not "DecimalField": the SQLite backend would run its float converter on our text.
        return "MoneyField"

    def db_type(self, connection) -> str:
        if connection.vendor == "sqlite":
            return "text"
        return connection.data_types["DecimalField"] % self.db_type_parameters(connection)

    def rel_db_type(self, connection) -> str:
        return self.db_type(connection)

    def cast_db_type(self, connection) -> str:
        return self.db_type(connection)

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor == "sqlite" and isinstance(value, Decimal):
            return plain(value)
        return value

    def from_db_value(self, value: Any, expression, connection) -> Decimal | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        return value.quantize(Decimal(1).scaleb(-self.decimal_places), context=self.context)
