"""Reads written as SQL once per shape, for the few made on every request or event, where the
ORM building the query again each time cost more than running it (README, "Order latency in the
browser")."""

from __future__ import annotations

import functools

from django.db import connection


@functools.cache
def model_read(model, where: str, *, also: str = "", lock: bool = False) -> str:
    """A SELECT of ``model``'s rows (every column, and ``also``) WHERE ``where``, in the model's
    default ordering. ``where`` names columns by field in braces (``{order_id}``), quoted here
    from the model; every value stays a parameter. ``lock``: FOR UPDATE where the database locks
    rows, held by the caller's transaction."""
    quote = connection.ops.quote_name
    meta = model._meta
    columns = {field.name: quote(field.column) for field in meta.concrete_fields}
    sql = f"SELECT *{', ' + also if also else ''} FROM {quote(meta.db_table)}"  # noqa: S608
    sql += f" WHERE {where.format(**columns)}"
    order = [
        f"{columns[name.lstrip('-')]}{' DESC' if name[0] == '-' else ''}" for name in meta.ordering
    ]
    if order:
        sql += " ORDER BY " + ", ".join(order)
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql
