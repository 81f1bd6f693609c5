"""desk.http.OneThreadASGIHandler: middleware and view on one worker thread per request."""

import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

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


urlpatterns = [path("probe/", view)]


async def _get(app, query: bytes) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/probe/",
        "raw_path": b"/probe/",
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


def test_daphne_serves_http_through_it():
    from desk.asgi import django_asgi_app

    assert isinstance(django_asgi_app, OneThreadASGIHandler)
