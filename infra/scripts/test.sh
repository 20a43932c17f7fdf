#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set-up, types, lint, format, build, then every test
# (unit tests and end-to-end suites against real Redis, Prosody, ejabberd and XMPP clients), the
# Redis-backed ones once more on a local Redis Cluster (vitest project "cluster").
set -euo pipefail
cd "$(dirname "$0")/../.."

bash infra/scripts/setup.sh
npm run check
npm run build
npx vitest run "$@"
