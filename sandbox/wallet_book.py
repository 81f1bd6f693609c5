"""The wallet's state: crypto withdrawals and deposits, fiat (USD) withdrawals and deposits,
and their progress on the sandbox clock (`settle`, run before every REST request, after every
admin call that moves the clock, and once a second in the background).

Balances (see wallet.py's docstring for the API side):
  withdraw accepted   free -= amount, withdrawing += amount; balanceUpdate (-amount) and
                      outboundAccountPosition pushed
  withdraw completed  withdrawing -= amount (status 6, txId, completeTime)
  withdraw refused    withdrawing -= amount, free += amount (status 1, 3 or 5); balanceUpdate
  (by admin or the network's withdrawOutcome)
  deposit credited    free += amount at minConfirm (status 6: credited but cannot withdraw yet:
                      the amount does not count as withdrawable) then status 1 at unLockConfirm
  fiat withdraw       as crypto: out of free at apply, back if it ends "Failed"
  fiat deposit        credited when it turns "Successful"
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from .decimals import ZERO
from .wallet_catalog import Coin, Fiat, Network, address_for, default_coins, plain, tx_id

if TYPE_CHECKING:
    from .accounts import Account
    from .clock import Clock
    from .streams import StreamHub

WITHDRAW_OPEN = (2, 4)  # awaiting approval, processing
WITHDRAW_FINAL = (1, 3, 5, 6)


@dataclass(slots=True)
class Withdrawal:
    id: str
    account: Account
    coin: str
    network: str
    address: str
    tag: str
    amount: Decimal  # gross: what left the free balance
    fee: Decimal
    order_id: str | None
    apply_time: int
    due: int
    outcome: int
    status: int = 4
    tx_id: str = ""
    complete_time: int = 0

    def row(self) -> dict:
        """A GET capital/withdraw/history row: the example's fields in its order ("amount" is
        what the chain transfer carries, the requested amount less transactionFee), then
        withdrawOrderId / addressTag when sent and txId / completeTime once completed."""
        doc: dict = {
            "id": self.id,
            "amount": plain(self.amount - self.fee),
            "transactionFee": plain(self.fee),
            "coin": self.coin,
            "status": self.status,
            "address": self.address,
            "applyTime": date_string(self.apply_time),
            "network": self.network,
            "transferType": 0,
        }
        if self.order_id is not None:
            doc["withdrawOrderId"] = self.order_id
        if self.tag:
            doc["addressTag"] = self.tag
        if self.status == 6:
            doc["txId"] = self.tx_id
            doc["completeTime"] = date_string(self.complete_time)
        return doc


@dataclass(slots=True)
class Deposit:
    """A crypto deposit in flight; `row` is the account's history row (acct.deposits), kept
    up to date in place so the sub-account deposit history shows the same progress."""

    account: Account
    coin: str
    amount: Decimal
    network: Network
    row: dict
    credit_at: int
    unlock_at: int
    credited: bool = False


@dataclass(slots=True)
class FiatOrder:
    order_id: str
    account: Account
    kind: str  # "withdraw" | "deposit"
    amount: Decimal
    fee: Decimal
    payment_account: str
    channel: str
    method: str
    time: int
    processing_at: int
    done_at: int
    outcome: str
    status: str = "INIT"

    def row(self) -> dict:
        doc = {
            "orderId": self.order_id,
            "paymentAccount": self.payment_account,
            "paymentChannel": self.channel,
            "paymentMethod": self.method,
            "orderStatus": self.status,
        }
        if self.kind == "deposit":
            doc["fiatCurrency"] = "USD"
        doc.update(
            {
                "amount": plain(self.amount - self.fee),
                "transactionFee": plain(self.fee),
                "platformFee": "0",
            }
        )
        return doc


def date_string(ms: int) -> str:
    """ "2022-02-18 03:36:04" (UTC), as the withdraw history example's applyTime."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(slots=True)
