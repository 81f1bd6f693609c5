from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

import binanceus as bu

from .fakes import FakeExchange, make_client
from .spec_examples import ACCOUNT, ORDER_FULL


def connect_refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.ConnectionError(MaxRetryError(None, "/api/v3/x", reason))


def reset_after_send() -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))


def place(client: bu.Client, **kw) -> bu.Order:
    args = dict(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        quantity=Decimal("1"),
        price=Decimal("0.1"),
    )
    args.update(kw)
    return client.new_order(**args)


@pytest.mark.parametrize(
    ("status", "code", "msg", "exc_type"),
    [
        (400, -1021, "Timestamp for this request is outside of the recvWindow.", None),
        (400, -1022, "Signature for this request is not valid.", bu.InvalidSignature),
        (401, -2014, "API-key format invalid.", bu.AuthenticationError),
        (401, -2015, "Invalid API-key, IP, or permissions for action.", bu.AuthenticationError),
        (400, -2013, "Order does not exist.", bu.OrderNotFound),
        (
            400,
            -2010,
            "Account has insufficient balance for requested action.",
            bu.InsufficientBalance,
        ),
        (400, -2010, "Duplicate order sent.", bu.ClientError),
        (400, -1121, "Invalid symbol.", bu.ClientError),
        (403, None, "WAF Limit", bu.ClientError),
        (500, -1000, "An unknown error occurred while processing the request.", bu.ServerError),
        (503, None, "Service Unavailable.", bu.ServiceUnavailable),
    ],
)
def test_it_maps_read_errors_by_code_and_status(status, code, msg, exc_type, fake):
    client = make_client(fake, retry_backoff=())
    body = {"code": code, "msg": msg} if code is not None else None
    text = None if body else msg
    for _ in range(2):
        fake.reply("GET", "/api/v3/account", body, status=status, text=text)
    expected = exc_type or bu.InvalidTimestamp
    with pytest.raises(expected) as info:
        client.account()
    err = info.value
    assert type(err) is expected
    assert isinstance(err, bu.APIError)
    assert (err.status, err.code, err.msg) == (status, code, msg)
    assert err.endpoint == "GET /api/v3/account"
    assert msg in str(err) and str(code) in str(err)


def test_it_raises_rate_limited_with_retry_after_and_then_backs_off_locally(fake, client):
    fake.reply(
        "GET",
        "/api/v3/account",
        {"code": -1003, "msg": "Too much request weight used"},
        status=429,
        headers={"Retry-After": "37"},
    )
    with pytest.raises(bu.RateLimited) as info:
        client.account()
    assert info.value.retry_after == 37
    sent = len(fake.requests)
    with pytest.raises(bu.RateLimited):
        client.account()
    assert len(fake.requests) == sent  # nothing sent while backing off


def test_it_raises_ip_banned_on_418_using_the_ban_time_from_the_message(fake, client):
    import time

    until = int(time.time() * 1000) + 120_000
    fake.reply(
        "GET",
        "/api/v3/account",
        {"code": -1003, "msg": f"Way too much request weight used; IP banned until {until}."},
        status=418,
    )
    with pytest.raises(bu.IPBanned) as info:
        client.account()
    assert 100 < info.value.retry_after <= 120


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"code": -1000, "msg": "An unknown error occurred while processing the request."}),
        (502, None),
        (
            503,
            {"code": -1000, "msg": "Unknown error, please check your request or try again later."},
        ),
        (400, {"code": -1006, "msg": "An unexpected response was received from the message bus."}),
        (408, {"code": -1007, "msg": "Timeout waiting for response from backend server."}),
    ],
)
def test_it_raises_execution_unknown_for_new_order_with_the_client_order_id(
    status, body, fake, client
):
    fake.reply("POST", "/api/v3/order", body, status=status, text=None if body else "Bad Gateway")
    with pytest.raises(bu.ExecutionUnknown) as info:
        place(client)
    err = info.value
    (sent,) = fake.calls("POST", "/api/v3/order")  # never retried
    assert err.client_order_id and err.client_order_id == sent.params["newClientOrderId"]
    assert err.endpoint == "POST /api/v3/order"
    assert err.status == status
    assert not isinstance(err, bu.APIError)


def test_it_keeps_a_given_client_order_id_on_execution_unknown(fake, client):
    fake.fail("POST", "/api/v3/order", requests.ReadTimeout("read timed out"))
    with pytest.raises(bu.ExecutionUnknownError) as info:
        place(client, new_client_order_id="desk-42")
    assert info.value.client_order_id == "desk-42"
    assert len(fake.calls("POST", "/api/v3/order")) == 1


def test_it_raises_execution_unknown_when_the_connection_drops_after_sending(fake, client):
    fake.fail("POST", "/api/v3/order", reset_after_send())
    with pytest.raises(bu.ExecutionUnknown):
        place(client)


def test_it_raises_transport_error_without_retrying_a_mutating_call(fake, client):
    fake.fail("POST", "/api/v3/order", connect_refused())
    with pytest.raises(bu.TransportError):
        place(client)
    assert len(fake.calls("POST", "/api/v3/order")) == 1


