"""Demo data for `make run`: a demo user whose connection points at the embedded sandbox.

The sandbox keeps its state in memory, so the demo account is described in a bootstrap file that
the sandbox loads at every start; this command writes that file once (random credentials, kept
under var/, never in the repo) and stores the same key, encrypted, on the demo connection.
"""

import json
import secrets
import string
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import crypto, services
from accounts.models import Environment, ExchangeConnection, KeyType

DEMO_EMAIL = "demo@sandbox.local"
DEMO_LABEL = "Demo (sandbox)"
DEMO_BALANCES = {"USD": "25000", "USDT": "10000", "BTC": "1.5", "ETH": "12", "SOL": "150"}
# The demo master has two sub-accounts, so transfers and schedules can be tried at once.
DEMO_SUBACCOUNTS = {
    "demo-trading@sandbox.local": {"USD": "1500", "BTC": "0.25"},
    "demo-savings@sandbox.local": {"USD": "800"},
}


def _token(n: int = 64) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def bootstrap_load_or_create(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    data = {
        "accounts": [
            {
                "email": DEMO_EMAIL,
                "balances": DEMO_BALANCES,
                "keys": [{"type": "exchange", "apiKey": _token(), "secretKey": _token()}],
            },
            *(
                {"email": email, "master": DEMO_EMAIL, "balances": balances}
                for email, balances in DEMO_SUBACCOUNTS.items()
            ),
        ]
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(data, indent=2))
    return data


class Command(BaseCommand):
    help = "Create the demo user and its sandbox connection (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo-desk-2026")
        parser.add_argument(
            "--bootstrap", default=str(Path(settings.VAR_DIR) / "sandbox-bootstrap.json")
        )

    def handle(self, *args, username, password, bootstrap, **options):
        data = bootstrap_load_or_create(Path(bootstrap))
        key = data["accounts"][0]["keys"][0]
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            demo = ExchangeConnection.objects.filter(user=user, label=DEMO_LABEL).first()
            if demo and demo.key_fingerprint != crypto.fingerprint(key["apiKey"]):
                # var/ was partly reset: the sandbox will load the new key, so follow it.
                services.connection_delete(connection=demo)
                demo = None
            if demo is None:
                demo = services.connection_import(
                    user=user,
                    label=DEMO_LABEL,
                    key_type=KeyType.EXCHANGE,
                    environment=Environment.SANDBOX,
                    api_key=key["apiKey"],
                    api_secret=key["secretKey"],
                )
                demo.account_email = DEMO_EMAIL
                demo.save(update_fields=["account_email"])
        state = "created" if created else "exists"
        self.stdout.write(f"demo user {username!r} {state}; sandbox bootstrap at {bootstrap}")
