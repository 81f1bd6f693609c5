"""Production settings: nothing insecure by default, nothing unexplained from check --deploy."""

import os
import socket
import subprocess
import sys
import threading

from cryptography.fernet import Fernet

from tests.support import ROOT


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DESK_ENCRYPTION_KEYS", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_check_deploy_with_production_settings():
    result = subprocess.run(
        ["scripts/check_deploy.sh"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = _run(
        "manage.py",
        "check",
        env={"DEBUG": "0", "DESK_ENCRYPTION_KEYS": Fernet.generate_key().decode()},
    )
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def test_it_refuses_to_start_without_encryption_keys_when_debug_is_off():
    result = _run("manage.py", "check", env={"DEBUG": "0", "SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "DESK_ENCRYPTION_KEYS (or DESK_ENCRYPTION_KEYS_FILE) must be set" in result.stderr


def test_it_reads_secrets_from_files(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("file-secret-" + "k" * 50 + "\n")
    enc_file = tmp_path / "enc"
    enc_file.write_text(Fernet.generate_key().decode())
    result = _run(
        "-c",
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='desk.settings';"
        "django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
        env={
            "DEBUG": "0",
            "SECRET_KEY_FILE": str(key_file),
            "DESK_ENCRYPTION_KEYS_FILE": str(enc_file),
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "file-secret-" + "k" * 50


def _smtp_listener() -> tuple[int, list[bytes], threading.Thread]:
    """A minimal SMTP server on loopback that accepts one message and keeps its DATA."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn, server, conn.makefile("rb") as lines:
            conn.sendall(b"220 test ESMTP\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    body = b"".join(iter(lines.readline, b".\r\n"))
                    received.append(body)
                    conn.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # EHLO, MAIL, RCPT, RSET
                    conn.sendall(b"250 ok\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, received, thread


def test_it_sends_mail_through_the_smtp_server_the_environment_names():
    port, received, thread = _smtp_listener()
    result = _run(
        "-c",
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='desk.settings';"
        "django.setup(); from django.core.mail import send_mail;"
        "send_mail('Desk test', 'hello from the desk', None, ['ops@example.test'])",
        env={
            "DEBUG": "1",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "DEFAULT_FROM_EMAIL": "desk@example.test",
        },
    )
    assert result.returncode == 0, result.stderr
    thread.join(timeout=10)
    [message] = received
    assert b"Subject: Desk test" in message and b"hello from the desk" in message
    assert b"From: desk@example.test" in message
