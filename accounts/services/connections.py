"""Writes for exchange connections: add, replace keys, rename, enable/disable, delete.

Exchange calls happen outside database transactions; rows are written only after the exchange
has answered, so a failed verification leaves nothing behind. Every action is audited.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

import binanceus
from accounts import crypto
from accounts.audit import audit_record
from accounts.exchange import client_for_credentials, describe_error
from accounts.models import AuditOutcome, ExchangeConnection, KeyType
from accounts.services.balances import balances_store

log = logging.getLogger(__name__)


class ConnectionVerificationError(Exception):
    """The exchange refused the credentials (or could not be reached); nothing was saved."""

    def __init__(self, message: str, *, code: int | None = None):
        super().__init__(message)
        self.code = code


@sensitive_variables("api_key", "api_secret")
def credentials_verify(
    *, key_type: str, environment: str, api_key: str, api_secret: str, rail: str = ""
) -> binanceus.KeyVerification:
    """Ask the exchange, with the endpoint that fits the key type, whether the key works and what
    it may do."""
    client = client_for_credentials(environment=environment, api_key=api_key, api_secret=api_secret)
    try:
        with client:
            return client.verify(key_type, rail=rail or None)
    except binanceus.BinanceUSError as exc:
        raise ConnectionVerificationError(
            describe_error(exc), code=getattr(exc, "code", None)
        ) from None


def _json_safe(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _json_safe(dataclasses.asdict(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _apply_verification(connection: ExchangeConnection, v: binanceus.KeyVerification) -> None:
    connection.can_trade = v.can_trade
    connection.can_withdraw = v.can_withdraw
    connection.can_deposit = v.can_deposit
    connection.permissions = list(v.permissions or [])
    connection.account_status = v.account_status or ""
    connection.trading_locked = v.trading_locked
    connection.trading_indicators = _json_safe(v.trading_indicators or {})
    connection.verified_at = timezone.now()
    connection.needs_new_keys = False


def _audit_failure(*, user, action, exc, connection=None, params=None, ip=None) -> None:
    audit_record(
        user=user,
        action=action,
        outcome=AuditOutcome.ERROR,
        connection=connection,
        params=params,
        error_code=exc.code,
        error_message=str(exc),
        ip=ip,
    )


@sensitive_variables("api_key", "api_secret")
def connection_create(
    *,
    user,
    label: str,
    key_type: str,
    environment: str,
    api_key: str,
    api_secret: str,
    rail: str = "",
    ip: str | None = None,
) -> ExchangeConnection:
    params = {"label": label, "key_type": key_type, "environment": environment, "rail": rail}
    try:
        verification = credentials_verify(
            key_type=key_type,
            environment=environment,
            api_key=api_key,
            api_secret=api_secret,
            rail=rail,
        )
    except ConnectionVerificationError as exc:
        _audit_failure(user=user, action="connection.create", exc=exc, params=params, ip=ip)
        raise
    with transaction.atomic():
        connection = ExchangeConnection(
            user=user,
            label=label,
            key_type=key_type,
            environment=environment,
            custodian_rail=rail,
            api_key_encrypted=crypto.encrypt(api_key),
            api_secret_encrypted=crypto.encrypt(api_secret),
            key_fingerprint=crypto.fingerprint(api_key),
        )
        _apply_verification(connection, verification)
        connection.save()
        if key_type == KeyType.EXCHANGE:
            balances_store(
                connection=connection,
                balances=verification.balances,
                synced_at=connection.verified_at,
            )
        audit_record(
            user=user, action="connection.create", connection=connection, params=params, ip=ip
        )
        _after_verified(connection)
    return connection


def _after_verified(connection: ExchangeConnection) -> None:
    """Follow-up reads that need not hold up the page: a master key's sub-accounts."""
    if connection.key_type == KeyType.EXCHANGE:
        from accounts.tasks import sync_subaccounts  # tasks import services

        pk = connection.pk
        transaction.on_commit(lambda: sync_subaccounts.delay(pk))


@sensitive_variables("api_key", "api_secret")
def connection_replace_keys(
    *, connection: ExchangeConnection, api_key: str, api_secret: str, ip: str | None = None
) -> ExchangeConnection:
    """Swap in a new key pair for the same connection after the exchange accepts it."""
    try:
        verification = credentials_verify(
            key_type=connection.key_type,
            environment=connection.environment,
            api_key=api_key,
            api_secret=api_secret,
            rail=connection.custodian_rail,
        )
    except ConnectionVerificationError as exc:
        _audit_failure(
            user=connection.user,
            action="connection.replace_keys",
            exc=exc,
            connection=connection,
            ip=ip,
        )
        raise
    with transaction.atomic():
        connection.api_key_encrypted = crypto.encrypt(api_key)
        connection.api_secret_encrypted = crypto.encrypt(api_secret)
        connection.key_fingerprint = crypto.fingerprint(api_key)
        _apply_verification(connection, verification)
        connection.save()
        audit_record(
            user=connection.user,
            action="connection.replace_keys",
            connection=connection,
            params={"key_fingerprint": connection.key_fingerprint},
            ip=ip,
        )
        _after_verified(connection)
    return connection


def connection_import(
    *, user, label: str, key_type: str, environment: str, api_key: str, api_secret: str
) -> ExchangeConnection:
    """Store credentials without asking the exchange (demo seeding, before the sandbox runs).
    The first balance sync fills in what the exchange says about the key."""
    return ExchangeConnection.objects.create(
        user=user,
        label=label,
        key_type=key_type,
        environment=environment,
        api_key_encrypted=crypto.encrypt(api_key),
        api_secret_encrypted=crypto.encrypt(api_secret),
        key_fingerprint=crypto.fingerprint(api_key),
    )


@transaction.atomic
def connection_rename(
    *, connection: ExchangeConnection, label: str, ip: str | None = None
) -> ExchangeConnection:
    old = connection.label
    connection.label = label
    connection.save(update_fields=["label", "updated_at"])
    audit_record(
        user=connection.user,
        action="connection.rename",
        connection=connection,
        params={"from": old, "to": label},
        ip=ip,
    )
    return connection


@transaction.atomic
def connection_set_active(
    *, connection: ExchangeConnection, active: bool, ip: str | None = None
) -> ExchangeConnection:
    connection.is_active = active
    connection.save(update_fields=["is_active", "updated_at"])
    audit_record(
        user=connection.user,
        action="connection.enable" if active else "connection.disable",
        connection=connection,
        ip=ip,
    )
    return connection


@transaction.atomic
def connection_delete(*, connection: ExchangeConnection, ip: str | None = None) -> None:
    audit_record(
        user=connection.user,
        action="connection.delete",
        connection=connection,
        params={"label": connection.label},
        ip=ip,
    )
    connection.delete()
