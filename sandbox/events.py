"""Stream payloads, field for field as in the spec's "WebSocket Streams" and
"User Data Stream Payloads" sections."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from .accounts import Account
from .decimals import ZERO, fmt8
from .klines import Bar
from .records import AggTrade, Fill, Order, OrderList, Trade
from .tape import Stats

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
    return {"e": "aggTrade", "E": now, "s": symbol, **agg_fields(a)}


def agg_fields(a: AggTrade) -> dict:
    """An aggregate trade as both the stream event and GET /api/v3/aggTrades show it."""
    return {
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
    """Payload A of "User Data Stream Payloads"; the optional fields appear when the spec says
    they do (trailing delta/time for trailing stops, workingTime once working, the STP fields
    on an order expired by self-trade prevention)."""
    canceled = exec_type == "CANCELED"
    t = fill.trade if fill else None
    doc: dict = {
        "e": "executionReport",
        "E": now,
        "s": o.symbol,
        "c": o.cancel_client_id if canceled else o.client_order_id,
        "S": o.side,
        "o": o.type,
        "f": o.time_in_force,
        "q": fmt8(o.orig_qty),
        "p": fmt8(o.price),
        "P": fmt8(o.stop_price),
    }
    if o.trailing_delta:
        doc["d"] = o.trailing_delta
    doc.update(
        {
            "F": fmt8(o.iceberg_qty),
            "g": o.order_list_id,
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
            "w": o.is_working,  # the order's isWorking (false while a stop waits)
            "m": fill.is_maker if fill else False,
            "M": False,
            "O": o.time,
            "Z": fmt8(o.cum_quote),
            "Y": fmt8(t.quote_qty) if t else ZERO8,
            "Q": fmt8(o.orig_quote_qty),
            "V": o.stp_mode,
        }
    )
    if o.trailing_delta and o.trailing_time >= 0:
        doc["D"] = o.trailing_time
    if o.is_working:
        doc["W"] = o.working_time
    if o.status == "EXPIRED_IN_MATCH":
        doc.update(
            {
                "v": o.prevented_match_id,
                "U": o.counter_order_id,
                "A": fmt8(o.prevented_qty),
                "B": fmt8(o.last_prevented_qty),
            }
        )
    return doc


def list_status(lst: OrderList, now: int) -> dict:
    """Payload B: an OCO's status."""
    return {
        "e": "listStatus",
        "E": now,
        "s": lst.symbol,
        "g": lst.list_id,
        "c": "OCO",
        "l": lst.status_type,
        "L": lst.order_status,
        "r": "NONE",
        "C": lst.cancel_client_id or lst.list_client_id,
        "T": lst.transaction_time,
        "O": [{"s": o.symbol, "i": o.order_id, "c": o.client_order_id} for o in lst.orders],
    }


def account_position(acct: Account, assets: Iterable[str], now: int) -> dict:
    rows = []
    for asset in sorted(assets):
        b = acct.bal(asset)
        rows.append({"a": asset, "f": fmt8(b.free), "l": fmt8(b.locked)})
    return {"e": "outboundAccountPosition", "E": now, "u": acct.update_time, "B": rows}


def balance_update(asset: str, delta: Decimal, now: int) -> dict:
    return {"e": "balanceUpdate", "E": now, "a": asset, "d": fmt8(delta), "T": now}


def percent(value: Decimal, places: int) -> str:
    """A price change percent the way the exchange prints it ("-4.659" in REST, "250.00" in
    the stream examples)."""
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def kline(symbol: str, interval: str, bar: Bar, close_time: int, closed: bool, now: int) -> dict:
    return {
        "e": "kline",
        "E": now,
        "s": symbol,
        "k": {
            "t": bar.open_time,
            "T": close_time,
            "s": symbol,
            "i": interval,
            "f": bar.first_id,
            "L": bar.last_id,
            "o": fmt8(bar.open),
            "c": fmt8(bar.close),
            "h": fmt8(bar.high),
            "l": fmt8(bar.low),
            "v": fmt8(bar.volume),
            "n": bar.n,
            "x": closed,
            "q": fmt8(bar.quote),
            "V": fmt8(bar.taker_base),
            "Q": fmt8(bar.taker_quote),
            "B": "0",
        },
    }


# Tickers, streamed and REST alike, share runs of fields: these build them under the names
# each document gives them (REST spells out what a stream abbreviates), in the spec's order.


def open_high_low(st: Stats, names: tuple[str, str, str] = ("o", "h", "l")) -> dict:
    return dict(zip(names, (fmt8(st.open), fmt8(st.high), fmt8(st.low)), strict=True))


def window_totals(st: Stats, names: tuple[str, ...] = ("v", "q", "O", "C", "F", "L", "n")) -> dict:
    """Volumes, the window's bounds and its first/last trade ids and count."""
    values = (
        fmt8(st.volume),
        fmt8(st.quote),
        st.open_time,
        st.close_time,
        st.first_id,
        st.last_id,
        st.count,
    )
    return dict(zip(names, values, strict=True))


def ticker_24h(
    symbol: str,
    st: Stats,
    bid: tuple[Decimal, Decimal] | None,
    ask: tuple[Decimal, Decimal] | None,
    now: int,
) -> dict:
    b = bid or (ZERO, ZERO)
    a = ask or (ZERO, ZERO)
    return {
        "e": "24hrTicker",
        "E": now,
        "s": symbol,
        "p": fmt8(st.change),
        "P": percent(st.change_percent, 2),
        "w": fmt8(st.weighted_avg),
        "x": fmt8(st.prev),
        "c": fmt8(st.last),
        "Q": fmt8(st.last_qty),
        "b": fmt8(b[0]),
        "B": fmt8(b[1]),
        "a": fmt8(a[0]),
        "A": fmt8(a[1]),
        **open_high_low(st),
        **window_totals(st),
    }


def ticker_window(symbol: str, window: str, st: Stats, now: int) -> dict:
    return {
        "e": f"{window}Ticker",
        "E": now,
        "s": symbol,
        "p": fmt8(st.change),
        "P": percent(st.change_percent, 2),
        **open_high_low(st),
        "c": fmt8(st.last),
        "w": fmt8(st.weighted_avg),
        **window_totals(st),
    }


def mini_ticker(symbol: str, st: Stats, now: int) -> dict:
    return {
        "e": "24hrMiniTicker",
        "E": now,
        "s": symbol,
        "c": fmt8(st.last),
        **open_high_low(st),
        "v": fmt8(st.volume),
        "q": fmt8(st.quote),
    }
