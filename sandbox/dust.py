"""Convert dust (spec "Convert Dust", L6474-6760): small balances swapped for one target asset
at the books' prices, less a fee; the conversion history; what is convertible now.

Valuation: an asset is worth its USD price at the book's mid (subaccounts.usd_price; USD and
USDT are 1). An asset the sandbox has no market for (the spec's BNB) is priced by the admin's
"prices" (default BNB 600); without a price it is never dust nor a target.

Per asset converted into toAsset:
  amount          the asset's whole free balance (the spec's availableBalance)
  converted       amount x price(asset) / price(toAsset), rounded down to 8 decimals
                  (dust-assets "convertedAsset", the POST answer's "transferredAmount")
  fee             converted x feeRate, rounded half up to 8 decimals (the spec's examples:
                  0.0028987 x 0.02 -> 0.00005797, 0.02029026 x 0.02 -> 0.00040581)
  received        converted - fee: what is credited (dust-assets "receivedAsset", the logs'
                  "transferredAmount")
The asset's free balance leaves and `received` arrives at once; one outboundAccountPosition
names them all, as a trade's does.

Choices where the spec is silent or contradicts itself:
- Targets are BNB/BTC/ETH/USDT (L6555, L6563). The changelog added USD (L755) then removed it
  (L744): USD is neither a target nor dust (fiat is not dust here).
- Dust: free balance > 0, not the target, not USD, priced, worth less than thresholdUsd
  (default 20 USD: the spec's own dust-assets example lists 14 USD of USDT, L6726), and worth
  at least 0.00000001 of the target.
- The restricted time is cooldownMs (default 0: never restricted) after a conversion, sandbox
  clock; dust-assets shows it as withinRestrictedTime, and a POST inside it is -2010 "This
  action is disabled on this account." (the spec's message for an action disabled on the
  account; the spec names no code), nothing converted.
- transferredAmount is gross in the POST answer (L6546) and net in the logs (L6634) for the
  same tranId: both are reproduced as shown, as is the log's operateTime cut to the second
  (L6548 1659583487273 vs L6626 1659583487000). totalTransferred is the gross total.
- One tranId per conversion, shared by its assets' rows (a per-asset id is not needed to find
  a conversion in the logs, and the group row has none).
- Errors, all or nothing: a fromAsset named twice is -1101 "Duplicate values for a parameter
  detected."; a toAsset that is not a target -1130 'toAsset'; a fromAsset that is not dust for
  that target -1130 'fromAsset'; fromAsset or toAsset missing -1102.
- dust-logs: startTime and endTime are mandatory (-1102), milliseconds, inclusive, on the exact
  operate time; newest first; no longest window. "Data Source: Database": a conversion is
  listed only after the admin-set history lag.
- "Weight(UID) 10" is read as Binance's per-account weight: the POST counts 10 on the IP's
  weight (the endpoint table) and on the account's own per-minute count, shown in the
  X-SAPI-USED-UID-WEIGHT-1M header of its answers (never enforced).

Admin (loopback only):
  GET  /sandbox/v1/dust -> {"thresholdUsd": "20", "cooldownMs": 0, "feeRate": "0.02",
       "targets": ["BNB", "BTC", "ETH", "USDT"], "prices": {"BNB": "600"}}
  POST /sandbox/v1/dust {any of those keys} -> the same document. Exchange-wide, all or
       nothing (400 {"error"} changes nothing); "prices" replaces the fallback prices.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from aiohttp import web

from . import errors
from .accounts import Account
from .admin_http import AdminError, guarded, read_body, reply
from .ctx import Ctx, in_window
from .decimals import EIGHT, ZERO, parse_amount
from .routes import route
from .state import Exchange
from .wallet_catalog import plain

MINUTE_MS = 60_000
UID_WEIGHT = 10
FIRST_TRAN_ID = 28822799  # the spec's example tranId


@dataclass(slots=True)
class Settings:
    """The exchange-wide dust settings (admin-set)."""

    threshold_usd: Decimal = Decimal(20)
    cooldown_ms: int = 0
    fee_rate: Decimal = Decimal("0.02")
    targets: list[str] = field(default_factory=lambda: ["BNB", "BTC", "ETH", "USDT"])
    prices: dict[str, Decimal] = field(default_factory=lambda: {"BNB": Decimal(600)})
    next_tran_id: int = FIRST_TRAN_ID


@dataclass(frozen=True, slots=True)
class Line:
    """One asset's conversion (see the module docstring)."""

    from_asset: str
    to_asset: str
    amount: Decimal
    converted: Decimal
    fee: Decimal
    usd: Decimal  # converted's USD value

    @property
    def received(self) -> Decimal:
        return self.converted - self.fee


@dataclass(frozen=True, slots=True)
class Conversion:
    tran_id: int
    operate_ms: int
    lines: list[Line]


@dataclass(slots=True)
class Dust:
    """An account's conversions and UID weight."""

    conversions: list[Conversion] = field(default_factory=list)
    last_ms: int | None = None
    weight_minute: int = -1
    weight: int = 0


