"""Demo data for `make run`: a demo user whose connections point at the embedded sandbox: an
exchange key (a master account with two sub-accounts and SOL staked), a custodial key
(partner ANCHORAGE) and a credit-line key (SOL pledged against a USD loan, at an LTV of 0.55 at
the sandbox's starting SOL price), so every part of the dashboard has something from the start.

The sandbox keeps its state in memory, so the demo account is described in a bootstrap file that
the sandbox loads at every start. This command writes that file (random credentials, kept under
var/, never in the repo; an existing file keeps its credentials and gets the rest of the demo as
described here) and stores the same keys, encrypted, on the demo connections. It also marks the
demo's staking and custody as followed, as opening their tabs would: the beat syncs them from
its start (desk/celery.py), and the dashboard shows what is stored.
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
from custody.models import CustodySync
from wallet.staking.models import StakingSync

DEMO_EMAIL = "demo@sandbox.local"
DEMO_LABEL = "Demo (sandbox)"
# 0.01 BNB (about 6 USD at the sandbox's price) is dust: the Dust tab has something to convert.
# The sandbox stakes DEMO_STAKING out of these, leaving 150 SOL in the spot wallet.
DEMO_BALANCES = {
    **{"USD": "25000", "USDT": "10000", "BTC": "1.5", "ETH": "12", "SOL": "210"},
    "BNB": "0.01",
}
# As the stake request's parameters (its rewards are paid out: SOL's catalogue row). ETH stays
# unstaked, for a first stake of one's own on the Staking tab.
DEMO_STAKING = [{"stakingAsset": "SOL", "amount": "60"}]
DEMO_CUSTODY_LABEL = "Demo custody (sandbox)"
DEMO_CREDIT_LABEL = "Demo credit line (sandbox)"
DEMO_RAIL = "ANCHORAGE"
DEMO_CUSTODY = {
    "rail": DEMO_RAIL,
    "balances": {"BTC": "2", "ETH": "20", "USD": "50000"},
    "partnerBalances": {"BTC": "25", "ETH": "300", "USDT": "100000"},
}
# 200 SOL at the sandbox's starting 150.00 USD is 30,000 USD of collateral; 16,500 USD lent.
DEMO_CREDIT_LINE = {
    "balances": {"SOL": "200", "USD": "0"},
    "loanAssets": [{"loanAsset": "USD", "loanQuantity": "20000", "currentLoanQuantity": "16500"}],
    "contractStartTime": 1767225600000,
    "contractEndTime": 1798761600000,
}
# The demo master has two sub-accounts, so transfers and schedules can be tried at once.
DEMO_SUBACCOUNTS = {
    "demo-trading@sandbox.local": {"USD": "1500", "BTC": "0.25", "ETH": "3"},
    "demo-savings@sandbox.local": {"USD": "800", "USDT": "2500", "SOL": "40"},
}
KEY_TYPES = ("exchange", "custodial", "credit_line")


def _token(n: int = 64) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def bootstrap_load_or_create(path: Path) -> dict:
    """The bootstrap document, written to `path` when it differs: the file's credentials where
    it has them (the desk stores them too), new ones for the key types it lacks, and the rest of
    the demo as described here, so a file from an earlier version gains what the demo has since."""
    old = json.loads(path.read_text()) if path.exists() else None
    kept = {k["type"]: k for k in old["accounts"][0]["keys"]} if old else {}
    keys = [
        kept.get(kind) or {"type": kind, "apiKey": _token(), "secretKey": _token()}
        for kind in KEY_TYPES
    ]
    data = _bootstrap(keys)
    if data != old:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)  # a new file is the owner's only; an existing one keeps its mode
        path.write_text(json.dumps(data, indent=2))
    return data


def _bootstrap(keys: list[dict]) -> dict:
    return {
        "accounts": [
            {
                "email": DEMO_EMAIL,
                "balances": DEMO_BALANCES,
                "keys": keys,
                "staking": DEMO_STAKING,
                "custody": DEMO_CUSTODY,
                "creditLine": DEMO_CREDIT_LINE,
            },
            *(
                {"email": email, "master": DEMO_EMAIL, "balances": balances}
                for email, balances in DEMO_SUBACCOUNTS.items()
            ),
        ]
    }


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
        keys = {k["type"]: k for k in data["accounts"][0]["keys"]}
        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            for label, key_type in DEMO_CONNECTIONS:
                connection = _demo_connection(user, label, key_type, keys[key_type])
                _follow(connection)
        state = "created" if created else "exists"
        self.stdout.write(f"demo user {username!r} {state}; sandbox bootstrap at {bootstrap}")


DEMO_CONNECTIONS = (
    (DEMO_LABEL, KeyType.EXCHANGE),
    (DEMO_CUSTODY_LABEL, KeyType.CUSTODIAL),
    (DEMO_CREDIT_LABEL, KeyType.CREDIT_LINE),
)


def _demo_connection(user, label: str, key_type: str, key: dict) -> ExchangeConnection:
    demo = ExchangeConnection.objects.filter(user=user, label=label).first()
    if demo and demo.key_fingerprint != crypto.fingerprint(key["apiKey"]):
        # var/ was partly reset: the sandbox will load the new key, so follow it.
        services.connection_delete(connection=demo)
        demo = None
    if demo is not None:
        return demo
    demo = services.connection_import(
        user=user,
        label=label,
        key_type=key_type,
        environment=Environment.SANDBOX,
        api_key=key["apiKey"],
        api_secret=key["secretKey"],
    )
    demo.account_email = DEMO_EMAIL
    demo.custodian_rail = DEMO_RAIL if key_type == KeyType.CUSTODIAL else ""
    demo.save(update_fields=["account_email", "custodian_rail"])
    return demo


def _follow(connection: ExchangeConnection) -> None:
    """What opening the staking or custody tab does first (the sync rows the beat follows),
    without its sync: the sandbox and the broker are not up while `make run` seeds."""
    if connection.key_type == KeyType.EXCHANGE:
        StakingSync.objects.get_or_create(connection=connection)
    elif connection.key_type == KeyType.CUSTODIAL:
        CustodySync.objects.get_or_create(connection=connection)
