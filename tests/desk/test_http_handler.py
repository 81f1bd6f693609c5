"""desk.http.OneThreadASGIHandler: middleware and view on one worker thread per request, the
threads (and their database connections) kept for later requests."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.layers import get_channel_layer
from django.core import signals
from django.db import connection, connections
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from accounts import realtime
from desk import http
from desk.http import OneThreadASGIHandler

seen: dict[str, int] = {}


class Outer:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seen["outer"] = threading.get_ident()
        return self.get_response(request)


class Inner:  # async-capable, as MessageMiddleware is: Django's handler would run it on the loop
    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seen["inner"] = threading.get_ident()
        return self.get_response(request)


def view(request):
    seen["view"] = threading.get_ident()
    return HttpResponse(f"hello {request.GET['who']}", status=201)


def pushing_view(request):
    # What an order view does on commit; the publisher is the handler's when it has one.
    seen["publisher"] = realtime._publisher is not None
    realtime.order_push(connection_id=int(request.GET["who"]), payload={"from": "view"})
    return HttpResponse("pushed")


def db_view(request):
    connection.ensure_connection()
    seen[request.GET["who"]] = (threading.current_thread(), connection.connection)
    return HttpResponse("read")


meeting = threading.Barrier(2)


def meeting_view(request):
    meeting.wait(timeout=5)  # breaks unless the other request runs at the same time
    seen[request.GET["who"]] = threading.get_ident()
    return HttpResponse("met")


urlpatterns = [
    path("probe/", view),
    path("push/", pushing_view),
    path("db/", db_view),
    path("meet/", meeting_view),
]


async def _get(app, query: bytes, url: str = "/probe/") -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": query,
        "headers": [(b"host", b"testserver")],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
    }
    comm = ApplicationCommunicator(app, scope)
    await comm.send_input({"type": "http.request", "body": b""})
    start = await comm.receive_output(5)
    body = await comm.receive_output(5)
    await comm.wait(5)
    return start["status"], body["body"]


@pytest.mark.asyncio
@override_settings(
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[f"{__name__}.Outer", f"{__name__}.Inner"],
    ALLOWED_HOSTS=["testserver"],
)
async def test_middleware_and_view_run_on_one_thread_off_the_loop():
    seen.clear()
    loop_thread = threading.get_ident()

    status, body = await _get(OneThreadASGIHandler(), b"who=desk")

    assert (status, body) == (201, b"hello desk")
    assert seen["outer"] == seen["inner"] == seen["view"] != loop_thread


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], ALLOWED_HOSTS=["testserver"])
@pytest.mark.parametrize("from_loop", [True, False])
async def test_a_views_pushes_go_out_from_the_servers_loop_when_asked(from_loop):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(realtime.connection_group(4311), channel)
    seen.clear()
    handler = OneThreadASGIHandler(pushes_from_loop=from_loop)
    try:
        assert await _get(handler, b"who=4311", "/push/") == (200, b"pushed")
        got = await asyncio.wait_for(layer.receive(channel), timeout=5)
    finally:
        if handler._publishing is not None:  # a test's loop ends; daphne's lives on
            handler._publishing.cancel()
            await asyncio.gather(handler._publishing, return_exceptions=True)
    assert got == {"type": "order.updated", "payload": {"from": "view"}}
    assert seen["publisher"] is from_loop
    assert realtime._publisher is None


def test_daphne_serves_http_through_it():
    from desk.asgi import django_asgi_app

    assert isinstance(django_asgi_app, OneThreadASGIHandler)
    assert django_asgi_app.pushes_from_loop


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], ALLOWED_HOSTS=["testserver"])
async def test_a_later_request_runs_on_the_same_thread_with_the_same_connection():
    seen.clear()
    handler = OneThreadASGIHandler()

    assert await _get(handler, b"who=first", "/db/") == (200, b"read")
    assert await _get(handler, b"who=second", "/db/") == (200, b"read")

    try:
        (thread, conn), (thread_again, conn_again) = seen["first"], seen["second"]
        assert thread is thread_again and thread is not threading.current_thread()
        assert conn is conn_again
    finally:
        for kept in handler._idle:  # the test database is dropped after: no connection left
            kept.submit(connections.close_all).result()


class CountingThread(ThreadPoolExecutor):
    """A request's thread that counts the calls handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.calls = 0

    def submit(self, fn, /, *args, **kwargs):
        self.calls += 1
        return super().submit(fn, *args, **kwargs)


def started(sender, **kwargs):
    seen["started"] = threading.get_ident()


@pytest.mark.asyncio
@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], ALLOWED_HOSTS=["testserver"])
async def test_a_request_crosses_to_its_thread_once_for_its_start_and_view_and_once_to_close(
    monkeypatch,
):
    """Django's handler hands the request_started receivers to the thread, then the request:
    two crossings (each a wake-up of the thread and of the loop) before the view runs."""
    thread = CountingThread()
    monkeypatch.setattr(http, "_request_thread", lambda: thread)
    seen.clear()
    signals.request_started.connect(started)
    try:
        assert await _get(OneThreadASGIHandler(), b"who=desk") == (201, b"hello desk")
    finally:
        signals.request_started.disconnect(started)
        thread.shutdown()

    assert seen["started"] == seen["view"] != threading.get_ident()
    assert thread.calls == 2  # the request (started, middleware, view), then its close


@pytest.mark.asyncio
@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], ALLOWED_HOSTS=["testserver"])
async def test_requests_at_once_each_have_a_thread_of_their_own():
    seen.clear()
    meeting.reset()
    handler = OneThreadASGIHandler()

    answers = await asyncio.gather(
        _get(handler, b"who=a", "/meet/"), _get(handler, b"who=b", "/meet/")
    )

    assert answers == [(200, b"met"), (200, b"met")]
    assert seen["a"] != seen["b"]
    assert len(handler._idle) == 2  # both kept for later requests
