"""The rules a destination and a withdrawal must meet before anything is sent, from the
exchange's own coin catalogue (``GET /sapi/v1/capital/config/getall``) and the free balance.

Each refusal names the form field it is about, so every entry point (the form, a script) shows
it where the person typed the value. The exchange checks all of it again; checking first means a
refusal costs nothing and never leaves a failed withdrawal behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

import binanceus
from accounts import crypto
from accounts.exchange import client_for_connection, describe_error
from accounts.models import Balance, ExchangeConnection
from desk.money import plain
from desk.problems import Problem, Refused
from wallet.activity import reads
from wallet.withdrawals.models import FIAT_COIN, FIAT_NETWORK, AddressBookEntry

MAX_DECIMALS = 8
FIAT_DECIMALS = 2  # the fiat withdraw endpoint's precision
PAYMENT_ACCOUNT_MAX = 128


# The kit's refusal, under the name the withdrawal code has always used.
WithdrawalProblems = Refused


@dataclass(frozen=True)
class Quote:
    """A checked withdrawal: what leaves the balance, the fee, and what arrives."""

    coin: str
    network: str
    amount: Decimal
    fee: Decimal | None  # None: the exchange does not publish it (fiat)
    free: Decimal

    @property
    def receive(self) -> Decimal | None:
        return None if self.fee is None else self.amount - self.fee


# --- the catalogue ------------------------------------------------------------------------------
def coin_catalogue(*, connection: ExchangeConnection) -> dict[str, binanceus.CoinConfig]:
    """{coin: its configuration}, as the Wallet page reads it (cached briefly per connection and
    key, ``wallet.activity.reads``). Raises ``WithdrawalProblems`` when it cannot be read: a
    check that cannot see the rules must not pass."""
    catalogue = reads.coin_catalogue(connection=connection)
    if catalogue.error:
        message = f"The exchange's coin list cannot be read ({catalogue.error})."
        raise WithdrawalProblems([Problem(None, message)])
    return {c.coin: c for c in catalogue.coins}


def withdrawable_coins(coins: dict[str, binanceus.CoinConfig]) -> list[tuple[str, list[str]]]:
    """[(coin, [network, ...])] that can be withdrawn now, and USD on its BITGO rail (not in the
    crypto catalogue: the spec's one fiat withdraw method)."""
    out = [(FIAT_COIN, [FIAT_NETWORK])]
    for coin in sorted(coins):
        config = coins[coin]
        nets = [n.network for n in config.networks if n.withdraw_enable]
        if config.withdraw_all_enable and nets and not config.is_legal_money:
            out.append((coin, nets))
    return sorted(out)


def _network(coins, coin: str, network: str, problems: list[Problem]):
    config = coins.get(coin)
    if config is None:
        problems.append(Problem("coin", f"{coin} is not in the exchange's coin list"))
        return None
    if not config.withdraw_all_enable:
        problems.append(Problem("coin", f"withdrawals of {coin} are switched off on the exchange"))
        return None
    net = config.network(network)
    if net is None:
        names = ", ".join(n.network for n in config.networks) or "none"
        problems.append(Problem("network", f"{coin} has no network {network} (it has {names})"))
        return None
    if not net.withdraw_enable:
        problems.append(Problem("network", f"withdrawals of {coin} on {network} are switched off"))
        return None
    return net


# --- destinations -------------------------------------------------------------------------------
def address_check(
    *, connection: ExchangeConnection, coin: str, network: str, address: str, memo: str
) -> list[Problem]:
    """What is wrong with a destination for the address book (empty: nothing)."""
    if (coin, network) == (FIAT_COIN, FIAT_NETWORK):
        problems = []
        if len(address) > PAYMENT_ACCOUNT_MAX:
            problems.append(Problem("address", f"at most {PAYMENT_ACCOUNT_MAX} characters"))
        if memo:
            problems.append(Problem("memo", "a BITGO payment account takes no memo"))
        return problems
    problems: list[Problem] = []
    net = _network(coin_catalogue(connection=connection), coin, network, problems)
    if net is None:
        return problems
    if net.address_regex and not re.fullmatch(net.address_regex, address):
        problems.append(Problem("address", f"not a {coin} address on {network}"))
    if memo and not net.memo_regex:
        problems.append(Problem("memo", f"{network} takes no memo: leave it empty"))
    elif memo and not re.fullmatch(net.memo_regex, memo):
        problems.append(Problem("memo", f"not a valid memo for {network}"))
    return problems


# --- withdrawals --------------------------------------------------------------------------------
def _decimals(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def free_balance(*, connection: ExchangeConnection, coin: str) -> Decimal:
    """The synced free balance while it is fresh, else the exchange's own answer now."""
    fresh = timedelta(seconds=settings.DESK_BALANCE_STALE_SECONDS)
    synced = connection.balances_synced_at
    if synced is not None and synced > timezone.now() - fresh:
        row = Balance.objects.filter(connection=connection, asset=coin).first()
        return row.free if row else Decimal(0)
    try:
        with client_for_connection(connection) as client:
            return client.account().balance(coin).free
    except (crypto.CredentialsUnavailable, binanceus.BinanceUSError) as exc:
        reason = describe_error(exc)
        raise WithdrawalProblems(
            [Problem(None, f"The balance cannot be read right now ({reason}).")]
        ) from exc


def entry_check(
    entry: AddressBookEntry, *, coin: str, network: str, now: datetime
) -> list[Problem]:
    """The chosen address-book entry is of this coin and network, and past its cool-off."""
    if (entry.coin, entry.network) != (coin, network):
        return [Problem("address", f"“{entry.label}” is a {entry.coin} address on {entry.network}")]
    if entry.usable_from > now:
        when = entry.usable_from.strftime("%Y-%m-%d %H:%M UTC")
        return [Problem("address", f"“{entry.label}” is new: it can be used from {when}")]
    return []


def withdrawal_check(
    *,
    connection: ExchangeConnection,
    entry: AddressBookEntry,
    coin: str,
    network: str,
    amount: Decimal,
    now: datetime,
) -> Quote:
    """The checked withdrawal, or ``WithdrawalProblems`` naming each field that is wrong."""
    problems = entry_check(entry, coin=coin, network=network, now=now)
    if amount <= 0:
        problems.append(Problem("amount", "must be more than zero"))
    if problems:
        raise WithdrawalProblems(problems)
    if (coin, network) == (FIAT_COIN, FIAT_NETWORK):
        fee = None
        if _decimals(amount) > FIAT_DECIMALS:
            problems.append(Problem("amount", f"at most {FIAT_DECIMALS} decimal places for USD"))
    else:
        net = _network(coin_catalogue(connection=connection), coin, network, problems)
        if net is None:
            raise WithdrawalProblems(problems)
        fee = net.withdraw_fee
        problems += _amount_problems(amount, net)
    if problems:
        raise WithdrawalProblems(problems)
    free = free_balance(connection=connection, coin=coin)
    if amount > free:
        raise WithdrawalProblems(
            [Problem("amount", f"more than the free balance ({plain(free)} {coin})")]
        )
    return Quote(coin, network, amount, fee, free)


def _amount_problems(amount: Decimal, net: binanceus.CoinNetwork) -> list[Problem]:
    multiple = net.withdraw_integer_multiple
    places = min(MAX_DECIMALS, _decimals(multiple)) if multiple > 0 else MAX_DECIMALS
    if _decimals(amount) > places:
        return [Problem("amount", f"at most {places} decimal places on {net.network}")]
    if multiple > 0 and amount % multiple != 0:
        return [Problem("amount", f"must be a multiple of {plain(multiple)}")]
    if amount < net.withdraw_min:
        return [Problem("amount", f"at least {plain(net.withdraw_min)} {net.coin}")]
    if net.withdraw_max is not None and amount > net.withdraw_max:
        return [Problem("amount", f"at most {plain(net.withdraw_max)} {net.coin}")]
    if amount <= net.withdraw_fee:
        return [Problem("amount", f"must be more than the fee ({plain(net.withdraw_fee)})")]
    return []
