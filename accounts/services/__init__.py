"""Writes of the accounts app, one module per entity; re-exported here for callers."""

from accounts.services.balances import connection_request_sync, connection_sync_balances
from accounts.services.connections import (
    ConnectionInputError,
    ConnectionVerificationError,
    connection_create,
    connection_delete,
    connection_import,
    connection_rename,
    connection_replace_keys,
    connection_set_active,
    credentials_verify,
)
from accounts.services.subaccounts import subaccounts_request_sync, subaccounts_sync

__all__ = [
    "ConnectionInputError",
    "ConnectionVerificationError",
    "connection_create",
    "connection_delete",
    "connection_import",
    "connection_rename",
    "connection_replace_keys",
    "connection_request_sync",
    "connection_set_active",
    "connection_sync_balances",
    "credentials_verify",
    "subaccounts_request_sync",
    "subaccounts_sync",
]
