#!/usr/bin/env bash
# The local demo, from a fresh clone: set-up, then Redis, Prosody and the service (Ctrl-C stops all).
set -euo pipefail
cd "$(dirname "$0")/../.."

bash infra/scripts/setup.sh
exec node --conditions=source --import tsx infra/demo/demo.ts "$@"
