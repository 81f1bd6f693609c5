"""What a request left behind: every row of the desk's apps, and the requests the sandbox
exchange counted on endpoints that carry an API key (public market data, read to check a
ticket, is no leak)."""

from __future__ import annotations

from collections import Counter, defaultdict

import requests
from django.apps import apps

# The apps whose unique text fields the matrix reuses as "taken" values.
DESK_APPS = ("accounts", "transfers", "trading", "dashboard")
# Every app with rows: a refused form leaves none of them changed.
WRITTEN_APPS = (*DESK_APPS, "wallet", "custody", "creditline", "convert", "rewards")


def desk_models(labels=DESK_APPS) -> list:
    return [m for label in labels for m in apps.get_app_config(label).get_models()]


def rows_snapshot() -> dict[str, list[tuple]]:
    """Every row of every model of the desk's apps (plain SQL: this runs twice per case)."""
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for m in desk_models(WRITTEN_APPS):
            cursor.execute(f'SELECT * FROM "{m._meta.db_table}" ORDER BY 1')
            out[m._meta.label] = cursor.fetchall()
    return out


def rows_changed(before: dict, after: dict) -> list[str]:
    out = []
    for label, rows in after.items():
        old = before[label]
        if rows != old:
            added = len(set(rows) - set(old)) if _hashable(rows, old) else "?"
            out.append(f"{label}: {len(old)} -> {len(rows)} rows ({added} new or changed)")
    return out


def _hashable(*lists) -> bool:
    try:
        for rows in lists:
            set(rows)
    except TypeError:
        return False
    return True


def _public_paths() -> frozenset[str]:
    """Paths every endpoint of which is public market data (security NONE in the sandbox's
    endpoint table, which is the spec's): reading them sends no key and no order."""
    from sandbox.endpoint_table import ENDPOINTS

    security = defaultdict(set)
    for e in ENDPOINTS:
        security[e.path].add(e.security)
    return frozenset(p for p, s in security.items() if s == {"NONE"})


def money_moving_paths() -> frozenset[str]:
    """Where an order or a transfer is sent: the POSTs among the operations the sandbox lets
    tests fault (its own list of what moves money)."""
    from sandbox.app import FAULTED_ENDPOINTS

    return frozenset(path for method, path in FAULTED_ENDPOINTS if method == "POST")


class ExchangeTally:
    """The sandbox's request counts, by path, for endpoints that carry an API key."""

    def __init__(self, base_url: str):
        self.url = f"{base_url}/sandbox/v1/requests"
        self.http = requests.Session()
        self.public = _public_paths()

    def keyed(self) -> Counter:
        by_path = self.http.get(self.url, timeout=5).json()["byPath"]
        return Counter({p: n for p, n in by_path.items() if p not in self.public})

    @staticmethod
    def since(before: Counter, after: Counter) -> dict[str, int]:
        return {p: after[p] - before.get(p, 0) for p in after if after[p] != before.get(p, 0)}
