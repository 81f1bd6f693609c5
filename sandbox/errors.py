"""Binance-style error objects: `{"code": -1121, "msg": "Invalid symbol."}` plus an HTTP status.

Codes and messages are the spec's ("Error Responses"). HTTP statuses: the spec only says 4XX for
client errors; like the real exchange we answer 401 for API-key problems, 400 for the rest.
"""

from __future__ import annotations

from collections.abc import Callable


class ApiError(Exception):
    """An error answered to the client as a Binance error object."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    def body(self) -> dict:
        return {"code": self.code, "msg": self.msg}


def _fixed(code: int, msg: str, status: int = 400) -> Callable[[], ApiError]:
    """The maker of an error with a fixed message: a fresh exception each call, so that no
    raise carries an earlier raise's traceback."""

    def error() -> ApiError:
        return ApiError(code, msg, status)

    return error


def _naming(code: int, template: str) -> Callable[[str], ApiError]:
    """The maker of an error whose message names a parameter (the template's `{}`)."""

    def error(name: str) -> ApiError:
        return ApiError(code, template.format(name))

    return error


unknown_error = _fixed(-1000, "An unknown error occurred while processing the request.", 500)


def unsupported(status: int = 404) -> ApiError:
    # The spec has no "no such endpoint" code; -1020 UNSUPPORTED_OPERATION is the closest.
    return ApiError(-1020, "This operation is not supported.", status)


invalid_timestamp_window = _fixed(-1021, "Timestamp for this request is outside of the recvWindow.")
timestamp_ahead = _fixed(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
invalid_signature = _fixed(-1022, "Signature for this request is not valid.")
duplicate_param = _fixed(-1101, "Duplicate values for a parameter detected.")


def mandatory(name: str) -> ApiError:
    return ApiError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or was malformed."
    )


def either(a: str, b: str) -> ApiError:
    return ApiError(-1102, f"Param '{a}' or '{b}' must be sent, but both were empty/null.")


param_empty = _naming(-1105, "Parameter '{}' was empty.")
not_required = _naming(-1106, "Parameter '{}' sent when not required.")
overflow = _naming(-1108, "Parameter '{}' overflowed.")
bad_precision = _fixed(-1111, "Precision is over the maximum defined for this asset.")
tif_not_required = _fixed(-1114, "TimeInForce parameter sent when not required.")
invalid_tif = _fixed(-1115, "Invalid timeInForce.")
invalid_order_type = _fixed(-1116, "Invalid orderType.")
invalid_side = _fixed(-1117, "Invalid side.")
bad_interval = _fixed(-1120, "Invalid interval.")
bad_symbol = _fixed(-1121, "Invalid symbol.")
invalid_listen_key = _fixed(-1125, "This listenKey does not exist.")
bad_combo = _fixed(-1128, "Combination of optional parameters invalid.")
invalid_param = _naming(-1130, "Data sent for parameter '{}' is not valid.")
invalid_json = _naming(-1135, "JSON sent for parameter '{}' is not valid")
invalid_cancel_restrictions = _fixed(
    -1145, "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED."
)


def filter_failure(filter_type: str) -> ApiError:
    # The spec lists the messages but no code; -1013 is what the exchange sends with them.
    return ApiError(-1013, f"Filter failure: {filter_type}")


def new_order_rejected(msg: str) -> ApiError:
    return ApiError(-2010, msg)


insufficient_balance = _fixed(-2010, "Account has insufficient balance for requested action.")


def cancel_rejected(msg: str = "Unknown order sent.") -> ApiError:
    return ApiError(-2011, msg)


no_such_order = _fixed(-2013, "Order does not exist.")
bad_api_key_format = _fixed(-2014, "API-key format invalid.", 401)
rejected_key = _fixed(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def unknown_outcome() -> ApiError:
    """A 5XX whose execution status is unknown (spec "HTTP 5XX ... the execution status is
    UNKNOWN and could have been a success"): -1007 TIMEOUT, the spec's message."""
    return ApiError(
        -1007,
        "Timeout waiting for a response from the backend server. Send status unknown; "
        "execution status unknown.",
        500,
    )


def service_unavailable() -> ApiError:
    """HTTP 503 "Service Unavailable." - the request failed and was not executed (the 503
    taxonomy's case B). That text names no code; -1008 SERVER_BUSY is the spec's code for a
    refusal to process ("try again in a few minutes")."""
    return ApiError(-1008, "Service Unavailable.", 503)
