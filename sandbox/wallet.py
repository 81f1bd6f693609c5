"""Wallet endpoints (spec "Wallet Endpoints"): coin/network catalogue, crypto and fiat (USD via
BITGO) withdrawals, deposit addresses and the four histories. The sub-account deposit
endpoints are subaccounts.py's, on the same catalogue and addresses. State and the clock-driven
progress are wallet_book.py's; the catalogue is wallet_catalog.py's; admin calls
admin_wallet.py's.

Statuses, on the sandbox clock (the admin may move it: POST /sandbox/v1/clock {"advanceMs"}):
  crypto withdrawal  4 processing at apply -> after the network's withdrawSeconds, its
                     withdrawOutcome: 6 completed (txId), or 5 failure / 3 rejected, refunded;
                     the admin may end one early with 6, 5, 3 or 1 (canceled, refunded)
  crypto deposit     0 pending -> 6 credited (balance credited; not yet withdrawable) at
                     minConfirm -> 1 success at unLockConfirm (confirmTimes "n/unLockConfirm")
  fiat withdrawal    INIT -> Processing (initSeconds) -> Successful, or Failed and refunded
                     (processingSeconds later, or when the admin says)
  fiat deposit       INIT -> Processing -> Successful, when the amount less the fee is credited

The sandbox never produces withdraw statuses 0 (email sent) and 2 (awaiting approval): API
withdrawals need no e-mail confirmation here. Regexes are matched against the whole value.

Where the spec is silent, the sandbox chooses (the real exchange's most plausible behaviour):
- Errors: key without withdraw permission -2015 (auth.WITHDRAW_ROUTES; deposit addresses need
  the deposit permission); unknown coin, fiat coin (USD) on the crypto route, or coin-wide
  switch off -1130 'coin'; network not the coin's (only getall's names: "ERC20"/"BEP20" are
  refused), or its switch off -1130 'network'; address not matching addressRegex -1130
  'address'; addressTag not matching memoRegex, or sent for a network without one, -1130
  'addressTag'; amount with more decimals than the network's withdrawIntegerMultiple (or than
  8) -1111; amount not a multiple, outside [withdrawMin, withdrawMax], or not above the fee
  -1130 'amount'; more than the withdrawable balance (free less deposits still at status 6)
  -2010 "Account has insufficient balance for requested action.".
- A reused withdrawOrderId (per account, whatever became of the first) is -2010 "Duplicate
  order sent." (the spec's words for a client id in use), checked right after the mandatory
  parameters, so a resent request learns its first send went through. Longer than 64
  characters: -1130 'withdrawOrderId'.
- The fee is inside the amount: `amount` leaves the balance; the history's "amount" is what
  the chain transfer carries (amount - transactionFee: the example's 0.9 + 0.1).
- Withdraw history rows are the example's, plus "withdrawOrderId" and "addressTag" when sent
  and "txId" and "completeTime" once completed (status 6); applyTime is a UTC date string as
  in the example. Histories are newest first.
- Windows: startTime defaults to endTime - 90 days, endTime to now. Crypto histories: both
  sent and more than 90 days apart -1127 "More than 2160 hours between startTime and
  endTime."; endTime before startTime -1130 'endTime'. Fiat histories: both sent must be
  > 0 and < 90 days apart (-1130 'endTime' / -1127). offset >= 0; limit default and max 1000
  (fiat histories take no limit: at most 1000 rows from offset).
- History lag ("Data Source: Database", admin historyLagSeconds): crypto withdraw history and
  both fiat histories (the spec names no source for those) show a row only that long after
  it was applied; GET capital/deposit/hisrec is "Memory": no lag.
- Fiat withdraw: paymentMethod must be BITGO, fiatCurrency USD (-1130 otherwise);
  paymentAccount any string up to 128 characters; amount at most 2 decimals (-1111), within
  the fiat withdrawMin/Max and above the fee (-1130 'amount'); the fee is inside the amount.
- getall lists every catalogue coin (whatever the balance); free/locked are the spot
  balance, withdrawing the open withdrawals, freeze/ipoing/ipoable/storage "0". USD is
  listed with isLegalMoney true and no networks.
- Deposit address: the network's default when none is sent; a network not the coin's, or
  with deposits switched off, -1130. `url` is the network's explorer link, or the bare
  address when the catalogue sets no explorer (the two shapes the spec shows).
"""

from __future__ import annotations

import re
from decimal import Decimal

from . import errors
from .ctx import Ctx
from .decimals import scale
from .routes import route
from .wallet_book import WITHDRAW_FINAL, Withdrawal
from .wallet_catalog import Coin, Network, address_for, address_url, network_row, plain

DAY_MS = 86_400_000
WINDOW_MS = 90 * DAY_MS
MAX_ROWS = 1000


