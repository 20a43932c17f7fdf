#!/usr/bin/env bash
# Prepare a fresh Debian 12 machine (as root) for the test suites: the servers the end-to-end
# harness starts itself (redis-server, prosody, ejabberd, dnsmasq; python3-slixmpp, a client),
# then the npm dependencies.
# Idempotent: installs only what is missing; the packages' own daemons are never left running.
set -euo pipefail

cd "$(dirname "$0")/../.."
log() { printf 'setup: %s\n' "$*"; }
[ -f package-lock.json ] || { log "run this script from inside the repository"; exit 1; }

missing=()
for bin in redis-server redis-cli prosody ejabberdctl dnsmasq; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("$bin")
done
# The independent XEP-0050 client of the operator commands' suite, for Debian's own python3.
/usr/bin/python3 -c 'import slixmpp' >/dev/null 2>&1 || missing+=("python3-slixmpp")

# Stop the system instances the packages may have started; the harness runs private ones.
stop_system_daemons() {
  local svc pidfile pid
  if [ -d /run/systemd/system ]; then
    for svc in redis-server prosody ejabberd; do
      if systemctl is-active --quiet "$svc" 2>/dev/null; then
        systemctl stop "$svc"
        log "stopped system service $svc"
      fi
    done
  fi
  for pidfile in /run/redis/redis-server.pid /run/prosody/prosody.pid /run/ejabberd/ejabberd.pid; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      log "stopped daemon pid $pid ($pidfile)"
    fi
  done
}

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${missing[*]}: run this script as root to install them"
    exit 1
  fi
  log "installing packages (missing: ${missing[*]})"
  # Keep the packages' services from starting during the install (policy-rc.d exit 101 = deny).
  policy=/usr/sbin/policy-rc.d
  created_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=true
    trap 'rm -f "$policy"' EXIT # also when the install fails
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    redis-server redis-tools prosody ejabberd dnsmasq-base iproute2 python3-slixmpp
  if $created_policy; then
    rm -f "$policy"
    trap - EXIT
  fi
  stop_system_daemons
  log "packages installed"
else
  log "redis-server, redis-cli, prosody, ejabberd, dnsmasq and python3-slixmpp already installed"
fi

if ! command -v npm >/dev/null 2>&1; then
  log "npm not found: install Node.js 20.19 or later"
  exit 1
fi
stamp=node_modules/.package-lock.json
if [ ! -d node_modules ] || [ ! -e "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
else
  log "node_modules up to date"
fi
log "done"
