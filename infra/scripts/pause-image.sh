#!/usr/bin/env bash
# The Pod sandbox ("pause") image for a kubelet on containerd, made locally: no registry is
# reachable, and containerd's CRI needs its sandbox_image present before any Pod can start.
#
#   infra/scripts/pause-image.sh        prints the path of the cached OCI archive
#
# A static C binary (gcc -static against glibc, as the upstream pause.c: block until SIGINT or
# SIGTERM, reap children) in a one-layer OCI image written by hand (tar, gzip -n, sha256sum), so
# neither buildah nor a registry is needed and the bytes are the same on every run. Cached in the
# same directory as image.sh's archives, keyed by PAUSE_REV; written to a temporary name and
# renamed. The image's name (io.containerd.image.name) is printed on stderr: PAUSE_IMAGE below.
set -euo pipefail

PAUSE_REV=1 # bump when the recipe changes
PAUSE_IMAGE="localhost/fedmuc-pause:${PAUSE_REV}"
CACHE=${FEDMUC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fedmuc}
OUT="$CACHE/pause${PAUSE_REV}.oci.tar"
log() { printf 'pause-image: %s\n' "$*" >&2; }

if [ -s "$OUT" ]; then
  log "image $PAUSE_IMAGE"
  printf '%s\n' "$OUT"
  exit 0
fi
if ! command -v gcc >/dev/null 2>&1 || [ ! -f /usr/lib/x86_64-linux-gnu/libc.a ]; then
  [ "$(id -u)" -eq 0 ] || { log "missing gcc / libc6-dev: run as root to install them"; exit 1; }
  log "installing gcc libc6-dev"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc libc6-dev >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc libc6-dev >/dev/null; }
fi

mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.pause-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cat >"$WORK/pause.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void sigdown(int signo) {
  (void)signo;
  _exit(0);
}

static void sigreap(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction down = {.sa_handler = sigdown}, reap = {.sa_handler = sigreap};
  if (getpid() != 1) fprintf(stderr, "pause: warning: not pid 1\n");
  if (sigaction(SIGINT, &down, NULL) < 0 || sigaction(SIGTERM, &down, NULL) < 0) return 1;
  reap.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &reap, NULL) < 0) return 2;
  for (;;) pause();
}
C
mkdir -p "$WORK/root" "$WORK/oci/blobs/sha256"
gcc -static -Os -s -o "$WORK/root/pause" "$WORK/pause.c"
touch -d @0 "$WORK/root/pause"

# file media-type -> its OCI descriptor (JSON); moves the file into the layout as a blob.
descriptor() {
  local hex size
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$WORK/oci/blobs/sha256/$hex"
  printf '{"mediaType":"%s","digest":"sha256:%s","size":%s' "$2" "$hex" "$size"
}
tar -C "$WORK/root" --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name -cf "$WORK/layer.tar" pause
diff_id=$(sha256sum "$WORK/layer.tar" | cut -d' ' -f1)
gzip -n -9 "$WORK/layer.tar"
layer=$(descriptor "$WORK/layer.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)

printf '%s' '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},'\
'"rootfs":{"type":"layers","diff_ids":["sha256:'"$diff_id"'"]},'\
'"history":[{"created_by":"infra/scripts/pause-image.sh rev '"$PAUSE_REV"'"}]}' >"$WORK/config.json"
config=$(descriptor "$WORK/config.json" application/vnd.oci.image.config.v1+json)

printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"config":'"$config"'},"layers":['"$layer"'}]}' >"$WORK/manifest.json"
manifest=$(descriptor "$WORK/manifest.json" application/vnd.oci.image.manifest.v1+json)

printf '%s' '{"schemaVersion":2,"manifests":['"$manifest"',"platform":{"architecture":"amd64","os":"linux"},'\
'"annotations":{"io.containerd.image.name":"'"$PAUSE_IMAGE"'","org.opencontainers.image.ref.name":"'"$PAUSE_IMAGE"'"}}]}' \
  >"$WORK/oci/index.json"
printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$WORK/oci/oci-layout"

tar -C "$WORK/oci" --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name -cf "$WORK/pause.oci.tar" \
  oci-layout index.json blobs
mv "$WORK/pause.oci.tar" "$OUT"
log "image $PAUSE_IMAGE ($(stat -c %s "$OUT") bytes)"
printf '%s\n' "$OUT"
