"""A request that needs Redis while Redis is down is answered 503 "try again", not 500.

Redis holds the cache (symbol lists, login throttles, read caches), the exchange weight budget
and Celery's queues. While it restarts, whatever a view reads from it raises redis's
ConnectionError. The database is the source of truth: what a view had recorded before that is
settled by the beat's sweeps once Redis is back (README, "While Redis is down"), so the user
needs to hear that it is a passing outage, not a crash, and to look before repeating.
"""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

MESSAGE = (
    "The desk cannot reach Redis for a moment (its cache and queues), so this request stopped. "
    "Nothing recorded is lost. Reload in a few seconds and check before repeating it."
)
RETRY_AFTER_SECONDS = 5


class RedisUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RedisConnectionError | RedisTimeoutError):
            return None
        log.warning("Redis unavailable during %s %s: %s", request.method, request.path, exception)
        if "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"ok": False, "message": MESSAGE}, status=503)
        else:
            body = f"<!doctype html><title>Try again</title><h1>Try again</h1><p>{MESSAGE}</p>"
            response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
