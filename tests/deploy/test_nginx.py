"""deploy/nginx/desk.conf, checked by the real nginx (Debian's, which `make test` installs): the
config parses, and a running nginx on it redirects HTTP to HTTPS and sends each socket route to
the process that serves it, with the headers the app and WebSockets need."""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading

import pytest
from cryptography import x509

from tests.proxy import config_copy, get, nginx_args, start_nginx
from tests.support import free_port, terminate


class _Upstream:
    """A stand-in for daphne or the fan-out server: answers its own name, records each request's
    path and headers."""

    def __init__(self, name: str) -> None:
        self.name, self.seen = name, []
        upstream = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                upstream.seen.append((self.path, dict(self.headers)))
                body = upstream.name.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_it_passes_nginx_t(tmp_path):
    wrapper = config_copy(tmp_path, web=[8000], fanout=[8001], http=free_port(), https=free_port())
    result = subprocess.run(
        [*nginx_args(tmp_path, wrapper), "-t"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.fixture
def proxy(tmp_path):
    web, fanout = _Upstream("web"), _Upstream("fanout")
    http_port, https_port = free_port(), free_port()
    wrapper = config_copy(
        tmp_path, web=[web.port], fanout=[fanout.port], http=http_port, https=https_port
    )
    https = f"https://127.0.0.1:{https_port}"
    proc = start_nginx(tmp_path, wrapper, https)
    try:
        web.seen.clear()  # the readiness probe's
        yield f"http://127.0.0.1:{http_port}", https, web, fanout
    finally:
        terminate(proc)
        web.close()
        fanout.close()


def test_it_redirects_plain_http_to_https(proxy):
    http, _https, web, _fanout = proxy
    r = get(http, "/dashboard/?x=1")
    assert r.status_code == 301
    assert r.headers["Location"] == "https://desk.example.com/dashboard/?x=1"
    assert web.seen == []


def test_it_sends_each_route_to_the_process_that_serves_it(proxy):
    _http, https, _web, _fanout = proxy
    routes = {
        "/login/": "web",
        "/ws/connections/7/": "web",  # accounts/routing.py: needs the session, daphne
        "/ws/market/BTCUSD/": "fanout",  # trading/fanout.py's two routes
        "/ws/markets/": "fanout",
    }
    answered = {path: get(https, path).text for path in routes}
    assert answered == routes


def test_it_passes_the_websocket_handshake_and_the_forwarded_headers(proxy):
    _http, https, web, fanout = proxy
    handshake = {"Upgrade": "websocket", "Connection": "Upgrade", "X-Forwarded-For": "6.6.6.6"}
    get(https, "/ws/market/ETHUSD/", **handshake)
    get(https, "/ws/connections/3/", **handshake)
    get(https, "/login/")
    (ws_path, ws_headers), (page_path, page_headers) = fanout.seen[0], web.seen[-1]
    assert ws_path == "/ws/market/ETHUSD/"
    assert ws_headers["Upgrade"] == "websocket" and ws_headers["Connection"] == "upgrade"
    assert web.seen[0][1]["Upgrade"] == "websocket"
    assert page_path == "/login/" and page_headers["Connection"] == "close"
    for headers in (ws_headers, page_headers):
        assert headers["Host"] == "desk.example.com"
        assert headers["X-Forwarded-Proto"] == "https"  # SECURE_PROXY_SSL_HEADER
        # The client's own claim is replaced: daphne --proxy-headers takes this as its address.
        assert headers["X-Forwarded-For"] == "127.0.0.1"


def test_it_has_a_tls_certificate_the_client_can_read(proxy):
    _http, https, _web, _fanout = proxy
    port = int(https.rsplit(":", 1)[1])
    pem = ssl.get_server_certificate(("127.0.0.1", port))
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert cert.subject.rfc4514_string() == "CN=desk.example.com"
