"""A tiny in-process fake of the Binance.US REST API, mounted as a requests transport adapter.

Responses are queued per ``(METHOD, path)``; every request the client really prepared (URL,
headers, body bytes) is recorded, so tests assert on what went over the wire.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from binanceus import Client

SPEC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
SPEC_API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SPEC_TIMESTAMP = 1499827319559
BASE = "https://fake.binance.test"


class Recorded:
    def __init__(self, prepared: requests.PreparedRequest) -> None:
        parts = urlsplit(prepared.url)
        self.method = prepared.method
        self.path = parts.path
        self.query = parts.query
        body = prepared.body or b""
        self.body = body.decode() if isinstance(body, bytes) else body
        self.headers = dict(prepared.headers)

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query)) | dict(parse_qsl(self.body))

    def signature_valid(self, secret: str) -> bool:
        """Verify as the exchange does: HMAC over query string + body minus the signature."""
        total = self.query + self.body
        head, sep, sig = total.rpartition("&signature=")
        if not sep:
            return False
        expected = hmac.new(secret.encode(), head.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, sig)


Reply = dict[str, Any] | BaseException | Callable[[Recorded], "dict[str, Any]"]


class FakeExchange(BaseAdapter):
    def __init__(self, server_time: Callable[[], int] = lambda: SPEC_TIMESTAMP) -> None:
        super().__init__()
        self.replies: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.requests: list[Recorded] = []
        self.server_time = server_time

    def reply(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        text: str | None = None,
    ) -> FakeExchange:
        payload = text if text is not None else json.dumps({} if body is None else body)
        self.replies[(method, path)].append(
            {"status": status, "text": payload, "headers": headers or {}}
        )
        return self

    def fail(self, method: str, path: str, exc: BaseException) -> FakeExchange:
        self.replies[(method, path)].append(exc)
        return self

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        rec = Recorded(request)
        self.requests.append(rec)
        queue = self.replies.get((rec.method, rec.path))
        if queue:
            item = queue.popleft()
        elif (rec.method, rec.path) == ("GET", "/api/v3/time"):
            item = {"status": 200, "text": json.dumps({"serverTime": self.server_time()})}
        else:
            item = {"status": 404, "text": json.dumps({"code": -1000, "msg": "no fake reply"})}
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            item = item(rec)
        resp = requests.Response()
        resp.status_code = item["status"]
        resp._content = item["text"].encode()
        resp.headers = CaseInsensitiveDict(
            {"Content-Type": "application/json", **item.get("headers", {})}
        )
        resp.encoding = "utf-8"
        resp.url = request.url
        resp.request = request
        return resp

    def close(self) -> None:
        pass


def make_client(
    fake: FakeExchange,
    *,
    api_key: str | None = SPEC_API_KEY,
    api_secret: str | None = SPEC_SECRET,
    local_ms: Callable[[], int] = lambda: SPEC_TIMESTAMP,
    **kwargs: Any,
) -> Client:
    session = requests.Session()
    session.mount("https://", fake)
    kwargs.setdefault("retry_backoff", (0.0, 0.0, 0.0))
    return Client(
        api_key,
        api_secret,
        base_url=BASE,
        session=session,
        local_clock_ms=local_ms,
        **kwargs,
    )
