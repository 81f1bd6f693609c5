#!/usr/bin/env bash
# `manage.py check --deploy` under production-like settings (DEBUG off, real secrets from the
# environment). Any warning it prints fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG=0
export SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')"
export DESK_ENCRYPTION_KEYS="$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
export ALLOWED_HOSTS=desk.example.com
exec .venv/bin/python manage.py check --deploy --fail-level WARNING
