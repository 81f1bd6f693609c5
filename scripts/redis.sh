#!/usr/bin/env bash
# Procfile entry: run a private redis-server on REDIS_URL's port, unless one already answers there.
set -euo pipefail
url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
hostport="${url#redis://}"; hostport="${hostport%%/*}"; hostport="${hostport##*@}"
port="${hostport##*:}"
if redis-cli -p "$port" ping >/dev/null 2>&1; then
  echo "using the Redis server already answering on port $port"
  exec sleep infinity
fi
mkdir -p var/redis
exec redis-server --port "$port" --bind 127.0.0.1 --dir var/redis --save 60 1 --appendonly no
