#!/usr/bin/env bash
# Make sure the Debian packages we run for real are present: redis-server, and chromium and nginx
# (the proxy config's test) for tests.
set -euo pipefail
# postgresql: pg_ctlcluster comes with the server packages (postgresql-common), not the client.
declare -A bin_of=([redis-server]=redis-server [chromium]=chromium [postgresql]=pg_ctlcluster)
missing=()
for pkg in "$@"; do
  command -v "${bin_of[$pkg]:-$pkg}" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing: ${missing[*]}. Install them with:"
  echo "    sudo apt-get install ${missing[*]}"
  exit 1
fi
