"""The sandbox's notion of "now", shared by everything that reads time.

A single object with an adjustable offset lets the admin API skew the exchange clock (to
exercise -1021 handling in clients) without touching the host clock.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from .symbols import SYMBOLS
from .ws_api_methods import METHODS as WS_API_METHODS


class Clock:
    """Wall-clock milliseconds plus an admin-controlled offset."""

    def __init__(self, offset_ms: int = 0) -> None:
        self.offset_ms = offset_ms

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def to_dict(self) -> dict:
        return {"offsetMs": self.offset_ms, "serverTime": self.now_ms()}


# What a faulted operation does (see `Faults`):
#   execute_then_500      run the request, then answer HTTP 500 with an unknown-outcome body
#   execute_then_timeout  run the request, then hold the response open (client times out)
#   unavailable_503       answer HTTP 503 "Service Unavailable." without running it
FAULT_MODES = ("execute_then_500", "execute_then_timeout", "unavailable_503")
# Operations that can be faulted; dispatch.FAULTED_ENDPOINTS maps endpoints onto them (the
# WebSocket API's methods included: they run the same endpoints).
FAULT_OPS = (
    "transfer",
    "order",
    "cancel",
    "cancelReplace",
    "oco",
    "withdrawApply",
    "fiatWithdrawApply",
    "stake",
    "unstake",
    "custodyOrder",
    "custodyCancel",
    "custodianTransfer",
    "custodianUndo",
    "creditLineTransfer",
    "otcOrder",
    "dust",
)
DEFAULT_HOLD_S = 30.0


@dataclass(slots=True)
class Fault:
    mode: str
    count: int | None  # how many more calls it applies to (None: until cleared); clears at 0
    hold_s: float = DEFAULT_HOLD_S  # execute_then_timeout: how long to hold the response
    probability: float = 1.0  # the share of calls it applies to (drawn from a seeded rng)

    def to_dict(self) -> dict:
        doc: dict = {"mode": self.mode, "count": self.count}
        if self.mode == "execute_then_timeout":
            doc["holdSeconds"] = self.hold_s
        if self.probability < 1:
            doc["probability"] = self.probability
        return doc


@dataclass(slots=True)
class OrderVisibility:
    """orderVisibility fault: an order placed while it is set stays invisible to GET and
    DELETE /api/v3/order for `lag_ms` (sandbox clock), as if read from a lagging replica;
    for the next `count` placements (every one until cleared when None)."""

    lag_ms: int
    count: int | None

    def to_dict(self) -> dict:
        lag_s = self.lag_ms / 1000
        return {"lagSeconds": int(lag_s) if lag_s.is_integer() else lag_s, "count": self.count}


@dataclass(slots=True)
class StreamFault:
    """A market-stream fault: applies to events of `symbol`'s streams (every stream when None),
    `count` more times (forever when None); `ms` is streamDelayMs's delay."""

    symbol: str | None
    count: int | None
    ms: int = 0

    def matches(self, symbol: str | None) -> bool:
        return self.symbol is None or self.symbol == symbol

    def use(self) -> bool:
        """Consume one use; True when the fault is used up."""
        if self.count is None:
            return False
        self.count -= 1
        return self.count <= 0

    def to_dict(self, with_ms: bool = False) -> dict:
        doc: dict = {}
        if self.symbol is not None:
            doc["symbol"] = self.symbol
        if with_ms:
            doc["ms"] = self.ms
        if self.count is not None:
            doc["count"] = self.count
        return doc


STREAM_FAULTS = ("depthGap", "streamDelayMs", "streamDuplicate")

# What the wsApi fault does to a WebSocket API request (see ws_api.py):
#   execute_then_drop  run the request, then cut the connection before answering
#   delay_answer       run the request, answer `delaySeconds` later
#   unavailable_503    answer status 503 "Service Unavailable." without running it
WS_API_MODES = ("execute_then_drop", "delay_answer", "unavailable_503")
DEFAULT_DELAY_S = 5.0
# The keys Faults.update reads itself (the others: FAULT_OPS, STREAM_FAULTS).
OWN_FAULTS = ("historyLagSeconds", "orderVisibility", "wsApi", "wsApiDown")


