"""Binance-style error objects: `{"code": -1121, "msg": "Invalid symbol."}` plus an HTTP status.

Codes and messages are the spec's ("Error Responses"). HTTP statuses: the spec only says 4XX for
client errors; like the real exchange we answer 401 for API-key problems, 400 for the rest.
"""

from __future__ import annotations


class ApiError(Exception):
    """An error answered to the client as a Binance error object."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    def body(self) -> dict:
        return {"code": self.code, "msg": self.msg}


def unknown_error() -> ApiError:
    return ApiError(-1000, "An unknown error occurred while processing the request.", 500)


def unsupported(status: int = 404) -> ApiError:
    # The spec has no "no such endpoint" code; -1020 UNSUPPORTED_OPERATION is the closest.
    return ApiError(-1020, "This operation is not supported.", status)


def invalid_timestamp_window() -> ApiError:
    return ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")


def timestamp_ahead() -> ApiError:
    return ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")


def invalid_signature() -> ApiError:
    return ApiError(-1022, "Signature for this request is not valid.")


def duplicate_param() -> ApiError:
    return ApiError(-1101, "Duplicate values for a parameter detected.")


def mandatory(name: str) -> ApiError:
    return ApiError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or was malformed."
    )


def either(a: str, b: str) -> ApiError:
    return ApiError(-1102, f"Param '{a}' or '{b}' must be sent, but both were empty/null.")


def param_empty(name: str) -> ApiError:
    return ApiError(-1105, f"Parameter '{name}' was empty.")


def not_required(name: str) -> ApiError:
    return ApiError(-1106, f"Parameter '{name}' sent when not required.")


def overflow(name: str) -> ApiError:
    return ApiError(-1108, f"Parameter '{name}' overflowed.")


def bad_precision() -> ApiError:
    return ApiError(-1111, "Precision is over the maximum defined for this asset.")


def tif_not_required() -> ApiError:
    return ApiError(-1114, "TimeInForce parameter sent when not required.")


def invalid_tif() -> ApiError:
    return ApiError(-1115, "Invalid timeInForce.")


def invalid_order_type() -> ApiError:
    return ApiError(-1116, "Invalid orderType.")


def invalid_side() -> ApiError:
    return ApiError(-1117, "Invalid side.")


def bad_interval() -> ApiError:
    return ApiError(-1120, "Invalid interval.")


def bad_symbol() -> ApiError:
    return ApiError(-1121, "Invalid symbol.")


def invalid_listen_key() -> ApiError:
    return ApiError(-1125, "This listenKey does not exist.")


def bad_combo() -> ApiError:
    return ApiError(-1128, "Combination of optional parameters invalid.")


def invalid_param(name: str) -> ApiError:
    return ApiError(-1130, f"Data sent for parameter '{name}' is not valid.")


def invalid_json(name: str) -> ApiError:
    return ApiError(-1135, f"JSON sent for parameter '{name}' is not valid")


def invalid_cancel_restrictions() -> ApiError:
    return ApiError(-1145, "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED.")


def filter_failure(filter_type: str) -> ApiError:
    # The spec lists the messages but no code; -1013 is what the exchange sends with them.
    return ApiError(-1013, f"Filter failure: {filter_type}")


def new_order_rejected(msg: str) -> ApiError:
    return ApiError(-2010, msg)


def insufficient_balance() -> ApiError:
    return ApiError(-2010, "Account has insufficient balance for requested action.")


def cancel_rejected(msg: str = "Unknown order sent.") -> ApiError:
    return ApiError(-2011, msg)


def no_such_order() -> ApiError:
    return ApiError(-2013, "Order does not exist.")


def bad_api_key_format() -> ApiError:
    return ApiError(-2014, "API-key format invalid.", 401)


def rejected_key() -> ApiError:
    return ApiError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


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
