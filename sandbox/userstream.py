"""listenKeys for user data streams (spec "User Data Streams").

A key is valid for 60 minutes after creation or the last keepalive. An account has at most
one active key: POST returns it (extended) if there is one.
"""

from __future__ import annotations

import random
import string

from . import errors
from .accounts import Account
from .clock import Clock

VALIDITY_MS = 60 * 60 * 1000


class ListenKeys:
    def __init__(self, clock: Clock, rng: random.Random) -> None:
        self.clock = clock
        self._rng = rng
        self._keys: dict[str, tuple[Account, int]] = {}  # key -> (account, expires at)
        self._by_account: dict[int, str] = {}

    def start(self, acct: Account) -> str:
        key = self._by_account.get(acct.account_id)
        if key is None or self.account_of(key) is None:
            key = "".join(self._rng.choices(string.ascii_letters + string.digits, k=64))
            self._by_account[acct.account_id] = key
        self._keys[key] = (acct, self.clock.now_ms() + VALIDITY_MS)
        return key

    def keepalive(self, key: str, acct: Account) -> None:
        self._owned(key, acct)
        self._keys[key] = (acct, self.clock.now_ms() + VALIDITY_MS)

    def close(self, key: str, acct: Account) -> None:
        self._owned(key, acct)
        self._drop(key)

    def account_of(self, key: str) -> Account | None:
        entry = self._keys.get(key)
        if entry is None or entry[1] <= self.clock.now_ms():
            return None
        return entry[0]

    def key_of(self, acct: Account) -> str | None:
        key = self._by_account.get(acct.account_id)
        return key if key is not None and self.account_of(key) is not None else None

    def expire_due(self) -> list[str]:
        """Forget keys past their validity; return them so their sockets can be closed."""
        now = self.clock.now_ms()
        due = [k for k, (_, expires) in self._keys.items() if expires <= now]
        for key in due:
            self._drop(key)
        return due

    def _owned(self, key: str, acct: Account) -> None:
        if self.account_of(key) is not acct:
            raise errors.invalid_listen_key()

    def _drop(self, key: str) -> None:
        acct, _ = self._keys.pop(key)
        if self._by_account.get(acct.account_id) == key:
            del self._by_account[acct.account_id]