@dataclass(slots=True)
class WsApiFault:
    """The wsApi fault: applies to requests of `method` (any method when None), `count` more
    times (until cleared when None), to the share `probability` of them."""

    mode: str
    count: int | None
    method: str | None = None
    delay_s: float = DEFAULT_DELAY_S
    probability: float = 1.0

    def to_dict(self) -> dict:
        doc: dict = {"mode": self.mode, "count": self.count}
        if self.method is not None:
            doc["method"] = self.method
        if self.mode == "delay_answer":
            doc["delaySeconds"] = self.delay_s
        if self.probability < 1:
            doc["probability"] = self.probability
        return doc


class Faults:
    """Fault-injection switches, read by the HTTP and stream layers, set via the admin API.

    `ops` holds one `Fault` per operation ("transfer", "order"); `take(op)` consumes one
    use. `history_lag_ms` is the "Data Source: Database" lag: how long after a transfer
    executed it becomes visible in history endpoints (sandbox clock). `streams` holds the
    market-stream faults by name (see STREAM_FAULTS and admin_controls.py's docstring).
    """

    def __init__(self) -> None:
        self.ops: dict[str, Fault] = {}
        self.history_lag_ms = 0
        self.streams: dict[str, StreamFault] = {}
        self.visibility: OrderVisibility | None = None
        self.ws_api: WsApiFault | None = None
        # wsApiDown: new /ws-api/v3 handshakes are refused while set (ws_api.WsApi reads it).
        self.ws_api_down = False
        # Run when wsApiDown is set, to cut the open connections: the sockets are ws_api's,
        # which registers here (this module knows none of them).
        self.on_ws_api_down: list[Callable[[], object]] = []
        # (account id, symbol, orderId) -> visible at; an order placed under an
        # orderVisibility fault stays hidden for its lag even if the fault is cleared meanwhile.
        self.hidden: dict[tuple[int, str, int], int] = {}
        self.rng = random.Random("faults")

    def note_placed(self, account_id: int, symbol: str, order_id: int, now: int) -> None:
        """A real account's order was placed: hide it if an orderVisibility fault is set."""
        v = self.visibility
        if v is None:
            return
        self.hidden[(account_id, symbol, order_id)] = now + v.lag_ms
        if v.count is not None:
            v.count -= 1
            if v.count <= 0:
                self.visibility = None

    def is_hidden(self, account_id: int, symbol: str, order_id: int, now: int) -> bool:
        key = (account_id, symbol, order_id)
        visible_at = self.hidden.get(key)
        if visible_at is None:
            return False
        if now >= visible_at:
            del self.hidden[key]
            return False
        return True

    def take_stream(self, name: str, symbol: str | None) -> StreamFault | None:
        """The stream fault `name` if it applies to an event of `symbol`; consumes one use."""
        fault = self.streams.get(name)
        if fault is None or not fault.matches(symbol):
            return None
        if fault.use():
            del self.streams[name]
        return fault

    def take(self, op: str) -> Fault | None:
        """The fault for this call of `op`, if it applies (consuming one use)."""
        fault = self.ops.get(op)
        if fault is None:
            return None
        if fault.probability < 1 and self.rng.random() >= fault.probability:
            return None
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                del self.ops[op]
        return fault

    def take_ws_api(self, method: str) -> WsApiFault | None:
        """The wsApi fault for this request of `method`, if it applies (consuming one use)."""
        fault = self.ws_api
        if fault is None or fault.method not in (None, method):
            return None
        if fault.probability < 1 and self.rng.random() >= fault.probability:
            return None
        if fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                self.ws_api = None
        return fault

    def update(self, doc: dict) -> None:
        """Apply {"transfer": {...} | null, "order": ..., "historyLagSeconds": N}; all or
        nothing: raises ValueError (nothing changed) on any bad entry."""
        ops: dict[str, Fault | None] = {}
        streams: dict[str, StreamFault | None] = {}
        lag: int | None = None
        visibility: list[OrderVisibility | None] = []
        ws_api: list[WsApiFault | None] = []
        down: list[bool] = []
        for name, value in doc.items():
            if name == "orderVisibility":
                visibility.append(None if value is None else _visibility(value))
            elif name == "wsApi":
                ws_api.append(None if value is None else _ws_api_fault(value))
            elif name == "wsApiDown":
                down.append(_ws_api_down(value))
            elif name in STREAM_FAULTS:
                streams[name] = None if value is None else _stream_fault(name, value)
            elif name == "historyLagSeconds":
                if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                    raise ValueError("historyLagSeconds must be a number >= 0")
                lag = int(value * 1000)
            elif name in FAULT_OPS:
                ops[name] = None if value is None else _fault(name, value)
            else:
                known = ", ".join(OWN_FAULTS + FAULT_OPS + STREAM_FAULTS)
                raise ValueError(f"unknown fault {name!r} (known: {known})")
        for name, fault in ops.items():
            if fault is None:
                self.ops.pop(name, None)
            else:
                self.ops[name] = fault
        for name, stream_fault in streams.items():
            if stream_fault is None:
                self.streams.pop(name, None)
            else:
                self.streams[name] = stream_fault
        if lag is not None:
            self.history_lag_ms = lag
        if visibility:
            self.visibility = visibility[0]
        if ws_api:
            self.ws_api = ws_api[0]
        if down:
            self._set_ws_api_down(down[0])

    def _set_ws_api_down(self, down: bool) -> None:
        self.ws_api_down = down
        if down:  # setting it again cuts again: harmless, nothing can have opened meanwhile
            for hook in self.on_ws_api_down:
                hook()

    def clear(self) -> None:
        self.ops.clear()
        self.history_lag_ms = 0
        self.streams.clear()
        self.visibility = None
        self.ws_api = None
        self.ws_api_down = False
        self.hidden.clear()

    def to_dict(self) -> dict:
        doc: dict = {name: fault.to_dict() for name, fault in sorted(self.ops.items())}
        lag_s = self.history_lag_ms / 1000
        doc["historyLagSeconds"] = int(lag_s) if lag_s.is_integer() else lag_s
        for name, fault in sorted(self.streams.items()):
            doc[name] = fault.to_dict(with_ms=name == "streamDelayMs")
        if self.visibility is not None:
            doc["orderVisibility"] = self.visibility.to_dict()
        if self.ws_api is not None:
            doc["wsApi"] = self.ws_api.to_dict()
        if self.ws_api_down:
            doc["wsApiDown"] = True
        return doc


