"""Admin calls for the wallet and staking (loopback only, like the rest of /sandbox/v1).

Wallet catalogue (wallet_catalog.py's docstring explains the fields):
  GET    /sandbox/v1/wallet/catalog   -> {"coins": {coin: {..., "networks": {..}}}, "fiat": {..}}
  POST   /sandbox/v1/wallet/catalog   {"coins": {"BTC": {"withdrawAllEnable": false,
             "networks": {"BTC": {"withdrawFee": "0.0005", "withdrawMin": "0.001",
             "withdrawMax": "10", "withdrawIntegerMultiple": "0.0001", "addressRegex": "...",
             "memoRegex": "", "depositEnable": true, "withdrawEnable": true, "isDefault": true,
             "minConfirm": 1, "unLockConfirm": 2, "blockSeconds": 60, "withdrawSeconds": 30,
             "withdrawOutcome": 6 | 5 | 3, "explorer": "https://..."} | null}} | null},
           "fiat": {"withdrawEnable": true, "withdrawFee": "0", "withdrawMin": "1",
             "withdrawMax": "1000000", "initSeconds": 5, "processingSeconds": 60,
             "withdrawOutcome": "Successful" | "Failed"}}
         the fields sent change, a new coin/network is created, null removes one; all or
         nothing (400 {"error"} changes nothing)
  DELETE /sandbox/v1/wallet/catalog   -> the seeded catalogue again

Wallet events:
  POST /sandbox/v1/wallet/deposits {"email", "coin", "amount", "network"?: default network,
       "address"?: the account's, "addressTag"?, "txId"?} -> the deposit-history row (status 0;
       it moves 0 -> 6 -> 1 on the sandbox clock, see wallet.py)
  POST /sandbox/v1/wallet/withdrawals/{id} {"status": 6 | 5 | 3 | 1} -> the history row: ends
       an open crypto withdrawal now (6 completed with a txId; 5 failure, 3 rejected and
       1 canceled refund it); 409 if it already ended
  POST /sandbox/v1/wallet/fiat-deposits {"email", "amount", "fee"?: "0", "paymentMethod"?:
       "ACH", "paymentChannel"?: "MODERNTREASURY", "paymentAccount"?} -> the fiat deposit row
       (INIT; credited when Successful, see wallet.py)
  POST /sandbox/v1/wallet/fiat-orders/{orderId} {"orderStatus": "Successful" | "Failed"} ->
       ends an open fiat withdrawal or deposit now (a failed withdrawal is refunded)

Staking catalogue (staking_book.py's docstring):
  GET    /sandbox/v1/staking/catalog  -> {asset: {rewardAsset, apr, apy, unstakingPeriod,
                                          minStakingLimit, maxStakingLimit, autoRestake}}
  POST   /sandbox/v1/staking/catalog  {"ETH": {"apr": "0.05", ...} | null}: the fields sent
         change (a new asset needs them all but rewardAsset), null removes one; all or nothing
  DELETE /sandbox/v1/staking/catalog  -> the seeded catalogue again
"""

from __future__ import annotations

from aiohttp import web

from .accounts import Account
from .admin_http import AdminError, guarded, read_body, reply
from .decimals import parse_amount
from .staking_book import default_assets, update_assets
from .state import Exchange
from .wallet_catalog import Fiat as FiatSettings
from .wallet_catalog import default_coins, describe, update_coins, update_fiat


