#!/usr/bin/env bash
# Procfile entry: once the web server answers, say where to go and how to log in.
set -u
url="http://127.0.0.1:${DESK_PORT:-8000}/"
for _ in $(seq 1 120); do
  if curl -fs -o /dev/null "${url}login/"; then break; fi
  sleep 0.5
done
cat <<MSG

  ┌──────────────────────────────────────────────────────────┐
    Binance.US Desk is running:  ${url}
    Log in as  demo / demo-desk-2026
    Sandbox exchange: http://127.0.0.1:${SANDBOX_PORT:-9900}/sandbox/
    Stop everything with Ctrl-C.
  └──────────────────────────────────────────────────────────┘

MSG
exec sleep infinity
