"""The wallet's coin/network catalogue (behind GET /sapi/v1/capital/config/getall, the deposit
addresses and every withdraw check) and the fiat (USD) rail settings; admin-settable.

A coin has coin-wide switches (depositAllEnable, withdrawAllEnable, isLegalMoney, trading) and
its networks, each with the fields of the spec's `networkList` rows plus three sandbox-only
ones, which getall does not show:

  blockSeconds     seconds per confirmation: a deposit on the network is credited (status 6,
                   or 1 when unLockConfirm <= minConfirm) after minConfirm x blockSeconds and
                   unlocked (status 1) after max(minConfirm, unLockConfirm) x blockSeconds
  withdrawSeconds  how long an accepted withdrawal stays "processing" (status 4)
  withdrawOutcome  how it then ends: 6 completed (default), 5 failure or 3 rejected (refunded)
  explorer         deposit-address `url` prefix; "" makes `url` the bare address (as the
                   spec's GET capital/deposit/address example shows it)

The seeded catalogue (confirmation times shortened so demos move in minutes, not hours):
BTC on BTC, ETH on ETH, USDT on ETH (default) and BSC, SOL on SOL, and USD (isLegalMoney, no
crypto networks: USD leaves through POST fiatpayment/withdraw/apply). Admin calls: see
admin_wallet.py.

Deposit addresses are derived from the account's email, the coin and the network, so they are
stable per account (sub-accounts included) and match the network's addressRegex.
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field, fields
from decimal import Decimal

from .decimals import parse_amount

D = Decimal
ZERO = D(0)
ONE = D(1)
NO_MAX = D("9999999")
SATOSHI = D("0.00000001")
FIAT_MAX = D(1_000_000)
EVM_REGEX = "^(0x)[0-9A-Fa-f]{40}$"
BTC_REGEX = "^(bc1)[0-9A-Za-z]{39,59}$|^[13][a-km-zA-HJ-NP-Z1-9]{25,34}$"
SOL_REGEX = "^[1-9A-HJ-NP-Za-km-z]{32,44}$"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(slots=True)
class Network:
    network: str
    name: str
    is_default: bool = False
    deposit_enable: bool = True
    withdraw_enable: bool = True
    deposit_desc: str = ""
    withdraw_desc: str = ""
    special_tips: str = ""
    address_regex: str = EVM_REGEX
    memo_regex: str = ""
    withdraw_fee: Decimal = ZERO
    withdraw_min: Decimal = ZERO
    withdraw_max: Decimal = NO_MAX
    withdraw_integer_multiple: Decimal = SATOSHI
    min_confirm: int = 1
    unlock_confirm: int = 1
    # sandbox-only (see the module docstring)
    block_seconds: float = 10.0
    withdraw_seconds: float = 30.0
    withdraw_outcome: int = 6
    explorer: str = ""

    def credit_after_ms(self) -> int:
        return int(self.min_confirm * self.block_seconds * 1000)

    def unlock_after_ms(self) -> int:
        return int(max(self.min_confirm, self.unlock_confirm) * self.block_seconds * 1000)


@dataclass(slots=True)
class Coin:
    coin: str
    name: str
    networks: dict[str, Network] = field(default_factory=dict)
    deposit_all_enable: bool = True
    withdraw_all_enable: bool = True
    is_legal_money: bool = False
    trading: bool = True

    def default_network(self) -> Network | None:
        for net in self.networks.values():
            if net.is_default:
                return net
        return next(iter(self.networks.values()), None)


@dataclass(slots=True)
class Fiat:
    """The USD rail of POST fiatpayment/withdraw/apply (BITGO) and the fiat histories."""

    withdraw_enable: bool = True
    withdraw_fee: Decimal = ZERO
    withdraw_min: Decimal = ONE
    withdraw_max: Decimal = FIAT_MAX
    init_seconds: float = 5.0  # INIT -> Processing
    processing_seconds: float = 60.0  # Processing -> Successful (deposits: -> credited)
    withdraw_outcome: str = "Successful"  # or "Failed" (refunded)


def _net(network: str, name: str, **kw: object) -> Network:
    for key, value in kw.items():
        if isinstance(value, str) and key.startswith("withdraw_") and key != "withdraw_outcome":
            kw[key] = D(value)
    return Network(network, name, **kw)  # type: ignore[arg-type]


def default_coins() -> dict[str, Coin]:
    eth_usdt = dict(
        address_regex=EVM_REGEX,
        explorer="https://etherscan.io/address/",
        min_confirm=6,
        unlock_confirm=12,
        block_seconds=12.0,
    )
    coins = [
        Coin(
            "BTC",
            "Bitcoin",
            {
                "BTC": _net(
                    "BTC",
                    "Bitcoin",
                    is_default=True,
                    address_regex=BTC_REGEX,
                    withdraw_fee="0.0001",
                    withdraw_min="0.0002",
                    withdraw_max="9000",
                    min_confirm=1,
                    unlock_confirm=2,
                    block_seconds=60.0,
                    explorer="https://www.blockchain.com/btc/address/",
                )
            },
        ),
        Coin(
            "ETH",
            "Ethereum",
            {
                "ETH": _net(
                    "ETH",
                    "Ethereum (ERC20)",
                    is_default=True,
                    withdraw_fee="0.0015",
                    withdraw_min="0.003",
                    withdraw_max="10000",
                    **eth_usdt,  # type: ignore[arg-type]
                )
            },
        ),
        Coin(
            "USDT",
            "TetherUS",
            {
                "ETH": _net(
                    "ETH",
                    "Ethereum (ERC20)",
                    is_default=True,
                    withdraw_fee="5",
                    withdraw_min="10",
                    withdraw_max="1000000",
                    withdraw_integer_multiple="0.000001",
                    **eth_usdt,  # type: ignore[arg-type]
                ),
                "BSC": _net(
                    "BSC",
                    "BNB Smart Chain (BEP20)",
                    withdraw_fee="0.8",
                    withdraw_min="1.6",
                    withdraw_max="1000000",
                    min_confirm=5,
                    unlock_confirm=10,
                    block_seconds=3.0,
                    explorer="https://bscscan.com/address/",
                ),
            },
        ),
        Coin(
            "SOL",
            "Solana",
            {
                "SOL": _net(
                    "SOL",
                    "Solana",
                    is_default=True,
                    address_regex=SOL_REGEX,
                    withdraw_fee="0.01",
                    withdraw_min="0.02",
                    withdraw_max="100000",
                    min_confirm=1,
                    unlock_confirm=1,
                    block_seconds=1.0,
                    explorer="https://solscan.io/account/",
                )
            },
        ),
        Coin("USD", "US Dollar", {}, is_legal_money=True),
    ]
    return {c.coin: c for c in coins}


# ---- rendering --------------------------------------------------------------------------------


def plain(value: Decimal) -> str:
    """ "0.9", "9999999", "0.00000001": unpadded, as the wallet examples print amounts."""
    if value == 0:
        return "0"
    text = f"{value.normalize():f}"
    return text


def network_row(coin: str, n: Network) -> dict:
    """A getall networkList row, in the spec example's field order."""
    return {
        "network": n.network,
        "coin": coin,
        "withdrawIntegerMultiple": plain(n.withdraw_integer_multiple),
        "isDefault": n.is_default,
        "depositEnable": n.deposit_enable,
        "withdrawEnable": n.withdraw_enable,
        "depositDesc": n.deposit_desc,
        "withdrawDesc": n.withdraw_desc,
        "specialTips": n.special_tips,
        "name": n.name,
        "resetAddressStatus": False,
        "addressRegex": n.address_regex,
        "memoRegex": n.memo_regex,
        "withdrawFee": plain(n.withdraw_fee),
        "withdrawMin": plain(n.withdraw_min),
        "withdrawMax": plain(n.withdraw_max),
        "minConfirm": n.min_confirm,
        "unLockConfirm": n.unlock_confirm,
    }


