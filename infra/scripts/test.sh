#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set-up, types, lint, format, build, then every test
# (unit tests and end-to-end suites against real Redis, Prosody, ejabberd and XMPP clients), the
# Redis-backed ones once more on a local Redis Cluster (vitest project "cluster"), the Helm chart
# offline and on a real Kubernetes API server (test/k8s). The service's
# image is built first, alone (it would slow the suites beside it), for test/e2e/image.test.ts:
# FEDMUC_IMAGE names the archive (in image.sh's cache directory); when set already, it is used.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash infra/scripts/setup.sh
npm run check
npm run build
# helm 3 and 4, kubectl, a Kubernetes control plane and promtool for test/k8s (cached; ~10 min
# on a fresh machine, a second after).
bash infra/scripts/kube-tools.sh >/dev/null
FEDMUC_IMAGE=${FEDMUC_IMAGE:-$(bash infra/scripts/image.sh)}
export FEDMUC_IMAGE
npx vitest run "$@"
