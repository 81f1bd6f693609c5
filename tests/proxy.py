"""deploy/nginx/desk.conf run outside Compose, by Debian's nginx: the proxy test
(tests/deploy/test_nginx.py) and the topology bench (bench/topology.py) start it in front of
their own processes."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support import ROOT, terminate, until

CONF = ROOT / "deploy" / "nginx" / "desk.conf"
# The name the proxy's certificate and every request use (ALLOWED_HOSTS must admit it).
HOST = "desk.example.com"


def nginx() -> str:
    exe = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if exe is None:
        raise RuntimeError("nginx is missing; `make test` installs Debian's nginx")
    return exe


def self_signed(directory: Path) -> None:
    """A throwaway certificate and key, named as deploy/compose.yml mounts them."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
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


def _servers(ports: list[int]) -> str:
    return "\n    ".join(f"server 127.0.0.1:{port};" for port in ports)


def config_copy(
    tmp: Path,
    *,
    web: list[int],
    fanout: list[int],
    http: int,
    https: int,
    static: Path | None = None,
    access_log: bool = False,
) -> Path:
    """desk.conf with what only exists inside Compose replaced: the services' host names (one
    ``server`` line per replica's port), the mounted certificate and static files, the privileged
    ports (and IPv6, which a test machine may lack). Returns the nginx.conf that includes it.
    ``access_log``: each request's ``status|method|path|upstreams`` in ``tmp/access.log``."""
    tls = tmp / "tls"
    tls.mkdir(parents=True)
    self_signed(tls)
    text = CONF.read_text()
    replacements = {
        "server web:8000;": _servers(web),
        "server fanout:8001;": _servers(fanout),
        "/etc/nginx/tls/": f"{tls}/",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
    }
    if static is not None:
        replacements["alias /srv/desk/static/;"] = f"alias {static}/;"
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in desk.conf: update tests/proxy.py"
        text = text.replace(old, new)
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line)
    (tmp / "desk.conf").write_text(text)
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    log = (
        "log_format desk '$status|$request_method|$uri|$upstream_addr';\n"
        f"access_log {tmp}/access.log desk;"
        if access_log
        else "access_log off;"
    )
    wrapper = tmp / "nginx.conf"
    # As the nginx image's own nginx.conf does: desk.conf goes inside its http block.
    wrapper.write_text(
        f"pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\n"
        f"http {{\n{mime}\n{log}\ninclude {tmp}/desk.conf;\n}}\n"
    )
    return wrapper


def nginx_args(tmp: Path, wrapper: Path) -> list[str]:
    return [nginx(), "-p", f"{tmp}/", "-e", f"{tmp}/error.log", "-c", str(wrapper)]


def get(url: str, path: str, **headers: str) -> requests.Response:
    return requests.get(
        url + path,
        headers={"Host": HOST, **headers},
        verify=False,
        allow_redirects=False,
        timeout=5,
    )


def start_nginx(tmp: Path, wrapper: Path, https: str) -> subprocess.Popen:
    """nginx in the foreground on ``wrapper``, once it answers ``https`` (any status: the
    upstreams may not be up yet)."""
    proc = subprocess.Popen(
        [*nginx_args(tmp, wrapper), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        until(
            lambda: get(https, "/login/").status_code > 0,
            timeout=15,
            message="nginx to answer",
            ignoring=(requests.ConnectionError,),
        )
    except Exception:
        terminate(proc)
        raise
    return proc
