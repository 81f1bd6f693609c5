"""Authenticated encryption of exchange credentials at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come only from settings (the environment). The first key encrypts; every key decrypts, so
keys can be rotated by prepending a new one and re-encrypting rows.

Fernet tokens differ on every encryption, so the database cannot say whether a key is already
stored; ``key_lookup`` gives each API key a keyed fingerprint (an HMAC) that it can compare.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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


# A separate key per purpose: the lookup HMAC never uses the Fernet key material itself.
_LOOKUP_CONTEXT = b"desk:api-key-lookup:v1"


@cache
def _lookup_keys(keys: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(
        hmac.new(base64.urlsafe_b64decode(k), _LOOKUP_CONTEXT, hashlib.sha256).digest()
        for k in keys
    )


def _lookup(lookup_key: bytes, api_key: str) -> str:
    return hmac.new(lookup_key, api_key.encode(), hashlib.sha256).hexdigest()


def key_lookup(api_key: str) -> str:
    """The API key's keyed fingerprint under the first (current) key, as stored with the row.

    Never shown: unlike ``fingerprint`` it cannot be checked against a list of leaked keys by
    someone holding the database but not the encryption keys.
    """
    return _lookup(_lookup_keys(tuple(settings.DESK_ENCRYPTION_KEYS))[0], api_key)


def key_lookups(api_key: str) -> list[str]:
    """The API key's fingerprint under every configured key: until rotation has re-stored a row,
    its lookup was made under an older key, exactly as its token still decrypts only with it."""
    return [_lookup(k, api_key) for k in _lookup_keys(tuple(settings.DESK_ENCRYPTION_KEYS))]


def rotate(token: str) -> str:
    """The same plaintext re-encrypted under the first key (MultiFernet.rotate)."""
    try:
        return _current().rotate(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise CredentialsUnavailable("stored credential cannot be decrypted") from exc
