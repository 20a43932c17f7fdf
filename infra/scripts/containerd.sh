#!/usr/bin/env bash
# Run the service's image under a private containerd (no systemd, no Docker), host networking.
#
#   infra/scripts/containerd.sh IMAGE.oci.tar [ctr run options...] -- [worker args...]
#   e.g. infra/scripts/containerd.sh fedmuc.oci.tar --read-only --env REDIS_URL=... -- --help
#
# containerd's root, state, socket and config live in a temporary directory removed at exit;
# containerd is stopped by its pid. The container's exit status is this script's. Once the image
# is imported, one line on stderr names the container, the socket and containerd's pid, e.g. for
#   ctr --address SOCKET task kill --signal SIGTERM NAME
# (ctr run also forwards the signals it gets to the container).
set -euo pipefail
archive=${1:?usage: containerd.sh IMAGE.oci.tar [ctr run options...] -- [args...]}
shift
opts=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
[ "${1:-}" = -- ] && shift

dir=$(mktemp -d "${TMPDIR:-/tmp}/fedmuc-containerd-XXXXXX")
cat >"$dir/config.toml" <<CONF
version = 2
root = "$dir/root"
state = "$dir/state"
[grpc]
  address = "$dir/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
CONF
containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
cpid=$!
cleanup() { kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
ctr() { command ctr --address "$dir/containerd.sock" "$@"; }
for _ in $(seq 50); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
ref=$(ctr images import --all-platforms "$archive" | awk '/^unpacking/ {print $2}' | head -1)
[ -n "$ref" ] || ref=$(ctr images ls -q | head -1)
name="fedmuc-$$"
echo "containerd.sh: running $ref as $name (socket $dir/containerd.sock, containerd pid $cpid)" >&2
set +e
# ctr run replaces the whole command line, so arguments follow the image's entrypoint.
[ $# -gt 0 ] && set -- node services/muc-node/dist/main.js "$@"
ctr run --rm --net-host "${opts[@]}" "$ref" "$name" "$@"
status=$?
set -e
echo "containerd.sh: exit status $status" >&2
exit "$status"
