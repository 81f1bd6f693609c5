"""The audit trail of actions that change something on the exchange or in a user's keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from accounts.models import AuditOutcome, AuditRecord, ExchangeConnection

# Parameter names whose values never reach the audit table (or anywhere else we store).
_SECRET_NAME = re.compile(r"secret|signature|api_?key|password|token|otp", re.IGNORECASE)


def scrub(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-safe copy of ``params`` with credential-like fields removed and values as text."""
    clean: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if _SECRET_NAME.search(name):
            continue
        if isinstance(value, Mapping):
            clean[name] = scrub(value)
        elif value is None or isinstance(value, bool | int | str):
            clean[name] = value
        else:
            clean[name] = str(value)  # Decimal, datetime…: exact text, never float
    return clean


def audit_record(
    *,
    user,
    action: str,
    outcome: str = AuditOutcome.OK,
    connection: ExchangeConnection | None = None,
    params: Mapping[str, Any] | None = None,
    error_code: int | None = None,
    error_message: str = "",
    exchange_ids: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditRecord:
    return AuditRecord.objects.create(
        user=user,
        connection=connection,
        connection_label=connection.label if connection else "",
        action=action,
        params=scrub(params),
        outcome=outcome,
        error_code=error_code,
        error_message=error_message[:300],
        exchange_ids=scrub(exchange_ids),
        ip=ip,
    )
