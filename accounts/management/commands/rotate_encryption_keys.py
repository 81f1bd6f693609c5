"""Re-encrypt every stored credential with the first key of DESK_ENCRYPTION_KEYS.

Rotation: put the new key first, keep the old ones after it, run this, then drop the old keys.
Rows that no key can decrypt are reported and marked as needing new keys; they are not touched
otherwise, and the command exits non-zero so a rotation script notices.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.services.keys import encryption_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt all stored API keys and secrets with the current (first) encryption key."

    def handle(self, *args, **options):
        report = encryption_keys_rotate()
        self.stdout.write(
            f"connections: {report.total} · re-encrypted: {report.rotated} · "
            f"undecryptable: {report.failed}"
        )
        if report.failed:
            ids = ", ".join(str(pk) for pk in report.failed_ids)
            raise CommandError(f"{report.failed} connection(s) need new keys: {ids}")
