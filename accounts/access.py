"""The one door to a user's connection, and what its key type lets it do.

Every view that carries a connection id fetches it with ``connection_get_for_user``: a stranger's
id and a missing one are the same 404, so an id reveals nothing. With a ``capability`` the key
type decides next (the spec's "API Key Types": an exchange key calls the exchange's account,
trading and wallet areas, a custodial key only the Custodial Solution area, a credit-line key
only the Credit Line area), and a key that cannot do it is refused with a message naming its
type, before anything is sent.

``CapabilityRefused`` is a 404 on purpose: the pages of an action a key cannot do do not exist
for that connection, exactly as before these checks were gathered here (bookmarks and tests
rely on it); ``accounts.views.errors`` shows its message instead of a bare "Not Found".
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import ExchangeConnection, KeyType
from desk.db.sql import model_row, row_key

BALANCES = "balances"
TRADE = "trade"
TRANSFER = "transfer"
WITHDRAW = "withdraw"
WALLET = "wallet"
HISTORY = "history"
CUSTODY = "custody"
CREDIT_LINE = "credit_line"
CONVERT = "convert"
REWARDS = "rewards"

CAPABILITIES: dict[str, frozenset[str]] = {
    KeyType.EXCHANGE: frozenset(
        {BALANCES, TRADE, TRANSFER, WITHDRAW, WALLET, HISTORY, CONVERT, REWARDS}
    ),
    # Every key type has balances: a custodial key's exchange wallet, a credit line's account.
    KeyType.CUSTODIAL: frozenset({BALANCES, CUSTODY}),
    KeyType.CREDIT_LINE: frozenset({BALANCES, CREDIT_LINE}),
}
# What each capability does, as the end of "it cannot …".
ACTIONS = {
    BALANCES: "read spot balances",
    TRADE: "trade on the exchange",
    TRANSFER: "list sub-accounts or transfer between them",
    WITHDRAW: "withdraw funds",
    WALLET: "read deposit addresses, deposits or withdrawals",
    HISTORY: "read the exchange's trade history",
    CUSTODY: "use the Custodial Solution API",
    CREDIT_LINE: "use the Credit Line API",
    CONVERT: "convert assets (OTC quotes and dust)",
    REWARDS: "read referral rewards, partner rebates or broker records",
}
# Orders are sent with the key on every action: a disabled connection, or one whose stored key
# cannot be decrypted, must not reach that far.
NEEDS_USABLE_KEYS = frozenset({TRADE})
KEY_TYPE_NAMES = {
    KeyType.EXCHANGE: "an exchange key",
    KeyType.CUSTODIAL: "a custodial key",
    KeyType.CREDIT_LINE: "a credit-line key",
}


class CapabilityRefused(Http404):
    """The user's own connection, whose key cannot do ``capability``; ``str()`` says why."""

    def __init__(self, *, connection: ExchangeConnection, capability: str, message: str):
        super().__init__(message)
        self.connection = connection
        self.capability = capability
        self.message = message


def key_types_with(capability: str) -> list[str]:
    """The key types that can do ``capability`` (for querysets: ``key_type__in=``)."""
    _known(capability)
    return [key_type for key_type, caps in CAPABILITIES.items() if capability in caps]


def key_type_can(key_type: str, capability: str) -> bool:
    return _known(capability) in CAPABILITIES.get(key_type, frozenset())


def connection_can(connection: ExchangeConnection, capability: str) -> bool:
    return refusal_reason(connection, capability) is None


def refusal_reason(connection: ExchangeConnection, capability: str) -> str | None:
    """Why ``connection`` cannot do ``capability``, in one sentence; None if it can."""
    action = ACTIONS[_known(capability)]
    if not key_type_can(connection.key_type, capability):
        name = KEY_TYPE_NAMES.get(connection.key_type, f"a {connection.key_type} key")
        return f"This is {name}: it cannot {action}."
    if capability in NEEDS_USABLE_KEYS:
        if connection.needs_new_keys:
            return f"This connection's keys need replacing: it cannot {action}."
        if not connection.is_active:
            return f"This connection is disabled: it cannot {action}."
    return None


def connection_get_for_user(*, user, pk, capability: str | None = None) -> ExchangeConnection:
    """The user's connection ``pk`` (404 for strangers and missing rows alike), refused with
    ``CapabilityRefused`` if its key cannot do ``capability``. Its ``user`` is ``user``, so
    reading it queries nothing."""
    connection = _owned(user, pk)
    if capability is not None:
        reason = refusal_reason(connection, capability)
        if reason is not None:
            raise CapabilityRefused(connection=connection, capability=capability, message=reason)
    return connection


def _owned(user, pk) -> ExchangeConnection:
    # SQL written once: every request that names a connection reads it first, and the ORM
    # built this query again each time (1.1 ms in-process, the query itself a tenth of it).
    key, owner = row_key(pk), getattr(user, "pk", None)
    if key is None or owner is None:
        raise Http404("No such connection.")
    connection = model_row(ExchangeConnection, "{id} = %s AND {user} = %s", [key, owner])
    if connection is None:
        raise Http404("No such connection.")
    connection.user = user
    return connection


def connection_list_with(*, user, capability: str) -> QuerySet[ExchangeConnection]:
    """The user's connections that can do ``capability`` now."""
    qs = ExchangeConnection.objects.filter(user=user, key_type__in=key_types_with(capability))
    if capability in NEEDS_USABLE_KEYS:
        qs = qs.filter(is_active=True, needs_new_keys=False)
    return qs


def _known(capability: str) -> str:
    if capability not in ACTIONS:  # a typo must fail loudly, not refuse every key
        raise ValueError(f"unknown capability {capability!r}")
    return capability
