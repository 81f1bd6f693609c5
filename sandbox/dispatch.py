"""The dispatch core REST (app.rest) and the WebSocket API (ws_api.py) share: count the call's
weight in the per-IP counter, authenticate, check the parameter names, apply the admin's
operation faults, run the endpoint's handler. The transports only parse requests and shape
answers, so a call gets the same weight, errors and effects whichever one carried it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import errors
from .accounts import ApiKey
from .auth import Credentials, authenticate
from .clock import Fault
from .ctx import Ctx
from .endpoint_table import Endpoint
from .params import Params, check_names
from .ratelimit import Refusal
from .rest import VARIABLE_WEIGHTS
from .routes import ROUTES
from .state import Exchange

# Endpoints whose calls the admin-set faults (clock.Faults) apply to, by operation name.
FAULTED_ENDPOINTS = {
    ("POST", "/sapi/v3/sub-account/transfer"): "transfer",
    ("POST", "/api/v3/order"): "order",
    ("DELETE", "/api/v3/order"): "cancel",
    ("DELETE", "/api/v3/openOrders"): "cancel",
    ("POST", "/api/v3/order/cancelReplace"): "cancelReplace",
    ("POST", "/api/v3/order/oco"): "oco",
    ("POST", "/sapi/v1/capital/withdraw/apply"): "withdrawApply",
    ("POST", "/sapi/v1/fiatpayment/withdraw/apply"): "fiatWithdrawApply",
    ("POST", "/sapi/v1/staking/stake"): "stake",
    ("POST", "/sapi/v1/staking/unstake"): "unstake",
    ("POST", "/sapi/v1/custodian/order"): "custodyOrder",
    ("POST", "/sapi/v1/custodian/ocoOrder"): "custodyOrder",
    ("DELETE", "/sapi/v1/custodian/cancelOrder"): "custodyCancel",
    ("DELETE", "/sapi/v1/custodian/cancelOrdersBySymbol"): "custodyCancel",
    ("DELETE", "/sapi/v1/custodian/cancelOcoOrder"): "custodyCancel",
    ("POST", "/sapi/v1/custodian/walletTransfer"): "custodianTransfer",
    ("POST", "/sapi/v1/custodian/custodianTransfer"): "custodianTransfer",
    ("POST", "/sapi/v1/custodian/undoTransfer"): "custodianUndo",
    ("POST", "/sapi/v1/cl/transfer"): "creditLineTransfer",
    ("POST", "/sapi/v1/otc/orders"): "otcOrder",
    ("POST", "/sapi/v1/asset/dust"): "dust",
}


@dataclass(slots=True)
class Call:
    """One API call, whichever transport carried it. `params` is None (and `parse_error`
    set) when the parameters could not be read; `endpoint` is None for an unknown one."""

    endpoint: Endpoint | None
    params: Params | None
    creds: Credentials
    ip: str
    parse_error: errors.ApiError | None = None


@dataclass(slots=True)
class Outcome:
    """What a call came to: the answer document, or the ApiError to answer."""

    result: object = None
    headers: dict[str, str] = field(default_factory=dict)
    key: ApiKey | None = None  # the authenticated key, once known
    fault: Fault | None = None  # an operation fault taken: answered as unknown outcome
    refusal: Refusal | None = None  # a rate or order limit turned the call away
    bare: bool = False  # answered without the used-weight report (the 503 fault)

    @property
    def error(self) -> errors.ApiError | None:
        return self.result if isinstance(self.result, errors.ApiError) else None


def weight_of(endpoint: Endpoint, params: Params | None) -> int:
    if endpoint.weight is not None:
        return endpoint.weight
    rule = VARIABLE_WEIGHTS.get(endpoint.path)
    if rule is None or params is None:
        return 1
    try:
        return rule(params)
    except errors.ApiError:
        return 1


def dispatch(ex: Exchange, call: Call) -> Outcome:
    """Count the call's weight (or refuse it), then run it."""
    endpoint = call.endpoint
    weight = 1 if endpoint is None else weight_of(endpoint, call.params)
    try:
        ex.limits.admit(call.ip, weight)
    except Refusal as refusal:
        return refused(refusal)
    if endpoint is None:
        return Outcome(errors.unsupported(404))
    return _run(ex, call, endpoint, weight)


def refused(refusal: Refusal) -> Outcome:
    return Outcome(refusal.error, {"Retry-After": str(refusal.retry_after_s)}, refusal=refusal)


def _run(ex: Exchange, call: Call, endpoint: Endpoint, weight: int) -> Outcome:
    out = Outcome()
    try:
        out.key = _admit(ex, call, endpoint)
        handler = ROUTES.get((endpoint.method, endpoint.path))
        if handler is None:  # in the spec, not in the sandbox (yet)
            raise errors.unsupported(404)
        assert call.params is not None
        check_names(
            endpoint.method, endpoint.path, endpoint.security == "SIGNED", call.params.values
        )
        op = FAULTED_ENDPOINTS.get((endpoint.method, endpoint.path))
        out.fault = ex.faults.take(op) if op else None
        if out.fault is not None and out.fault.mode == "unavailable_503":
            # Not executed, and (per the 503 taxonomy) not counted toward the rate limit.
            ex.limits.add_weight(call.ip, -weight)
            return Outcome(errors.service_unavailable(), bare=True)
        ex.settle()  # what the sandbox clock made due happens before this request
        out.result = handler(Ctx(ex, call.params, out.key, call.ip, out.headers))
    except errors.ApiError as exc:
        out.result = exc
    except Refusal as refusal:  # an order limit
        out.result, out.refusal = refusal.error, refusal
        out.headers["Retry-After"] = str(refusal.retry_after_s)
    if out.fault is not None:  # executed (or failed) as usual; the client never learns which
        out.result = errors.unknown_outcome()
    return out


def _admit(ex: Exchange, call: Call, endpoint: Endpoint) -> ApiKey | None:
    if call.parse_error is not None:
        raise call.parse_error
    assert call.params is not None
    return authenticate(ex.registry, call.creds, endpoint, call.params, ex.clock.now_ms())
