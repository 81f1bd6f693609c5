"""deploy/nginx/desk.conf, checked by the real nginx (Debian's, which `make test` installs): the
config parses, and a running nginx on it redirects HTTP to HTTPS and sends each socket route to
the process that serves it, with the headers the app and WebSockets need."""

from __future__ import annotations

import datetime
import http.server
import shutil
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support import ROOT, free_port, terminate, until

CONF = ROOT / "deploy" / "nginx" / "desk.conf"

# The proxy's certificate is a throwaway self-signed one: requests are made with verify=False.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def _nginx() -> str:
    exe = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if exe is None:
        raise RuntimeError("nginx is missing; `make test` installs Debian's nginx")
    return exe


def _self_signed(directory: Path) -> None:
    """A throwaway certificate and key, named as deploy/compose.yml mounts them."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "desk.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _test_copy(tmp: Path, *, web: int, fanout: int, http: int, https: int) -> Path:
    """desk.conf with what only exists inside Compose replaced: the services' host names, the
    mounted certificate, the privileged ports (and IPv6, which a test machine may lack)."""
    tls = tmp / "tls"
    tls.mkdir()
    _self_signed(tls)
    text = CONF.read_text()
    for old, new in {
        "server web:8000;": f"server 127.0.0.1:{web};",
        "server fanout:8001;": f"server 127.0.0.1:{fanout};",
        "/etc/nginx/tls/": f"{tls}/",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
    }.items():
        assert old in text, f"{old!r} is no longer in desk.conf: update this test"
        text = text.replace(old, new)
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line)
    (tmp / "desk.conf").write_text(text)
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    wrapper = tmp / "nginx.conf"
    # As the nginx image's own nginx.conf does: desk.conf goes inside its http block.
    wrapper.write_text(
        f"pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\n"
        f"http {{\n{mime}\naccess_log off;\ninclude {tmp}/desk.conf;\n}}\n"
    )
    return wrapper


def _nginx_args(tmp: Path, wrapper: Path) -> list[str]:
    return [_nginx(), "-p", f"{tmp}/", "-e", f"{tmp}/error.log", "-c", str(wrapper)]


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
    wrapper = _test_copy(tmp_path, web=8000, fanout=8001, http=free_port(), https=free_port())
    result = subprocess.run(
        [*_nginx_args(tmp_path, wrapper), "-t"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.fixture
def proxy(tmp_path):
    web, fanout = _Upstream("web"), _Upstream("fanout")
    http_port, https_port = free_port(), free_port()
    wrapper = _test_copy(
        tmp_path, web=web.port, fanout=fanout.port, http=http_port, https=https_port
    )
    proc = subprocess.Popen(
        [*_nginx_args(tmp_path, wrapper), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    https = f"https://127.0.0.1:{https_port}"
    try:
        until(
            lambda: _get(https, "/login/").status_code == 200,
            timeout=15,
            message="nginx to answer",
            ignoring=(requests.ConnectionError,),
        )
        web.seen.clear()  # the readiness probe's
        yield f"http://127.0.0.1:{http_port}", https, web, fanout
    finally:
        terminate(proc)
        web.close()
        fanout.close()


def _get(url: str, path: str, **headers: str) -> requests.Response:
    return requests.get(
        url + path,
        headers={"Host": "desk.example.com", **headers},
        verify=False,
        allow_redirects=False,
        timeout=5,
    )


def test_it_redirects_plain_http_to_https(proxy):
    http, _https, web, _fanout = proxy
    r = _get(http, "/dashboard/?x=1")
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
    answered = {path: _get(https, path).text for path in routes}
    assert answered == routes


def test_it_passes_the_websocket_handshake_and_the_forwarded_headers(proxy):
    _http, https, web, fanout = proxy
    handshake = {"Upgrade": "websocket", "Connection": "Upgrade", "X-Forwarded-For": "6.6.6.6"}
    _get(https, "/ws/market/ETHUSD/", **handshake)
    _get(https, "/ws/connections/3/", **handshake)
    _get(https, "/login/")
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
