"""Brute-force throttling of password and second-factor checks.

Failures are counted per username and per client IP in the shared cache (Redis), so every web
process sees the same counts. Past the limit, checks are refused without looking at the password
until the window passes: a locked-out attacker learns nothing from further guesses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

LOCKED_OUT = "Too many failed attempts. Try again in {minutes} minutes."


class LockedOut(Exception):
    """Too many recent failures for this username or IP: the check was not even made."""

    def __init__(self):
        super().__init__(LOCKED_OUT.format(minutes=settings.DESK_LOGIN_LOCKOUT_SECONDS // 60))


def _keys(*, scope: str, username: str, ip: str | None) -> list[str]:
    # Hashed: the username is whatever was typed (10,000 characters, spaces, control
    # characters), and a cache key must stay short and plain.
    user = hashlib.sha256(username.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()
    keys = [f"desk:throttle:{scope}:user:{user}"]
    if ip:
        keys.append(f"desk:throttle:{scope}:ip:{ip}")
    return keys


def attempts_allowed(*, scope: str, username: str, ip: str | None) -> bool:
    counts = cache.get_many(_keys(scope=scope, username=username, ip=ip))
    return all(n < settings.DESK_LOGIN_MAX_FAILURES for n in counts.values())


def attempt_failed(*, scope: str, username: str, ip: str | None) -> None:
    for key in _keys(scope=scope, username=username, ip=ip):
        # add() starts the window on the first failure; later failures do not extend it.
        if not cache.add(key, 1, timeout=settings.DESK_LOGIN_LOCKOUT_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=settings.DESK_LOGIN_LOCKOUT_SECONDS)


def attempt_succeeded(*, scope: str, username: str) -> None:
    cache.delete(_keys(scope=scope, username=username, ip=None)[0])


def throttled_check(
    *, scope: str, username: str, ip: str | None, check: Callable[[], bool]
) -> bool:
    """``check()``, counted: a failure towards the lockout, a success clearing the username's
    count. Locked out, ``LockedOut`` is raised without calling ``check``."""
    if not attempts_allowed(scope=scope, username=username, ip=ip):
        raise LockedOut
    if check():
        attempt_succeeded(scope=scope, username=username)
        return True
    attempt_failed(scope=scope, username=username, ip=ip)
    return False


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