class WalletAdmin:
    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    def account(self, doc: dict) -> Account:
        email = doc.get("email")
        acct = self.ex.registry.by_email.get(email) if isinstance(email, str) else None
        if acct is None or acct.internal:
            raise AdminError(404, f"no account {email}")
        return acct

    def amount(self, doc: dict, name: str = "amount", default: str | None = None) -> object:
        try:
            value = parse_amount(doc.get(name, default), name)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        if name == "amount" and value <= 0:
            raise AdminError(400, "amount must be > 0")
        return value

    def catalog(self) -> dict:
        return describe(self.ex.wallet.coins, self.ex.wallet.fiat)

    async def get_catalog(self, request: web.Request) -> web.Response:
        return reply(self.catalog())

    async def post_catalog(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        if not set(doc) <= {"coins", "fiat"}:
            raise AdminError(400, "the body takes coins and fiat")
        wallet = self.ex.wallet
        try:
            coins = update_coins(wallet.coins, doc.get("coins", {}))
            fiat = update_fiat(wallet.fiat, doc.get("fiat", {}))
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        wallet.coins, wallet.fiat = coins, fiat
        return reply(self.catalog())

    async def delete_catalog(self, request: web.Request) -> web.Response:
        self.ex.wallet.coins, self.ex.wallet.fiat = default_coins(), FiatSettings()
        return reply(self.catalog())

    async def post_deposit(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        acct = self.account(doc)
        coin = self.ex.wallet.coins.get(doc.get("coin"))  # type: ignore[arg-type]
        if coin is None or not coin.networks:
            raise AdminError(400, "coin must be a crypto coin of the catalogue")
        name = doc.get("network")
        net = coin.default_network() if name is None else coin.networks.get(name)
        if net is None:
            raise AdminError(400, f"network must be one of {', '.join(coin.networks)}")
        texts = {}
        for field in ("address", "addressTag", "txId"):
            value = doc.get(field)
            if value is not None and (not isinstance(value, str) or len(value) > 200):
                raise AdminError(400, f"{field} must be a string")
            texts[field] = value
        row = self.ex.wallet.deposit(
            acct,
            coin,
            net,
            self.amount(doc),  # type: ignore[arg-type]
            texts["address"],
            texts["addressTag"],
            texts["txId"],
        )
        return reply(dict(row))

    async def post_withdrawal(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        wallet = self.ex.wallet
        w = wallet.by_id.get(request.match_info["id"])
        if w is None:
            raise AdminError(404, "no such withdrawal")
        status = doc.get("status")
        if status not in (6, 5, 3, 1) or isinstance(status, bool):
            raise AdminError(400, "status must be 6, 5, 3 or 1")
        try:
            wallet.finish_withdrawal(w, status, self.ex.clock.now_ms())  # type: ignore[arg-type]
        except ValueError as exc:
            raise AdminError(409, str(exc)) from None
        return reply(w.row())

    async def post_fiat_deposit(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        acct = self.account(doc)
        value = self.amount(doc)
        fee = self.amount(doc, "fee", "0")
        if fee >= value:  # type: ignore[operator]
            raise AdminError(400, "fee must be below amount")
        texts = {}
        for field, default in (
            ("paymentMethod", "ACH"),
            ("paymentChannel", "MODERNTREASURY"),
            ("paymentAccount", None),
        ):
            text = doc.get(field, default)
            if text is not None and (not isinstance(text, str) or not 0 < len(text) <= 128):
                raise AdminError(400, f"{field} must be a short string")
            texts[field] = text
        f = self.ex.wallet.fiat_order(
            acct,
            "deposit",
            value,  # type: ignore[arg-type]
            fee,  # type: ignore[arg-type]
            texts["paymentAccount"] or self.ex.wallet.new_id("account"),
            texts["paymentChannel"],
            texts["paymentMethod"],
        )
        return reply(f.row())

    async def post_fiat_order(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        f = self.ex.wallet.fiat_by_id.get(request.match_info["orderId"])
        if f is None:
            raise AdminError(404, "no such fiat order")
        status = doc.get("orderStatus")
        if status not in ("Successful", "Failed"):
            raise AdminError(400, "orderStatus must be Successful or Failed")
        try:
            self.ex.wallet.finish_fiat(f, status)  # type: ignore[arg-type]
        except ValueError as exc:
            raise AdminError(409, str(exc)) from None
        return reply(f.row())

    def staking_catalog(self) -> dict:
        return {a: spec.row() for a, spec in self.ex.staking.assets.items()}

    async def get_staking_catalog(self, request: web.Request) -> web.Response:
        return reply(self.staking_catalog())

    async def post_staking_catalog(self, request: web.Request) -> web.Response:
        doc = await read_body(request)
        try:
            self.ex.staking.assets = update_assets(self.ex.staking.assets, doc)
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return reply(self.staking_catalog())

    async def delete_staking_catalog(self, request: web.Request) -> web.Response:
        self.ex.staking.assets = default_assets()
        return reply(self.staking_catalog())


def add_routes(app: web.Application, ex: Exchange) -> None:
    w = WalletAdmin(ex)
    app.router.add_get("/sandbox/v1/wallet/catalog", guarded(w.get_catalog))
    app.router.add_post("/sandbox/v1/wallet/catalog", guarded(w.post_catalog))
    app.router.add_delete("/sandbox/v1/wallet/catalog", guarded(w.delete_catalog))
    app.router.add_post("/sandbox/v1/wallet/deposits", guarded(w.post_deposit))
    app.router.add_post("/sandbox/v1/wallet/withdrawals/{id}", guarded(w.post_withdrawal))
    app.router.add_post("/sandbox/v1/wallet/fiat-deposits", guarded(w.post_fiat_deposit))
    app.router.add_post("/sandbox/v1/wallet/fiat-orders/{orderId}", guarded(w.post_fiat_order))
    app.router.add_get("/sandbox/v1/staking/catalog", guarded(w.get_staking_catalog))
    app.router.add_post("/sandbox/v1/staking/catalog", guarded(w.post_staking_catalog))
    app.router.add_delete("/sandbox/v1/staking/catalog", guarded(w.delete_staking_catalog))