def describe(coins: dict[str, Coin], fiat: Fiat) -> dict:
    """The admin view: every field, sandbox-only ones included, in the admin call's names."""
    out: dict = {}
    for c in coins.values():
        nets = {}
        for n in c.networks.values():
            row = network_row(c.coin, n)
            del row["coin"], row["resetAddressStatus"]
            row.update(
                blockSeconds=n.block_seconds,
                withdrawSeconds=n.withdraw_seconds,
                withdrawOutcome=n.withdraw_outcome,
                explorer=n.explorer,
            )
            nets[n.network] = row
        out[c.coin] = {
            "name": c.name,
            "depositAllEnable": c.deposit_all_enable,
            "withdrawAllEnable": c.withdraw_all_enable,
            "isLegalMoney": c.is_legal_money,
            "trading": c.trading,
            "networks": nets,
        }
    return {
        "coins": out,
        "fiat": {
            "withdrawEnable": fiat.withdraw_enable,
            "withdrawFee": plain(fiat.withdraw_fee),
            "withdrawMin": plain(fiat.withdraw_min),
            "withdrawMax": plain(fiat.withdraw_max),
            "initSeconds": fiat.init_seconds,
            "processingSeconds": fiat.processing_seconds,
            "withdrawOutcome": fiat.withdraw_outcome,
        },
    }


