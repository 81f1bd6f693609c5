"""Writes for exchange connections: add, replace keys, rename, enable/disable, delete.

Exchange calls happen outside database transactions; rows are written only after the exchange
has answered, so a failed verification leaves nothing behind. Every action is audited.

A user's labels are unique (the database says so too), and so are their API keys per
environment: a key stored twice would be synced, traded and audited twice under two names.
Both are checked before the exchange is asked, and again when the row is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

import binanceus
from accounts import crypto
from accounts.access import BALANCES, TRANSFER, connection_can, key_type_can
from accounts.audit import audit_record
from accounts.exchange import client_for_credentials, describe_error
from accounts.models import AuditOutcome, ExchangeConnection
from accounts.services.balances import balances_store

log = logging.getLogger(__name__)


class ConnectionInputError(Exception):
    """The input is refused before anything was sent or saved, e.g. it conflicts with the
    user's other connections. ``errors`` maps form field names to their messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


LABEL_IN_USE = "You already have a connection with this label."
LABEL_MAX_LENGTH = ExchangeConnection._meta.get_field("label").max_length


def _label_clean(label: str) -> str:
    label = label.strip()
    if not label:
        raise ConnectionInputError({"label": "Enter a label."})
    if len(label) > LABEL_MAX_LENGTH:
        raise ConnectionInputError({"label": f"At most {LABEL_MAX_LENGTH} characters."})
    return label


def _label_taken(*, user, label: str, exclude_pk: int | None) -> bool:
    """Exactly the database's rule (``unique_label_per_user``) on the stripped label: one
    differing in case or inner spacing is another label."""
    return ExchangeConnection.objects.filter(user=user, label=label).exclude(pk=exclude_pk).exists()


@sensitive_variables("api_key")
def _label_holding_key(
    *, user, environment: str, api_key: str, exclude_pk: int | None
) -> str | None:
    """The label of the user's other connection in ``environment`` that stores ``api_key``.
    Compared by keyed fingerprint: Fernet tokens are not comparable, and no key is decrypted."""
    return (
        ExchangeConnection.objects.filter(
            user=user, environment=environment, api_key_lookup__in=crypto.key_lookups(api_key)
        )
        .exclude(pk=exclude_pk)
        .values_list("label", flat=True)
        .first()
    )


@sensitive_variables("api_key")
def _conflicts_check(
    *,
    user,
    environment: str,
    label: str | None = None,
    api_key: str | None = None,
    exclude_pk: int | None = None,
) -> None:
    """Refuse a label the user already uses, or an API key they already store in another
    connection of the same environment (it would be synced, traded and audited twice)."""
    errors = {}
    if label is not None and _label_taken(user=user, label=label, exclude_pk=exclude_pk):
        errors["label"] = LABEL_IN_USE
    if api_key is not None:
        holder = _label_holding_key(
            user=user, environment=environment, api_key=api_key, exclude_pk=exclude_pk
        )
        if holder is not None:
            errors["api_key"] = f"This API key is already stored in your connection “{holder}”."
    if errors:
        raise ConnectionInputError(errors)


@contextlib.contextmanager
def _label_race_as_input_error(*, user, label: str, exclude_pk: int | None = None):
    """Around a transaction: the database's label constraint, hit by a concurrent request
    between check and write, becomes the same field error the check gives."""
    try:
        yield
    except IntegrityError:
        if _label_taken(user=user, label=label, exclude_pk=exclude_pk):
            raise ConnectionInputError({"label": LABEL_IN_USE}) from None
        raise


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


def _audit(connection: ExchangeConnection, action: str, *, ip, params=None) -> None:
    audit_record(user=connection.user, action=action, connection=connection, params=params, ip=ip)


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
def _verify_keys(connection: ExchangeConnection, *, api_key, api_secret, action, ip, params=None):
    """The exchange's verdict on a key pair for ``connection`` (stored or not yet); a refusal is
    audited (against the connection once it exists) and raised again."""
    try:
        return credentials_verify(
            key_type=connection.key_type,
            environment=connection.environment,
            api_key=api_key,
            api_secret=api_secret,
            rail=connection.custodian_rail,
        )
    except ConnectionVerificationError as exc:
        stored = connection if connection.pk else None
        _audit_failure(
            user=connection.user, action=action, exc=exc, connection=stored, params=params, ip=ip
        )
        raise


