"""Stream payloads, field for field as in the spec's "WebSocket Streams" and
"User Data Stream Payloads" sections."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from .accounts import Account
from .decimals import ZERO, fmt8
from .engine import AggTrade, Fill, Order, Trade

ZERO8 = fmt8(ZERO)


def levels(rows: Iterable[tuple[Decimal, Decimal]]) -> list[list[str]]:
    return [[fmt8(p), fmt8(q)] for p, q in rows]


def trade(symbol: str, t: Trade, now: int) -> dict:
    return {
        "e": "trade",
        "E": now,
        "s": symbol,
        "t": t.trade_id,
        "p": fmt8(t.price),
        "q": fmt8(t.qty),
        "b": t.buyer_order_id,
        "a": t.seller_order_id,
        "T": t.time,
        "m": t.buyer_is_maker,
        "M": True,
    }


def agg_trade(symbol: str, a: AggTrade, now: int) -> dict:
    return {
        "e": "aggTrade",
        "E": now,
        "s": symbol,
        "a": a.agg_id,
        "p": fmt8(a.price),
        "q": fmt8(a.qty),
        "f": a.first_id,
        "l": a.last_id,
        "T": a.time,
        "m": a.buyer_is_maker,
        "M": True,
    }


def depth_update(
    symbol: str,
    first: int,
    last: int,
    bids: dict[Decimal, Decimal],
    asks: dict[Decimal, Decimal],
    now: int,
) -> dict:
    return {
        "e": "depthUpdate",
        "E": now,
        "s": symbol,
        "U": first,
        "u": last,
        "b": levels(sorted(bids.items(), reverse=True)),
        "a": levels(sorted(asks.items())),
    }


def partial_depth(update_id: int, bids: list, asks: list) -> dict:
    return {"lastUpdateId": update_id, "bids": levels(bids), "asks": levels(asks)}


def book_ticker(
    symbol: str,
    update_id: int,
    bid: tuple[Decimal, Decimal] | None,
    ask: tuple[Decimal, Decimal] | None,
) -> dict:
    b = bid or (ZERO, ZERO)
    a = ask or (ZERO, ZERO)
    return {
        "u": update_id,
        "s": symbol,
        "b": fmt8(b[0]),
        "B": fmt8(b[1]),
        "a": fmt8(a[0]),
        "A": fmt8(a[1]),
    }


def execution_report(o: Order, exec_type: str, fill: Fill | None, now: int, seq: int) -> dict:
    canceled = exec_type == "CANCELED"
    t = fill.trade if fill else None
    return {
        "e": "executionReport",
        "E": now,
        "s": o.symbol,
        "c": o.cancel_client_id if canceled else o.client_order_id,
        "S": o.side,
        "o": o.type,
        "f": o.time_in_force,
        "q": fmt8(o.orig_qty),
        "p": fmt8(o.price),
        "P": ZERO8,
        "F": ZERO8,
        "g": -1,
        "C": o.client_order_id if canceled else "",
        "x": exec_type,
        "X": o.status,
        "r": "NONE",
        "i": o.order_id,
        "l": fmt8(t.qty) if t else ZERO8,
        "z": fmt8(o.executed_qty),
        "L": fmt8(t.price) if t else ZERO8,
        "n": fmt8(fill.commission) if fill else "0",
        "N": fill.commission_asset if fill else None,
        "T": t.time if t else o.update_time,
        "t": t.trade_id if t else -1,
        "I": seq,
        "w": o.on_book,
        "m": fill.is_maker if fill else False,
        "M": False,
        "O": o.time,
        "Z": fmt8(o.cum_quote),
        "Y": fmt8(t.quote_qty) if t else ZERO8,
        "Q": fmt8(o.orig_quote_qty),
        "V": o.stp_mode,
        "W": o.working_time,
    }


def account_position(acct: Account, assets: Iterable[str], now: int) -> dict:
    rows = []
    for asset in sorted(assets):
        b = acct.bal(asset)
        rows.append({"a": asset, "f": fmt8(b.free), "l": fmt8(b.locked)})
    return {"e": "outboundAccountPosition", "E": now, "u": acct.update_time, "B": rows}


def balance_update(asset: str, delta: Decimal, now: int) -> dict:
    return {"e": "balanceUpdate", "E": now, "a": asset, "d": fmt8(delta), "T": now}
