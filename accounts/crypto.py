"""Authenticated encryption of exchange credentials at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come only from settings (the environment). The first key encrypts; every key decrypts, so
keys can be rotated by prepending a new one and re-encrypting rows.
"""

from __future__ import annotations

import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnavailable(Exception):
    """A stored credential could not be decrypted (tampered row or a retired key)."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.DESK_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        # Deliberately no detail: the token itself must not end up in logs.
        raise CredentialsUnavailable("stored credential cannot be decrypted") from exc


def fingerprint(api_key: str) -> str:
    """A short, stable, non-reversible label for a key: what the UI shows instead of the key."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def rotate(token: str) -> str:
    """The same plaintext re-encrypted under the first key (MultiFernet.rotate)."""
    try:
        return _current().rotate(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise CredentialsUnavailable("stored credential cannot be decrypted") from exc