_SETTINGS: weakref.WeakKeyDictionary[Exchange, Settings] = weakref.WeakKeyDictionary()


def settings_of(ex: Exchange) -> Settings:
    settings = _SETTINGS.get(ex)
    if settings is None:
        settings = _SETTINGS[ex] = Settings()
    return settings


def dust_of(acct: Account) -> Dust:
    if not isinstance(acct.dust, Dust):
        acct.dust = Dust()
    return acct.dust


def price(ex: Exchange, settings: Settings, asset: str) -> Decimal:
    """USD per unit: the books', else the admin's fallback price, else 0."""
    book = ex.usd_price(asset)
    return book if book > 0 else settings.prices.get(asset, ZERO)


def line(ex: Exchange, settings: Settings, asset: str, to_asset: str, amount: Decimal) -> Line:
    to_price = price(ex, settings, to_asset)
    value = amount * price(ex, settings, asset)
    converted = (value / to_price).quantize(EIGHT, rounding=ROUND_DOWN)
    fee = (converted * settings.fee_rate).quantize(EIGHT, rounding=ROUND_HALF_UP)
    usd = (converted * to_price).quantize(EIGHT, rounding=ROUND_HALF_UP)
    return Line(asset, to_asset, amount, converted, fee, usd)


def dust_lines(ex: Exchange, acct: Account, to_asset: str) -> dict[str, Line]:
    """The account's dust for `to_asset`, by asset (see the module docstring)."""
    settings = settings_of(ex)
    out = {}
    for asset, b in sorted(acct.balances.items()):
        asset_price = price(ex, settings, asset)
        if asset in (to_asset, "USD") or b.free <= 0 or asset_price <= 0:
            continue
        if b.free * asset_price >= settings.threshold_usd:
            continue
        found = line(ex, settings, asset, to_asset, b.free)
        if found.converted > 0:
            out[asset] = found
    return out


def restricted(ex: Exchange, acct: Account, now: int) -> bool:
    last = dust_of(acct).last_ms
    return last is not None and now < last + settings_of(ex).cooldown_ms


def _target(ctx: Ctx) -> str:
    to_asset = ctx.params.req("toAsset")
    settings = settings_of(ctx.ex)
    if to_asset not in settings.targets or price(ctx.ex, settings, to_asset) <= 0:
        raise errors.invalid_param("toAsset")
    return to_asset


# ---- endpoints -------------------------------------------------------------------------------


@route("GET", "/sapi/v1/asset/query/dust-assets")
def dust_assets(ctx: Ctx) -> object:
    lines = list(dust_lines(ctx.ex, ctx.account, _target(ctx)).values())
    return {
        "convertibleAssets": [
            {
                "fromAsset": x.from_asset,
                "toAsset": x.to_asset,
                "availableBalance": plain(x.amount),
                "convertedAsset": plain(x.converted),
                "usdValueConvertedAsset": plain(x.usd),
                "conversionFee": plain(x.fee),
                "receivedAsset": plain(x.received),
            }
            for x in lines
        ],
        "totalConvertedAsset": plain(sum((x.converted for x in lines), ZERO)),
        "usdValueTotalConvertedAsset": plain(sum((x.usd for x in lines), ZERO)),
        "totalConversionFee": plain(sum((x.fee for x in lines), ZERO)),
        "totalReceivedAsset": plain(sum((x.received for x in lines), ZERO)),
        "feeRate": plain(settings_of(ctx.ex).fee_rate),
        "withinRestrictedTime": restricted(ctx.ex, ctx.account, ctx.now()),
    }


@route("POST", "/sapi/v1/asset/dust")
def convert(ctx: Ctx) -> object:
    _count_uid_weight(ctx)
    acct, now = ctx.account, ctx.now()
    from_assets = ctx.params.every("fromAsset")
    to_asset = _target(ctx)
    if len(set(from_assets)) != len(from_assets):
        raise errors.duplicate_param()
    if restricted(ctx.ex, acct, now):
        raise errors.ApiError(-2010, "This action is disabled on this account.")
    eligible = dust_lines(ctx.ex, acct, to_asset)
    if not all(a in eligible for a in from_assets):
        raise errors.invalid_param("fromAsset")
    done = _apply(ctx, [eligible[a] for a in from_assets], now)
    return {
        "totalTransferred": plain(sum((x.converted for x in done.lines), ZERO)),
        "totalServiceCharge": plain(sum((x.fee for x in done.lines), ZERO)),
        "transferResult": [
            {
                "tranId": done.tran_id,
                "fromAsset": x.from_asset,
                "toAsset": x.to_asset,
                "amount": plain(x.amount),
                "transferredAmount": plain(x.converted),
                "serviceChargeAmount": plain(x.fee),
                "operateTime": now,
                "result": "S",
            }
            for x in done.lines
        ],
    }


def _count_uid_weight(ctx: Ctx) -> None:
    dust, minute = dust_of(ctx.account), ctx.now() // MINUTE_MS
    if dust.weight_minute != minute:
        dust.weight_minute, dust.weight = minute, 0
    dust.weight += UID_WEIGHT
    ctx.headers["X-SAPI-USED-UID-WEIGHT-1M"] = str(dust.weight)


