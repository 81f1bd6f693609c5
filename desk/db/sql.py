"""Reads written as SQL once per shape, for the few made on every request or event, where the
ORM building the query again each time cost more than running it (README, "Order latency in the
browser")."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import DatabaseError, connection

# The largest key a BIGINT column holds: a larger number (or a negative one) is no row's key.
_KEY_MAX = 2**63 - 1


@functools.cache
def model_read(
    model, where: str, *, also: str = "", lock: bool = False, only: tuple[str, ...] = ()
) -> str:
    """A SELECT of ``model``'s rows (every concrete field's column in the model's order, or
    those of the fields ``only`` names, then ``also``) WHERE ``where``, in the model's default
    ordering. ``where`` names columns by field in braces (``{order_id}``), quoted here from the
    model; every value stays a parameter. ``lock``: FOR UPDATE where the database locks rows,
    held by the caller's transaction."""
    quote = connection.ops.quote_name
    meta = model._meta
    columns = {field.name: quote(field.column) for field in meta.concrete_fields}
    read = [quote(field.column) for field in _fields(model, only)]
    selected = ", ".join([*read, *([also] if also else [])])
    columns["pk"] = quote(meta.pk.column)
    sql = f"SELECT {selected} FROM {quote(meta.db_table)}"  # noqa: S608
    sql += f" WHERE {where.format(**columns)}"
    order = [
        f"{columns[name.lstrip('-')]}{' DESC' if name[0] == '-' else ''}" for name in meta.ordering
    ]
    if order:
        sql += " ORDER BY " + ", ".join(order)
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql


def model_rows(
    model,
    where: str,
    params: Sequence,
    *,
    also: str = "",
    lock: bool = False,
    only: tuple[str, ...] = (),
) -> list:
    """The rows ``model_read`` selects, as instances of ``model``, each column converted as the
    ORM converts it (``from_db_value`` included); each of ``also``'s columns an attribute by its
    name, as the database gave it; with ``only``, the other fields deferred, as ``.only()``
    leaves them (read on first use). What ``Model.objects.raw`` does, without working out again
    for every read which column is which field and how to convert it."""
    sql = model_read(model, where, also=also, lock=lock, only=only)
    converters = _converters(model, only)
    names = [field.attname for field in _fields(model, only)] if only else None  # None: all
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
        extra = [column[0] for column in cursor.description[len(converters) :]]
    rows = []
    for values in found:
        fields = [
            _converted(value, column, steps)
            for value, (column, steps) in zip(values, converters, strict=False)
        ]
        row = model.from_db(connection.alias, names, fields)
        for name, value in zip(extra, values[len(converters) :], strict=True):
            setattr(row, name, value)
        rows.append(row)
    return rows


def model_row(model, where: str, params: Sequence, **options):
    """The first of ``model_rows``, or None when nothing matched."""
    rows = model_rows(model, where, params, **options)
    return rows[0] if rows else None


@functools.cache
def _fields(model, only: tuple[str, ...]) -> tuple:
    """The concrete fields read, in the model's order: all, or those ``only`` names (the key
    always, as ``.only()`` reads it)."""
    fields = model._meta.concrete_fields
    if not only:
        return tuple(fields)
    return tuple(f for f in fields if f.primary_key or f.name in only or f.attname in only)


@functools.cache
def _converters(model, only: tuple[str, ...] = ()) -> list[tuple]:
    """For each field read of ``model``, in order: its column and the backend's and the field's
    converters of it (the compiler's ``get_converters`` for one model's columns)."""
    steps = []
    for field in _fields(model, only):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        steps.append((column, found))
    return steps


def _converted(value, column, steps: list):
    for step in steps:
        value = step(value, column, connection)
    return value


def model_update(row, names: Sequence[str]) -> None:
    """``row.save(update_fields=names)`` with its UPDATE written once per model and fields: each
    value prepared as the ORM prepares it (``pre_save`` included, so an ``auto_now`` field is
    set on the row too), and the same error when no row had its key. Models written so have no
    save signals or overridden ``save``."""
    fields = [type(row)._meta.get_field(name) for name in names]
    params = [field.get_db_prep_save(field.pre_save(row, False), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(type(row), tuple(names)), [*params, row.pk])
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")


@functools.cache
def _update_sql(model, names: tuple[str, ...]) -> str:
    quote, meta = connection.ops.quote_name, model._meta
    columns = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in names)
    return f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608


def row_key(value) -> int | None:
    """``value`` as a row key: a number, or its text as a URL, a form or a session holds it
    (ASCII digits only: "²" and "١" are digits to Python, and " 5", "+5" and "5_0" are numbers
    to ``int()``); None when no row can have it, including a number out of a BIGINT column's
    range, which PostgreSQL refuses as a parameter (aborting the transaction)."""
    if type(value) is int:
        key = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        key = int(value)
    else:
        return None
    return key if 0 < key <= _KEY_MAX else None