def too_long() -> errors.ApiError:
    return errors.ApiError(-1127, "More than 2160 hours between startTime and endTime.")


def duplicate_order() -> errors.ApiError:
    return errors.ApiError(-2010, "Duplicate order sent.")


def window(ctx: Ctx, *, fiat: bool = False) -> tuple[int, int]:
    p = ctx.params
    start, end = p.integer("startTime"), p.integer("endTime")
    if start is not None and end is not None:
        if end < start or (fiat and end == start):
            raise errors.invalid_param("endTime")
        if end - start > WINDOW_MS or (fiat and end - start >= WINDOW_MS):
            raise too_long()
    if end is None:
        end = ctx.now()
    if start is None:
        start = end - WINDOW_MS
    return start, end


def offset_of(ctx: Ctx) -> int:
    offset = ctx.params.integer("offset") or 0
    if offset < 0:
        raise errors.invalid_param("offset")
    return offset


def coin_of(ctx: Ctx, name: str = "coin") -> Coin:
    coin = ctx.ex.wallet.coins.get(ctx.params.req(name))
    if coin is None or coin.is_legal_money:
        raise errors.invalid_param(name)
    return coin


def deposit_network(ctx: Ctx, coin: Coin) -> Network:
    """The network of a deposit-address request: `network` or the coin's default."""
    wanted = ctx.params.get("network")
    net = coin.default_network() if wanted is None else coin.networks.get(wanted)
    if net is None or not coin.deposit_all_enable or not net.deposit_enable:
        raise errors.invalid_param("network" if wanted is not None else "coin")
    return net


def address_doc(ctx: Ctx, email: str) -> dict:
    coin = coin_of(ctx)
    net = deposit_network(ctx, coin)
    address, tag = address_for(email, coin.coin, net)
    return {"coin": coin.coin, "address": address, "tag": tag, "url": address_url(net, address)}


# ---- catalogue ---------------------------------------------------------------------------------


@route("GET", "/sapi/v1/capital/config/getall")
def config_getall(ctx: Ctx) -> object:
    acct, wallet = ctx.account, ctx.ex.wallet
    rows = []
    for c in wallet.coins.values():
        b = acct.bal(c.coin) if c.coin in acct.balances else None
        rows.append(
            {
                "coin": c.coin,
                "depositAllEnable": c.deposit_all_enable,
                "withdrawAllEnable": c.withdraw_all_enable,
                "name": c.name,
                "free": plain(b.free) if b else "0",
                "locked": plain(b.locked) if b else "0",
                "freeze": "0",
                "withdrawing": plain(wallet.withdrawing(acct, c.coin)),
                "ipoing": "0",
                "ipoable": "0",
                "storage": "0",
                "isLegalMoney": c.is_legal_money,
                "trading": c.trading,
                "networkList": [network_row(c.coin, n) for n in c.networks.values()],
            }
        )
    return rows


# ---- crypto withdrawals ------------------------------------------------------------------------


@route("POST", "/sapi/v1/capital/withdraw/apply")
def withdraw_apply(ctx: Ctx) -> object:
    p, acct, wallet = ctx.params, ctx.account, ctx.ex.wallet
    coin_name, net_name = p.req("coin"), p.req("network")
    address = p.req("address")
    amount = p.decimal("amount", required=True)
    assert amount is not None
    order_id, tag = p.get("withdrawOrderId"), p.get("addressTag")
    if order_id is not None:
        if len(order_id) > 64:
            raise errors.invalid_param("withdrawOrderId")
        if order_id in wallet.order_ids(acct):
            raise duplicate_order()
    coin = wallet.coins.get(coin_name)
    if coin is None or coin.is_legal_money or not coin.withdraw_all_enable:
        raise errors.invalid_param("coin")
    net = coin.networks.get(net_name)
    if net is None or not net.withdraw_enable:
        raise errors.invalid_param("network")
    if not re.fullmatch(net.address_regex, address):
        raise errors.invalid_param("address")
    if tag is not None and (not net.memo_regex or not re.fullmatch(net.memo_regex, tag)):
        raise errors.invalid_param("addressTag")
    check_amount(amount, net)
    if acct.bal(coin.coin).free - wallet.unwithdrawable(acct, coin.coin) < amount:
        raise errors.insufficient_balance()
    w = wallet.withdraw(acct, coin.coin, net, address, tag or "", amount, order_id)
    return {"id": w.id}


def check_amount(amount: Decimal, net: Network) -> None:
    multiple = net.withdraw_integer_multiple
    if amount <= 0:
        raise errors.invalid_param("amount")
    if multiple > 0 and scale(amount) > scale(multiple):
        raise errors.bad_precision()
    if multiple > 0 and amount % multiple != 0:
        raise errors.invalid_param("amount")
    if amount < net.withdraw_min or amount > net.withdraw_max or amount <= net.withdraw_fee:
        raise errors.invalid_param("amount")


