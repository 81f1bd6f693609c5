"""HTTP under ASGI with one hop into the sync world per request.

Django's own ASGI handler runs the middleware chain in async mode: every middleware that is
only sync (ours, django-otp's, WhiteNoise's) is wrapped, and where a sync one sits above an async
one the request crosses from the worker thread back to the event loop and out again, for each
request (py-spy on daphne showed it: TwoFactorMiddleware → async_to_sync → MessageMiddleware →
sync_to_async → the view). No view of ours is async, so this handler builds the chain in sync
mode and runs all of it, view included, in one call on the thread-sensitive worker thread
(with the ``request_started`` receivers, which Django's handler runs in a hop of their own):
what a WSGI server would do, inside daphne, beside the Channels sockets.

Django gives each request a thread-sensitive context of its own, so a new thread, and with it a
new database connection, per request. Here the request's context runs on a one-thread executor
taken from the ones earlier requests left idle: a request still has a thread to itself while it
runs, and the thread (and its database connection, with ``CONN_MAX_AGE``) lives on for the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix

# Threads kept for later requests: as many as requests ran at once lately, up to this many.
IDLE_THREADS = 16


class OneThreadASGIHandler(ASGIHandler):
    """``pushes_from_loop``: the pushes a view makes (``accounts.realtime``, on commit) are
    handed to a task on the server's event loop and the view goes on, as the stream process's
    are. Otherwise each push waits, in the view's thread, for the loop to send it to Redis:
    milliseconds per order on daphne's busy loop (py-spy), between the order being stored and
    the answer. For the server's own loop only, which lives as long as the process."""

    def __init__(self, *, pushes_from_loop: bool = False) -> None:
        super().__init__()
        self.pushes_from_loop = pushes_from_loop
        self._publishing: asyncio.Task | None = None
        self._idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # as Django's handler refuses it
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = self._idle.pop() if self._idle else _request_thread()
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            self._give_back(thread)

    def _give_back(self, thread: ThreadPoolExecutor) -> None:
        if len(self._idle) < IDLE_THREADS:
            self._idle.append(thread)
            return
        # One thread too many: its connections go with it, not when it is garbage-collected.
        thread.submit(connections.close_all)
        thread.shutdown(wait=False)

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def handle(self, scope, receive, send):
        """Django's, with one hop to the request's thread where Django's makes two before the
        view (the ``request_started`` receivers, then the request), and without the task
        that waits for the client to leave meanwhile: it cancels async views, and no view of
        ours is async (a reply to a socket closed meanwhile is dropped by daphne)."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        if self.pushes_from_loop and self._publishing is None:
            # A context of its own, not the first request's.
            self._publishing = asyncio.create_task(
                _publishing(), name="pushes", context=contextvars.Context()
            )
            await asyncio.sleep(0)  # it starts publishing before this request's view runs
        respond = sync_to_async(self._respond, thread_sensitive=True)
        response = await respond(scope, body_file)
        with contextlib.suppress(asyncio.CancelledError):  # as Django's: the client left
            await self.send_response(response, send)
        await sync_to_async(response.close, thread_sensitive=True)()  # request_finished
        body_file.close()

    def _respond(self, scope, body_file) -> HttpResponseBase:
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            return error_response
        # get_response sets the urlconf, appends request.close and logs 4XX/5XX itself.
        response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):  # as Django's: ASGI servers chunk for themselves
            response.block_size = self.chunk_size
        return response


def _request_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")


async def _publishing() -> None:
    from accounts import realtime  # imports models: not before Django is set up

    async with realtime.publishing_on_this_loop():
        await asyncio.Event().wait()  # until the loop's tasks are cancelled at its end
