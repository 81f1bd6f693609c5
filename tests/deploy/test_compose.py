"""deploy/compose.yml: every service runs a command this repository has, the workers between them
consume every Celery queue, and the processes that must be single are."""

from __future__ import annotations

import importlib
import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import get_commands

from tests.support import ROOT, worker_queues

COMPOSE = ROOT / "deploy" / "compose.yml"
APP_SERVICES = {"migrate", "web", "fanout", "beat", "stream"}


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def _commands(service: dict) -> list[list[str]]:
    """A service's command lines: a list as given, a `sh -c "a && b"` string as its parts."""
    command = service.get("command")
    if command is None:
        return []
    if isinstance(command, list):
        return [command]
    argv = shlex.split(command)
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in argv[2].split("&&")]
    return [argv]


def _app_commands(services: dict) -> dict[str, list[list[str]]]:
    return {
        name: _commands(service)
        for name, service in services.items()
        if service.get("image") == "desk:latest"
    }


def _replicas(service: dict) -> int:
    return service.get("deploy", {}).get("replicas", 1)


def test_it_runs_the_app_image_for_every_app_process(services):
    apps = _app_commands(services)
    workers = {name for name in apps if name.startswith("worker-")}
    assert set(apps) == APP_SERVICES | workers
    assert workers  # at least one worker service


def test_it_runs_only_programs_and_commands_this_repository_has(services):
    venv_bin = Path(sys.executable).parent
    manage_commands = get_commands()
    for name, argvs in _app_commands(services).items():
        for argv in argvs:
            program = argv[0]
            assert program.startswith(".venv/bin/"), (name, argv)
            assert (venv_bin / Path(program).name).exists(), (name, program)
            if argv[1:2] == ["manage.py"]:
                assert argv[2] in manage_commands, (name, argv)
            elif program.endswith("/celery"):
                app_module = argv[argv.index("-A") + 1]
                assert importlib.import_module(f"{app_module}.celery").app.main == app_module
            elif program.endswith("/daphne"):
                module, _, attr = argv[-1].partition(":")
                assert (ROOT / (module.replace(".", "/") + ".py")).exists(), argv
                assert attr == "application"


def test_it_has_its_workers_consume_every_routed_queue(services):
    consumed = set()
    for name, argvs in _app_commands(services).items():
        for argv in argvs:
            if "worker" in argv and argv[0].endswith("/celery"):
                consumed |= worker_queues(argv)
                assert name == "worker-" + "-".join(sorted(worker_queues(argv))), name
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert consumed == routed | {settings.CELERY_TASK_DEFAULT_QUEUE}


def test_it_runs_one_beat_and_several_stream_processes(services):
    # Two beats would double the exchange weight for nothing; stream processes share their work
    # by leases, so a second one is a standby that takes over within seconds.
    assert _replicas(services["beat"]) == 1
    assert _replicas(services["stream"]) >= 2
    assert _replicas(services["web"]) >= 2
    assert _replicas(services["fanout"]) >= 2


def test_it_mounts_the_nginx_config_and_certificates_the_config_names(services):
    volumes = services["nginx"]["volumes"]
    assert "./nginx/desk.conf:/etc/nginx/conf.d/default.conf:ro" in volumes
    assert "./tls:/etc/nginx/tls:ro" in volumes
    conf = (ROOT / "deploy" / "nginx" / "desk.conf").read_text()
    assert "ssl_certificate /etc/nginx/tls/fullchain.pem;" in conf
    assert "server web:8000;" in conf and "server fanout:8001;" in conf
    assert any("8000" in arg for arg in services["web"]["command"])
    assert "8001" in services["fanout"]["command"]


def test_it_names_in_env_example_every_setting_the_compose_file_needs():
    names = {
        line.lstrip("# ").split("=", 1)[0]
        for line in (ROOT / "deploy" / "env.example").read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    required = {"DEBUG", "SECRET_KEY", "DESK_ENCRYPTION_KEYS", "ALLOWED_HOSTS"}
    services = {"DATABASE_URL", "REDIS_URL", "POSTGRES_PASSWORD", "CSRF_TRUSTED_ORIGINS"}
    assert required | services <= names
    assert "DESK_FANOUT_PORT=" not in (ROOT / "deploy" / "env.example").read_text()


def _env_example(**secrets: str) -> dict[str, str]:
    env = {}
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = secrets.get(name, value)
    return env


def test_it_passes_check_deploy_with_env_example_filled_in():
    env = _env_example(
        SECRET_KEY=secrets.token_urlsafe(50), DESK_ENCRYPTION_KEYS=Fernet.generate_key().decode()
    )
    inherited = {
        k: v for k, v in os.environ.items() if k not in env and k != "DJANGO_SETTINGS_MODULE"
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
