"""Encryption-key rotation for stored credentials."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from accounts import crypto
from accounts.models import ExchangeConnection


@dataclass
class RotationReport:
    total: int = 0
    rotated: int = 0
    failed_ids: list[int] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failed_ids)


@sensitive_variables()
def _lookup_of(token: str) -> str:
    return crypto.key_lookup(crypto.decrypt(token))


def encryption_keys_rotate() -> RotationReport:
    """Re-encrypt each connection's key and secret under the first configured key, and re-make
    its key lookup with it, row by row (each row in its own transaction: one bad row does not
    hold back the others)."""
    report = RotationReport()
    for pk in ExchangeConnection.objects.values_list("pk", flat=True).iterator():
        report.total += 1
        with transaction.atomic():
            conn = ExchangeConnection.objects.select_for_update().get(pk=pk)
            try:
                key = crypto.rotate(conn.api_key_encrypted)
                secret = crypto.rotate(conn.api_secret_encrypted)
                lookup = _lookup_of(key)
            except crypto.CredentialsUnavailable:
                conn.needs_new_keys = True
                conn.save(update_fields=["needs_new_keys", "updated_at"])
                report.failed_ids.append(pk)
                continue
            conn.api_key_encrypted, conn.api_secret_encrypted = key, secret
            conn.api_key_lookup = lookup
            conn.save(
                update_fields=[
                    "api_key_encrypted",
                    "api_secret_encrypted",
                    "api_key_lookup",
                    "updated_at",
                ]
            )
            report.rotated += 1
    return report