def _is_count(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _is_number(value: object, low: float, high: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def _fault(name: str, value: object) -> Fault | None:
    """{"mode", "count"?: n | null (default 1; null: until cleared), "holdSeconds"?,
    "probability"?: p in (0, 1] (default 1)}; None when count is 0."""
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object {{mode, count}} or null")
    if not set(value) <= {"mode", "count", "holdSeconds", "probability"}:
        raise ValueError(f"{name} takes only mode, count, holdSeconds and probability")
    mode, count = value.get("mode"), value.get("count", 1)
    if mode not in FAULT_MODES:
        raise ValueError(f"{name}.mode must be one of {', '.join(FAULT_MODES)}")
    if not _is_count(count):
        raise ValueError(f"{name}.count must be an integer >= 0 or null")
    hold = value.get("holdSeconds", DEFAULT_HOLD_S)
    if not _is_number(hold, 0, 600):
        raise ValueError(f"{name}.holdSeconds must be a number in [0, 600]")
    probability = value.get("probability", 1)
    if not _is_number(probability, 0, 1) or probability == 0:
        raise ValueError(f"{name}.probability must be a number in (0, 1]")
    if count == 0:
        return None
    return Fault(mode, count, float(hold), float(probability))


def _visibility(value: object) -> OrderVisibility | None:
    """{"lagSeconds": s (0..3600), "count"?: n | null}; None when count is 0."""
    if not isinstance(value, dict) or not set(value) <= {"lagSeconds", "count"}:
        raise ValueError("orderVisibility must be {lagSeconds, count} or null")
    lag, count = value.get("lagSeconds"), value.get("count")
    if not _is_number(lag, 0, 3600):
        raise ValueError("orderVisibility.lagSeconds must be a number in [0, 3600]")
    if not _is_count(count):
        raise ValueError("orderVisibility.count must be an integer >= 0 or null")
    if count == 0:
        return None
    return OrderVisibility(int(lag * 1000), count)  # type: ignore[operator]


def _stream_fault(name: str, value: object) -> StreamFault | None:
    """{"symbol"?: "BTCUSD", "count"?: n, "ms": n (streamDelayMs only)}; None = cleared."""
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object or null")
    allowed = {"symbol", "count", "ms"} if name == "streamDelayMs" else {"symbol", "count"}
    if not set(value) <= allowed:
        raise ValueError(f"{name} takes only {', '.join(sorted(allowed))}")
    symbol = value.get("symbol")
    if name == "depthGap" and symbol is None:
        raise ValueError("depthGap.symbol is required")
    if symbol is not None and symbol not in SYMBOLS:
        raise ValueError(f"{name}.symbol must be one of {', '.join(SYMBOLS)}")
    default = None if name == "streamDelayMs" else 1
    count = value.get("count", default)
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        raise ValueError(f"{name}.count must be an integer >= 0")
    ms = 0
    if name == "streamDelayMs":
        ms = value.get("ms")  # type: ignore[assignment]
        if not isinstance(ms, int) or isinstance(ms, bool) or not 0 <= ms <= 60_000:
            raise ValueError("streamDelayMs.ms must be an integer in [0, 60000]")
    if count == 0:
        return None
    return StreamFault(symbol, count, ms)


def _ws_api_fault(value: object) -> WsApiFault | None:
    """{"mode", "count"?: n | null (default 1), "method"?: a WebSocket API method,
    "delaySeconds"?: s (delay_answer, default 5), "probability"?}; None when count is 0."""
    allowed = {"mode", "count", "method", "delaySeconds", "probability"}
    if not isinstance(value, dict) or not set(value) <= allowed:
        raise ValueError(f"wsApi must be null or an object of {', '.join(sorted(allowed))}")
    mode, count, method = value.get("mode"), value.get("count", 1), value.get("method")
    if mode not in WS_API_MODES:
        raise ValueError(f"wsApi.mode must be one of {', '.join(WS_API_MODES)}")
    if not _is_count(count):
        raise ValueError("wsApi.count must be an integer >= 0 or null")
    if method is not None and method not in WS_API_METHODS:
        raise ValueError(f"wsApi.method must be a WebSocket API method, not {method!r}")
    delay = value.get("delaySeconds", DEFAULT_DELAY_S)
    if not _is_number(delay, 0, 600):
        raise ValueError("wsApi.delaySeconds must be a number in [0, 600]")
    probability = value.get("probability", 1)
    if not _is_number(probability, 0, 1) or probability == 0:
        raise ValueError("wsApi.probability must be a number in (0, 1]")
    if count == 0:
        return None
    return WsApiFault(mode, count, method, float(delay), float(probability))


def _ws_api_down(value: object) -> bool:
    """wsApiDown: true sets it, false or null clears it; anything else is refused."""
    if value is not None and not isinstance(value, bool):
        raise ValueError("wsApiDown must be true, false or null")
    return bool(value)