class Wallet:
    clock: Clock
    hub: StreamHub
    seed: int
    coins: dict[str, Coin] = field(default_factory=default_coins)
    fiat: Fiat = field(default_factory=Fiat)
    withdrawals: dict[int, list[Withdrawal]] = field(default_factory=dict)  # account id ->
    by_id: dict[str, Withdrawal] = field(default_factory=dict)
    open_withdrawals: list[Withdrawal] = field(default_factory=list)
    open_deposits: list[Deposit] = field(default_factory=list)
    fiat_orders: dict[int, list[FiatOrder]] = field(default_factory=dict)
    fiat_by_id: dict[str, FiatOrder] = field(default_factory=dict)
    open_fiat: list[FiatOrder] = field(default_factory=list)
    counter: int = 0

    def new_id(self, kind: str) -> str:
        self.counter += 1
        return hashlib.sha256(f"{self.seed}:{kind}:{self.counter}".encode()).hexdigest()[:32]

    # ---- balances ------------------------------------------------------------------------

    def withdrawing(self, acct: Account, coin: str) -> Decimal:
        total = ZERO
        for w in self.withdrawals.get(acct.account_id, ()):
            if w.coin == coin and w.status in WITHDRAW_OPEN:
                total += w.amount
        for f in self.fiat_orders.get(acct.account_id, ()):
            if coin == "USD" and f.kind == "withdraw" and f.status in ("INIT", "Processing"):
                total += f.amount
        return total

    def unwithdrawable(self, acct: Account, coin: str) -> Decimal:
        """Credited deposits that have not reached unLockConfirm (status 6)."""
        return sum(
            (
                d.amount
                for d in self.open_deposits
                if d.account is acct and d.coin == coin and d.credited
            ),
            start=ZERO,
        )

    def _move(self, acct: Account, coin: str, delta: Decimal) -> None:
        acct.bal(coin).free += delta
        acct.update_time = self.clock.now_ms()
        self.hub.on_deposit(acct, coin, delta)

    # ---- crypto withdrawals ----------------------------------------------------------------

    def withdraw(
        self,
        acct: Account,
        coin: str,
        net: Network,
        address: str,
        tag: str,
        amount: Decimal,
        order_id: str | None,
    ) -> Withdrawal:
        """Accept a checked withdrawal: funds go free -> withdrawing."""
        now = self.clock.now_ms()
        w = Withdrawal(
            self.new_id("withdraw"),
            acct,
            coin,
            net.network,
            address,
            tag,
            amount,
            net.withdraw_fee,
            order_id,
            now,
            now + int(net.withdraw_seconds * 1000),
            net.withdraw_outcome,
        )
        self.withdrawals.setdefault(acct.account_id, []).append(w)
        self.by_id[w.id] = w
        self.open_withdrawals.append(w)
        self._move(acct, coin, -amount)
        return w

    def finish_withdrawal(self, w: Withdrawal, status: int, at: int) -> None:
        """End an open withdrawal: 6 completed (with a txId), or 1/3/5 refunded."""
        if w.status not in WITHDRAW_OPEN:
            raise ValueError(f"withdrawal {w.id} already ended with status {w.status}")
        w.status = status
        w.complete_time = at
        if w in self.open_withdrawals:
            self.open_withdrawals.remove(w)
        if status == 6:
            net = self.coins.get(w.coin)
            network = net.networks.get(w.network) if net else None
            w.tx_id = tx_id(f"{self.seed}:tx:{w.id}", network or Network(w.network, w.network))
        else:
            self._move(w.account, w.coin, w.amount)

    def order_ids(self, acct: Account) -> set[str]:
        return {
            w.order_id for w in self.withdrawals.get(acct.account_id, ()) if w.order_id is not None
        }

    # ---- crypto deposits -------------------------------------------------------------------

    def deposit(
        self,
        acct: Account,
        coin: Coin,
        net: Network,
        amount: Decimal,
        address: str | None,
        tag: str | None,
        txid: str | None,
    ) -> dict:
        """A deposit seen on chain now: status 0 until minConfirm (see the docstring)."""
        now = self.clock.now_ms()
        own_address, own_tag = address_for(acct.email, coin.coin, net)
        n = len(acct.deposits)
        row = {
            "amount": plain(amount),
            "coin": coin.coin,
            "network": net.network,
            "status": 0,
            "address": address or own_address,
            "addressTag": own_tag if tag is None else tag,
            "txId": txid or tx_id(f"{self.seed}:{acct.email}:{coin.coin}:{now}:{n}", net),
            "insertTime": now,
            "transferType": 0,
            "confirmTimes": f"0/{net.unlock_confirm}",
        }
        acct.deposits.append(row)
        self.open_deposits.append(
            Deposit(
                acct,
                coin.coin,
                amount,
                net,
                row,
                now + net.credit_after_ms(),
                now + net.unlock_after_ms(),
            )
        )
        self.settle(now)
        return row

    # ---- fiat ------------------------------------------------------------------------------

    def fiat_order(
        self,
        acct: Account,
        kind: str,
        amount: Decimal,
        fee: Decimal,
        payment_account: str,
        channel: str,
        method: str,
    ) -> FiatOrder:
        now = self.clock.now_ms()
        processing_at = now + int(self.fiat.init_seconds * 1000)
        f = FiatOrder(
            self.new_id("fiat"),
            acct,
            kind,
            amount,
            fee,
            payment_account,
            channel,
            method,
            now,
            processing_at,
            processing_at + int(self.fiat.processing_seconds * 1000),
            self.fiat.withdraw_outcome if kind == "withdraw" else "Successful",
        )
        self.fiat_orders.setdefault(acct.account_id, []).append(f)
        self.fiat_by_id[f.order_id] = f
        self.open_fiat.append(f)
        if kind == "withdraw":
            self._move(acct, "USD", -amount)
        self.settle(now)
        return f

    def finish_fiat(self, f: FiatOrder, status: str) -> None:
        if f.status not in ("INIT", "Processing"):
            raise ValueError(f"order {f.order_id} already ended {f.status}")
        f.status = status
        self.open_fiat.remove(f)
        if f.kind == "withdraw" and status == "Failed":
            self._move(f.account, "USD", f.amount)
        elif f.kind == "deposit" and status == "Successful":
            self._move(f.account, "USD", f.amount - f.fee)

    # ---- the clock -------------------------------------------------------------------------

    def settle(self, now: int) -> None:
        for w in [w for w in self.open_withdrawals if w.due <= now]:
            self.finish_withdrawal(w, w.outcome, w.due)
        for d in list(self.open_deposits):
            self._advance_deposit(d, now)
        for f in list(self.open_fiat):
            if f.status == "INIT" and f.processing_at <= now:
                f.status = "Processing"
            if f.done_at <= now:
                self.finish_fiat(f, f.outcome)

    def _advance_deposit(self, d: Deposit, now: int) -> None:
        net = d.network
        if not d.credited and d.credit_at <= now:
            d.credited = True
            d.row["status"] = 6
            self._move(d.account, d.coin, d.amount)
        if d.credited and d.unlock_at <= now:
            d.row["status"] = 1
            d.row["confirmTimes"] = f"{net.unlock_confirm}/{net.unlock_confirm}"
            self.open_deposits.remove(d)
            return
        block_ms = max(1, int(net.block_seconds * 1000))
        seen = min((now - d.row["insertTime"]) // block_ms, net.unlock_confirm)
        d.row["confirmTimes"] = f"{seen}/{net.unlock_confirm}"