# ---- addresses ------------------------------------------------------------------------------


def address_for(email: str, coin: str, n: Network) -> tuple[str, str]:
    """(address, tag): stable per account, coin and network, matching the network's regexes
    for the regex families the sandbox knows (EVM, bech32, base58); a network with a memo
    regex gets a numeric memo."""
    digest = hashlib.sha256(f"{email}:{coin}:{n.network}".encode()).hexdigest()
    if n.address_regex == BTC_REGEX:
        address = "bc1q" + digest[:38]
    elif n.address_regex == SOL_REGEX:
        number = int(digest, 16)
        chars = []
        for _ in range(44):
            number, rest = divmod(number, 58)
            chars.append(BASE58[rest])
        address = "".join(chars)
    else:
        address = "0x" + digest[:40]
    tag = str(int(digest[40:48], 16) % 10**9) if n.memo_regex else ""
    return address, tag


def address_url(n: Network, address: str) -> str:
    return n.explorer + address if n.explorer else address


def tx_id(seed: str, n: Network) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return digest if n.address_regex == BTC_REGEX else "0x" + digest


# ---- admin updates ----------------------------------------------------------------------------

_BOOLS = {
    "isDefault": "is_default",
    "depositEnable": "deposit_enable",
    "withdrawEnable": "withdraw_enable",
}
_STRINGS = {
    "name": "name",
    "depositDesc": "deposit_desc",
    "withdrawDesc": "withdraw_desc",
    "specialTips": "special_tips",
    "addressRegex": "address_regex",
    "memoRegex": "memo_regex",
    "explorer": "explorer",
}
_AMOUNTS = {
    "withdrawFee": "withdraw_fee",
    "withdrawMin": "withdraw_min",
    "withdrawMax": "withdraw_max",
    "withdrawIntegerMultiple": "withdraw_integer_multiple",
}
_INTS = {"minConfirm": "min_confirm", "unLockConfirm": "unlock_confirm"}
_SECONDS = {"blockSeconds": "block_seconds", "withdrawSeconds": "withdraw_seconds"}
_COIN_BOOLS = {
    "depositAllEnable": "deposit_all_enable",
    "withdrawAllEnable": "withdraw_all_enable",
    "isLegalMoney": "is_legal_money",
    "trading": "trading",
}
NETWORK_FIELDS = (*_BOOLS, *_STRINGS, *_AMOUNTS, *_INTS, *_SECONDS, "withdrawOutcome")
NAME_RE = re.compile(r"^[A-Z0-9]{1,20}$")


def seconds(raw: object, name: str) -> float:
    if not isinstance(raw, int | float) or isinstance(raw, bool) or not 0 <= raw <= 10**7:
        raise ValueError(f"{name} must be a number of seconds in [0, 10000000]")
    return float(raw)


def _set_network(n: Network, doc: object, where: str) -> None:
    if not isinstance(doc, dict):
        raise ValueError(f"{where} must be an object of network fields or null")
    for name, value in doc.items():
        here = f"{where}.{name}"
        if name in _BOOLS:
            if not isinstance(value, bool):
                raise ValueError(f"{here} must be true or false")
            setattr(n, _BOOLS[name], value)
        elif name in _STRINGS:
            if not isinstance(value, str) or len(value) > 300:
                raise ValueError(f"{here} must be a string")
            if name.endswith("Regex") and value:
                try:
                    re.compile(value)
                except re.error:
                    raise ValueError(f"{here} is not a regular expression") from None
            setattr(n, _STRINGS[name], value)
        elif name in _AMOUNTS:
            setattr(n, _AMOUNTS[name], parse_amount(value, here))
        elif name in _INTS:
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**4:
                raise ValueError(f"{here} must be an integer in [0, 10000]")
            setattr(n, _INTS[name], value)
        elif name in _SECONDS:
            setattr(n, _SECONDS[name], seconds(value, here))
        elif name == "withdrawOutcome":
            if value not in (6, 5, 3):
                raise ValueError(f"{here} must be 6 (completed), 5 (failure) or 3 (rejected)")
            n.withdraw_outcome = value
        else:
            raise ValueError(f"unknown field {here} (known: {', '.join(NETWORK_FIELDS)})")
    if n.withdraw_min > n.withdraw_max:
        raise ValueError(f"{where}: withdrawMin is above withdrawMax")


