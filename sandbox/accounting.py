"""Counts of the REST requests the exchange received (for tests: "zero requests reached the
exchange"), read and reset through the admin API. /sandbox admin calls are not counted."""

from __future__ import annotations

from collections import Counter


class RequestLog:
    def __init__(self) -> None:
        self.total = 0
        self.by_key: Counter[str] = Counter()
        self.by_path: Counter[str] = Counter()

    def record(self, api_key: str | None, path: str) -> None:
        self.total += 1
        if api_key:
            self.by_key[api_key] += 1
        self.by_path[path] += 1

    def reset(self) -> None:
        self.total = 0
        self.by_key.clear()
        self.by_path.clear()

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "byApiKey": dict(sorted(self.by_key.items())),
            "byPath": dict(sorted(self.by_path.items())),
        }
