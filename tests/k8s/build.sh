#!/usr/bin/env bash
# Builds the kube-apiserver (and, unless Debian's etcd is usable, etcd) that
# the Kubernetes metadata tests run against, into ~/.cache/netobs-k8s/.
# Skips the build when the binaries are already cached. It is slow (about
# 12-17 minutes on two cores): kube-apiserver comes from a throwaway module
# that requires k8s.io/kubernetes with its staging modules replaced by their
# published v0.x versions (k8s.io/kubernetes cannot be required otherwise).
set -euo pipefail
K8S=${K8S_VERSION:-1.33.4}
ETCD=${ETCD_VERSION:-3.5.21}
out=${NETOBS_K8S_DIR:-$HOME/.cache/netobs-k8s}
mkdir -p "$out"

staging="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
cloud-provider cluster-bootstrap code-generator component-base component-helpers
controller-manager cri-api cri-client csi-translation-lib dynamic-resource-allocation
endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy
kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission
sample-apiserver sample-cli-plugin sample-controller"

build() { # build <binary> <module dir> <require line> <package> [ldflags]
  local bin=$1 mod=$2 req=$3 pkg=$4 ld=${5:-}
  [ -x "$out/$bin" ] && return 0
  echo "k8s build: $bin (slow; cached in $out afterwards)"
  local d; d=$(mktemp -d)
  trap 'rm -rf "$d"' RETURN
  printf 'module netobs/k8sbuild\n\ngo 1.24\n\nrequire %s\n' "$req" > "$d/go.mod"
  if [ "$mod" = kubernetes ]; then
    for s in $staging; do
      echo "replace k8s.io/$s => k8s.io/$s v0.${K8S#1.}" >> "$d/go.mod"
    done
  fi
  # -mod=mod resolves the main package's dependencies through the module
  # graph of the require line (a main package cannot be imported for tidy).
  (cd "$d" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath \
     -ldflags "-s -w $ld" -o "$out/$bin.tmp" "$pkg") && mv "$out/$bin.tmp" "$out/$bin"
}

build kube-apiserver kubernetes "k8s.io/kubernetes v$K8S" k8s.io/kubernetes/cmd/kube-apiserver \
  "-X k8s.io/component-base/version.gitVersion=v$K8S"

# etcd: Debian's etcd-server is used when present (NETOBS_K8S_BUILD_ETCD=1
# below); otherwise etcd v$ETCD is built (about 1 minute here; Debian's 3.4
# was not installed on the build host, so its fitness is unmeasured).
if [ -x /usr/bin/etcd ] && [ "${NETOBS_K8S_BUILD_ETCD:-}" != 1 ]; then
  ln -sf /usr/bin/etcd "$out/etcd"
else
  [ -L "$out/etcd" ] && rm -f "$out/etcd"
  build etcd etcd "go.etcd.io/etcd/server/v3 v$ETCD" go.etcd.io/etcd/server/v3
fi
ls -l "$out"
