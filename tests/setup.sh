#!/usr/bin/env bash
# Installs, idempotently, what the test suite needs on a fresh Debian host.
# Each area lists its Debian packages in tests/deps/<area>.txt (one per line,
# '#' comments allowed); this script installs the union of them, plus the
# lists given as arguments (the opt-in kernel matrix passes its own).
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(cat tests/deps/*.txt "$@" 2>/dev/null | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
missing=()
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The tests start the servers they need themselves; packages must not start
  # system-wide daemons (nginx on :80, influxd, ...) while they install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The web view's bundle check needs npm and the pinned packages (npm ci
# installs exactly package-lock.json).
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: npm is missing; run as root to install it" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
(cd datakit/internal/view/web/_ui && npm ci --no-audit --no-fund --loglevel=error)
go mod download
# The Kubernetes metadata tests run a real kube-apiserver and etcd (slow
# first build, cached under ~/.cache/netobs-k8s afterwards).
tests/k8s/build.sh