def test_it_retries_an_order_refused_with_the_not_executed_503_under_the_same_id(fake, client):
    fake.reply("POST", "/api/v3/order", {"code": -1000, "msg": "Service Unavailable."}, status=503)
    fake.reply("POST", "/api/v3/order", ORDER_FULL)
    order = place(client, new_client_order_id="desk-503")
    assert order.order_id == 28
    first, second = fake.calls("POST", "/api/v3/order")
    assert first.params["newClientOrderId"] == second.params["newClientOrderId"] == "desk-503"


def test_it_gives_up_an_order_after_the_503_backoff_schedule(fake):
    client = make_client(fake, retry_backoff=(0.0, 0.0))
    for _ in range(4):
        fake.reply("POST", "/api/v3/order", text="Service Unavailable.", status=503)
    with pytest.raises(bu.ServiceUnavailable):
        place(client)
    assert len(fake.calls("POST", "/api/v3/order")) == 3


def test_it_retries_reads_on_transport_errors_and_503_then_succeeds(fake):
    sleeps: list[float] = []
    client = make_client(fake, retry_backoff=(0.2, 0.4, 0.8), sleep=sleeps.append)
    fake.fail("GET", "/api/v3/account", connect_refused())
    fake.reply("GET", "/api/v3/account", text="Service Unavailable.", status=503)
    fake.fail("GET", "/api/v3/account", requests.ReadTimeout("read timed out"))
    fake.reply("GET", "/api/v3/account", ACCOUNT)
    account = client.account()
    assert account.balances[0].free == Decimal("4723846.89208129")
    assert len(fake.calls("GET", "/api/v3/account")) == 4
    assert [0.2, 0.4, 0.8] <= sleeps <= [0.25, 0.5, 1.0]  # exponential, up to 25% jitter
    assert all(low <= got <= low * 1.25 for low, got in zip([0.2, 0.4, 0.8], sleeps, strict=True))


def test_it_gives_up_reads_after_the_backoff_schedule(fake):
    client = make_client(fake, retry_backoff=(0.0, 0.0, 0.0))
    for _ in range(5):
        fake.fail("GET", "/api/v3/depth", connect_refused())
    with pytest.raises(bu.TransportError):
        client.depth("BTCUSDT")
    assert len(fake.calls("GET", "/api/v3/depth")) == 4


def test_it_does_not_retry_a_generic_500_on_reads(fake, client):
    fake.reply("GET", "/api/v3/depth", {"code": -1000, "msg": "boom"}, status=500)
    with pytest.raises(bu.ServerError):
        client.depth("BTCUSDT")
    assert len(fake.calls("GET", "/api/v3/depth")) == 1


def test_it_resyncs_time_once_and_retries_once_on_1021(fake):
    server_now = [1_700_000_000_000]
    fake = FakeExchange(server_time=lambda: server_now[0])
    client = make_client(fake, local_ms=lambda: 1_700_000_000_000)
    fake.reply("GET", "/api/v3/account", ACCOUNT)
    client.account()
    assert client.time_offset_ms == 0
    server_now[0] += 7_000  # the local clock drifted 7s behind
    fake.reply(
        "POST",
        "/api/v3/order",
        {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
        status=400,
    )
    fake.reply("POST", "/api/v3/order", ORDER_FULL)
    order = place(client, new_client_order_id="retry-me")
    assert order.order_id == 28
    posts = fake.calls("POST", "/api/v3/order")
    assert len(posts) == 2
    assert len(fake.calls("GET", "/api/v3/time")) == 2  # initial sync + one resync
    assert int(posts[1].params["timestamp"]) == int(posts[0].params["timestamp"]) + 7_000
    assert posts[0].params["newClientOrderId"] == posts[1].params["newClientOrderId"] == "retry-me"
    assert client.time_offset_ms == 7_000


def test_it_retries_1021_only_once(fake, client):
    for _ in range(3):
        fake.reply("GET", "/api/v3/account", {"code": -1021, "msg": "Timestamp ..."}, status=400)
    with pytest.raises(bu.InvalidTimestamp):
        client.account()
    assert len(fake.calls("GET", "/api/v3/account")) == 2


def test_it_syncs_time_automatically_before_the_first_signed_call(fake):
    fake = FakeExchange(server_time=lambda: 1_000_500)
    client = make_client(fake, local_ms=lambda: 1_000_000)
    fake.reply("GET", "/api/v3/account", ACCOUNT)
    client.account()
    assert [r.path for r in fake.requests] == ["/api/v3/time", "/api/v3/account"]
    assert fake.requests[1].params["timestamp"] == "1000500"
    assert client.sync_time() == 500


def test_it_generates_a_client_order_id_when_none_is_given(fake, client):
    fake.reply("POST", "/api/v3/order", ORDER_FULL)
    fake.reply("POST", "/api/v3/order", ORDER_FULL)
    place(client)
    place(client)
    a, b = (r.params["newClientOrderId"] for r in fake.calls("POST", "/api/v3/order"))
    assert a != b and 1 <= len(a) <= 36


def test_it_raises_invalid_response_for_non_json_success(fake, client):
    fake.reply("GET", "/api/v3/ping", text="<html>hi</html>")
    with pytest.raises(bu.InvalidResponse):
        client.ping()


def test_it_refuses_signed_calls_without_credentials(fake):
    client = make_client(fake, api_key=None, api_secret=None)
    with pytest.raises(ValueError, match="api_key"):
        client.account()
    assert fake.requests == []