def _apply(ctx: Ctx, lines: list[Line], now: int) -> Conversion:
    acct, settings = ctx.account, settings_of(ctx.ex)
    for x in lines:
        acct.bal(x.from_asset).free -= x.amount
        acct.bal(x.to_asset).free += x.received
    acct.update_time = now
    done = Conversion(settings.next_tran_id, now, lines)
    settings.next_tran_id += 1
    dust = dust_of(acct)
    dust.conversions.append(done)
    dust.last_ms = now
    assets = {x.from_asset for x in lines} | {lines[0].to_asset}
    ctx.ex.hub.on_balances(acct, assets, now)
    return done


@route("GET", "/sapi/v1/asset/query/dust-logs")
def dust_logs(ctx: Ctx) -> object:
    p = ctx.params
    start, end = p.integer("startTime", required=True), p.integer("endTime", required=True)
    cutoff = ctx.now() - ctx.ex.faults.history_lag_ms
    rows = [
        c
        for c in reversed(dust_of(ctx.account).conversions)
        if c.operate_ms <= cutoff and in_window(c.operate_ms, start, end)
    ]
    return {"total": len(rows), "userDustConvertHistory": [_log_row(c) for c in rows]}


def _log_row(c: Conversion) -> dict:
    shown = c.operate_ms // 1000 * 1000
    return {
        "operateTime": shown,
        "totalServiceChargeAmount": plain(sum((x.fee for x in c.lines), ZERO)),
        "totalTransferredAmount": plain(sum((x.received for x in c.lines), ZERO)),
        "userAssetDribbletDetails": [
            {
                "fromAsset": x.from_asset,
                "toAsset": x.to_asset,
                "amount": plain(x.amount),
                "transferredAmount": plain(x.received),
                "serviceChargeAmount": plain(x.fee),
                "operateTime": shown,
                "tranId": c.tran_id,
            }
            for x in c.lines
        ],
    }


# ---- admin -----------------------------------------------------------------------------------

SETTING_FIELDS = ("thresholdUsd", "cooldownMs", "feeRate", "targets", "prices")


def describe(settings: Settings) -> dict:
    return {
        "thresholdUsd": plain(settings.threshold_usd),
        "cooldownMs": settings.cooldown_ms,
        "feeRate": plain(settings.fee_rate),
        "targets": list(settings.targets),
        "prices": {a: plain(v) for a, v in sorted(settings.prices.items())},
    }


def configure(ex: Exchange, doc: dict) -> Settings:
    """Apply an admin settings document (see the module docstring); ValueError changes
    nothing."""
    unknown = set(doc) - set(SETTING_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} (known: {', '.join(SETTING_FIELDS)})")
    changes = {name: _PARSERS[name](doc[name]) for name in SETTING_FIELDS if name in doc}
    settings = settings_of(ex)
    for name, value in changes.items():
        setattr(settings, _ATTRS[name], value)
    return settings


def _fee_rate(raw: object) -> Decimal:
    rate = parse_amount(raw, "feeRate")
    if rate >= 1:
        raise ValueError("feeRate must be below 1")
    return rate


def _cooldown(raw: object) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise ValueError("cooldownMs must be an integer >= 0")
    return raw


def _assets(raw: object) -> list[str]:
    if not isinstance(raw, list) or not all(_is_asset(a) for a in raw):
        raise ValueError("targets must be a list of upper-case asset names")
    return list(raw)


def _prices(raw: object) -> dict[str, Decimal]:
    if not isinstance(raw, dict) or not all(_is_asset(a) for a in raw):
        raise ValueError("prices must be an object of asset -> USD price")
    return {a: parse_amount(v, f"prices.{a}") for a, v in raw.items()}


def _is_asset(name: object) -> bool:
    return isinstance(name, str) and name.isalnum() and name.isupper()


_PARSERS = {
    "thresholdUsd": lambda raw: parse_amount(raw, "thresholdUsd"),
    "cooldownMs": _cooldown,
    "feeRate": _fee_rate,
    "targets": _assets,
    "prices": _prices,
}
_ATTRS = {
    "thresholdUsd": "threshold_usd",
    "cooldownMs": "cooldown_ms",
    "feeRate": "fee_rate",
    "targets": "targets",
    "prices": "prices",
}


def add_admin_routes(app: web.Application, ex: Exchange) -> None:
    """The admin API's dust controls under /sandbox/v1 (see the module docstring)."""

    async def get_settings(request: web.Request) -> web.Response:
        return reply(describe(settings_of(ex)))

    async def post_settings(request: web.Request) -> web.Response:
        try:
            settings = configure(ex, await read_body(request))
        except ValueError as exc:
            raise AdminError(400, str(exc)) from None
        return reply(describe(settings))

    app.router.add_get("/sandbox/v1/dust", guarded(get_settings))
    app.router.add_post("/sandbox/v1/dust", guarded(post_settings))