@route("GET", "/sapi/v1/capital/withdraw/history")
def withdraw_history(ctx: Ctx) -> object:
    p = ctx.params
    coin = p.req("coin")
    order_id = p.get("withdrawOrderId")
    status = p.integer("status")
    if status is not None and status not in (0, 2, 4, *WITHDRAW_FINAL):
        raise errors.invalid_param("status")
    start, end = window(ctx)
    offset = offset_of(ctx)
    limit = p.limit("limit", MAX_ROWS, MAX_ROWS)
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms
    rows: list[Withdrawal] = [
        w
        for w in reversed(ctx.ex.wallet.withdrawals.get(ctx.account.account_id, []))
        if w.coin == coin
        and w.apply_time <= cutoff
        and start <= w.apply_time <= end
        and (order_id is None or w.order_id == order_id)
        and (status is None or w.status == status)
    ]
    return [w.row() for w in rows[offset : offset + limit]]


# ---- fiat --------------------------------------------------------------------------------------


@route("POST", "/sapi/v1/fiatpayment/withdraw/apply")
def fiat_withdraw_apply(ctx: Ctx) -> object:
    p, acct, wallet = ctx.params, ctx.account, ctx.ex.wallet
    method = p.req("paymentMethod")
    payment_account = p.req("paymentAccount")
    amount = p.decimal("amount", required=True)
    assert amount is not None
    if method != "BITGO" or not wallet.fiat.withdraw_enable:
        raise errors.invalid_param("paymentMethod")
    if len(payment_account) > 128:
        raise errors.invalid_param("paymentAccount")
    if (p.get("fiatCurrency") or "USD") != "USD":
        raise errors.invalid_param("fiatCurrency")
    fiat = wallet.fiat
    if amount <= 0:
        raise errors.invalid_param("amount")
    if scale(amount) > 2:
        raise errors.bad_precision()
    if amount < fiat.withdraw_min or amount > fiat.withdraw_max or amount <= fiat.withdraw_fee:
        raise errors.invalid_param("amount")
    if acct.bal("USD").free < amount:
        raise errors.insufficient_balance()
    f = wallet.fiat_order(
        acct, "withdraw", amount, fiat.withdraw_fee, payment_account, "BITGO", "BITGO"
    )
    return {
        "orderId": f.order_id,
        "channelCode": "BITGO",
        "currencyCode": "USD",
        "amount": f"{amount:.8f}",
        "orderStatus": f.status,
    }


def fiat_history(ctx: Ctx, kind: str) -> dict:
    p = ctx.params
    currency = p.get("fiatCurrency")
    order_id = p.get("orderId")
    channel, method = p.get("paymentChannel"), p.get("paymentMethod")
    start, end = window(ctx, fiat=True)
    offset = offset_of(ctx)
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms
    rows = [
        f
        for f in reversed(ctx.ex.wallet.fiat_orders.get(ctx.account.account_id, []))
        if f.kind == kind
        and f.time <= cutoff
        and start <= f.time <= end
        and currency in (None, "USD")
        and order_id in (None, f.order_id)
        and channel in (None, f.channel)
        and method in (None, f.method)
    ]
    return {"assetLogRecordList": [f.row() for f in rows[offset : offset + MAX_ROWS]]}


@route("GET", "/sapi/v1/fiatpayment/query/withdraw/history")
def fiat_withdraw_history(ctx: Ctx) -> object:
    return fiat_history(ctx, "withdraw")


@route("GET", "/sapi/v1/fiatpayment/query/deposit/history")
def fiat_deposit_history(ctx: Ctx) -> object:
    return fiat_history(ctx, "deposit")


# ---- deposits ----------------------------------------------------------------------------------


@route("GET", "/sapi/v1/capital/deposit/address")
def deposit_address(ctx: Ctx) -> object:
    return address_doc(ctx, ctx.account.email)


@route("GET", "/sapi/v1/capital/deposit/hisrec")
def deposit_history(ctx: Ctx) -> object:
    p = ctx.params
    coin = p.req("coin")
    status = p.integer("status")
    if status is not None and status not in (0, 6, 1):
        raise errors.invalid_param("status")
    start, end = window(ctx)
    offset = offset_of(ctx)
    limit = p.limit("limit", MAX_ROWS, MAX_ROWS)
    rows = [
        dict(d)
        for d in reversed(ctx.account.deposits)
        if d["coin"] == coin
        and start <= d["insertTime"] <= end
        and (status is None or d["status"] == status)
    ]
    return rows[offset : offset + limit]
