"""Production settings: nothing insecure by default, nothing unexplained from check --deploy."""

import os
import subprocess
import sys

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