@sensitive_variables("api_key", "api_secret")
def _save_verified(connection, verification, *, api_key: str, api_secret: str) -> None:
    _store_keys(connection, api_key=api_key, api_secret=api_secret)
    _apply_verification(connection, verification)
    connection.save()


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
    label = _label_clean(label)
    _conflicts_check(user=user, environment=environment, label=label, api_key=api_key)
    params = {"label": label, "key_type": key_type, "environment": environment, "rail": rail}
    connection = ExchangeConnection(
        user=user, label=label, key_type=key_type, environment=environment, custodian_rail=rail
    )
    verification = _verify_keys(
        connection,
        api_key=api_key,
        api_secret=api_secret,
        action="connection.create",
        ip=ip,
        params=params,
    )
    with _label_race_as_input_error(user=user, label=label), transaction.atomic():
        # Again: another request may have stored the label or key while the exchange answered.
        _conflicts_check(user=user, environment=environment, label=label, api_key=api_key)
        _save_verified(connection, verification, api_key=api_key, api_secret=api_secret)
        if key_type_can(key_type, BALANCES):
            balances_store(
                connection=connection,
                balances=verification.balances,
                synced_at=connection.verified_at,
            )
        _audit(connection, "connection.create", ip=ip, params=params)
        _after_verified(connection)
    return connection


@sensitive_variables("api_key", "api_secret")
def _store_keys(connection: ExchangeConnection, *, api_key: str, api_secret: str) -> None:
    connection.api_key_encrypted = crypto.encrypt(api_key)
    connection.api_secret_encrypted = crypto.encrypt(api_secret)
    connection.key_fingerprint = crypto.fingerprint(api_key)
    connection.api_key_lookup = crypto.key_lookup(api_key)


def _after_verified(connection: ExchangeConnection) -> None:
    """Follow-up reads that need not hold up the page: a master key's sub-accounts."""
    if connection_can(connection, TRANSFER):
        from accounts.tasks import sync_subaccounts  # tasks import services

        pk = connection.pk
        transaction.on_commit(lambda: sync_subaccounts.delay(pk))


@sensitive_variables("api_key", "api_secret")
def connection_replace_keys(
    *, connection: ExchangeConnection, api_key: str, api_secret: str, ip: str | None = None
) -> ExchangeConnection:
    """Swap in a new key pair for the same connection after the exchange accepts it."""
    _conflicts_check(
        user=connection.user,
        environment=connection.environment,
        api_key=api_key,
        exclude_pk=connection.pk,
    )
    verification = _verify_keys(
        connection, api_key=api_key, api_secret=api_secret, action="connection.replace_keys", ip=ip
    )
    with transaction.atomic():
        _conflicts_check(
            user=connection.user,
            environment=connection.environment,
            api_key=api_key,
            exclude_pk=connection.pk,
        )
        _save_verified(connection, verification, api_key=api_key, api_secret=api_secret)
        _audit(
            connection,
            "connection.replace_keys",
            ip=ip,
            params={"key_fingerprint": connection.key_fingerprint},
        )
        _after_verified(connection)
    return connection


def connection_import(
    *, user, label: str, key_type: str, environment: str, api_key: str, api_secret: str
) -> ExchangeConnection:
    """Store credentials without asking the exchange (demo seeding, before the sandbox runs).
    The first balance sync fills in what the exchange says about the key."""
    label = _label_clean(label)
    with _label_race_as_input_error(user=user, label=label), transaction.atomic():
        _conflicts_check(user=user, environment=environment, label=label, api_key=api_key)
        connection = ExchangeConnection(
            user=user, label=label, key_type=key_type, environment=environment
        )
        _store_keys(connection, api_key=api_key, api_secret=api_secret)
        connection.save()
    return connection


def connection_rename(
    *, connection: ExchangeConnection, label: str, ip: str | None = None
) -> ExchangeConnection:
    label = _label_clean(label)
    _conflicts_check(
        user=connection.user,
        environment=connection.environment,
        label=label,
        exclude_pk=connection.pk,
    )
    old = connection.label
    try:
        with (
            _label_race_as_input_error(user=connection.user, label=label, exclude_pk=connection.pk),
            transaction.atomic(),
        ):
            connection.label = label
            connection.save(update_fields=["label", "updated_at"])
            _audit(connection, "connection.rename", ip=ip, params={"from": old, "to": label})
    except ConnectionInputError:
        connection.label = old
        raise
    return connection


@transaction.atomic
def connection_set_active(
    *, connection: ExchangeConnection, active: bool, ip: str | None = None
) -> ExchangeConnection:
    connection.is_active = active
    connection.save(update_fields=["is_active", "updated_at"])
    _audit(connection, "connection.enable" if active else "connection.disable", ip=ip)
    return connection


@transaction.atomic
def connection_delete(*, connection: ExchangeConnection, ip: str | None = None) -> None:
    _audit(connection, "connection.delete", ip=ip, params={"label": connection.label})
    connection.delete()