def update_coins(coins: dict[str, Coin], doc: object) -> dict[str, Coin]:
    """{"BTC": {"name"?, "depositAllEnable"?, ..., "networks": {"BTC": {fields} | null}} |
    null}: a new catalogue with the changes applied (a coin or network named for the first
    time is created; null removes it). Raises ValueError and changes nothing on a bad entry."""
    if not isinstance(doc, dict):
        raise ValueError("coins must be an object of coin -> settings or null")
    out = copy.deepcopy(coins)
    for coin, cdoc in doc.items():
        if not isinstance(coin, str) or not NAME_RE.match(coin):
            raise ValueError(f"bad coin name {coin!r}")
        if cdoc is None:
            out.pop(coin, None)
            continue
        if not isinstance(cdoc, dict):
            raise ValueError(f"coins.{coin} must be an object or null")
        c = out.get(coin) or Coin(coin, coin)
        for name, value in cdoc.items():
            if name in _COIN_BOOLS:
                if not isinstance(value, bool):
                    raise ValueError(f"coins.{coin}.{name} must be true or false")
                setattr(c, _COIN_BOOLS[name], value)
            elif name == "name":
                if not isinstance(value, str) or not value:
                    raise ValueError(f"coins.{coin}.name must be a string")
                c.name = value
            elif name == "networks":
                if not isinstance(value, dict):
                    raise ValueError(f"coins.{coin}.networks must be an object")
                for net, ndoc in value.items():
                    if not isinstance(net, str) or not NAME_RE.match(net):
                        raise ValueError(f"bad network name {net!r}")
                    if ndoc is None:
                        c.networks.pop(net, None)
                        continue
                    n = c.networks.get(net) or Network(net, net)
                    _set_network(n, ndoc, f"coins.{coin}.networks.{net}")
                    c.networks[net] = n
                    if n.is_default and ndoc.get("isDefault") is True:
                        for other in c.networks.values():
                            other.is_default = other is n
            else:
                known = ", ".join((*_COIN_BOOLS, "name", "networks"))
                raise ValueError(f"unknown field coins.{coin}.{name} (known: {known})")
        out[coin] = c
    return out


_FIAT = {f.name for f in fields(Fiat)}


def update_fiat(fiat: Fiat, doc: object) -> Fiat:
    if not isinstance(doc, dict):
        raise ValueError("fiat must be an object")
    out = copy.copy(fiat)
    names = {
        "withdrawEnable": "withdraw_enable",
        "withdrawFee": "withdraw_fee",
        "withdrawMin": "withdraw_min",
        "withdrawMax": "withdraw_max",
        "initSeconds": "init_seconds",
        "processingSeconds": "processing_seconds",
        "withdrawOutcome": "withdraw_outcome",
    }
    for name, value in doc.items():
        attr = names.get(name)
        if attr is None:
            raise ValueError(f"unknown field fiat.{name} (known: {', '.join(names)})")
        if attr == "withdraw_enable":
            if not isinstance(value, bool):
                raise ValueError("fiat.withdrawEnable must be true or false")
        elif attr.endswith("_seconds"):
            value = seconds(value, f"fiat.{name}")
        elif attr == "withdraw_outcome":
            if value not in ("Successful", "Failed"):
                raise ValueError("fiat.withdrawOutcome must be Successful or Failed")
        else:
            value = parse_amount(value, f"fiat.{name}")
        setattr(out, attr, value)
    if out.withdraw_min > out.withdraw_max:
        raise ValueError("fiat: withdrawMin is above withdrawMax")
    assert set(names.values()) <= _FIAT
    return out
