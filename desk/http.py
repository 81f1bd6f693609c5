"""HTTP under ASGI with one hop into the sync world per request.

Django's own ASGI handler runs the middleware chain in async mode: every middleware that is
only sync (ours, django-otp's, WhiteNoise's) is wrapped, and where a sync one sits above an async
one the request crosses from the worker thread back to the event loop and out again, for each
request (py-spy on daphne showed it: TwoFactorMiddleware → async_to_sync → MessageMiddleware →
sync_to_async → the view). No view of ours is async, so this handler builds the chain in sync
mode and runs all of it, view included, in one call on the thread-sensitive worker thread:
what a WSGI server would do, inside daphne, beside the Channels sockets.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class OneThreadASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        # get_response sets the urlconf, appends request.close and logs 4XX/5XX itself.
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
