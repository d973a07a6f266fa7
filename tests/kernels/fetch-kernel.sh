#!/usr/bin/env bash
# fetch-kernel.sh VERSION... — puts Debian's kernel for each VERSION (5.10,
# 6.1, 6.12) into the cache and prints the vmlinuz path of each.
#
# The kernel is Debian's current build from the suite that ships that
# series (table below), resolved through the suite's `linux-image-amd64`
# meta package. apt runs with a private configuration (sources, lists and
# package cache under the cache folder), so the host's apt state is never
# changed; only `apt-get download` is used, nothing is installed.
#
# Cache: $KERNEL_CACHE (default tests/.cache/kernels)/<version>/vmlinuz,
# with the package name and version beside it. A cached kernel is reused
# without touching the network; KERNEL_REFRESH=1 looks for a newer build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${KERNEL_CACHE:-$here/../.cache/kernels}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# version -> Debian suite whose linux-image-amd64 is that series.
suite_of() {
  case "$1" in
    5.10) echo bullseye ;;
    6.1) echo bookworm ;;
    6.12) echo trixie ;;
    *) echo "fetch-kernel: no Debian suite known for kernel $1 (known: 5.10 6.1 6.12)" >&2; return 1 ;;
  esac
}

# apt_private SUITE ARGS...: apt-get/apt-cache with sources, lists and cache
# of our own for SUITE.
apt_dir() { echo "$cache/apt/$1"; }
apt_opts() {
  local d; d=$(apt_dir "$1")
  echo "-o Dir::Etc::SourceList=$d/sources.list -o Dir::Etc::SourceParts=/dev/null" \
    "-o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache -o Dir::State::status=/dev/null" \
    "-o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o quiet=1"
}

apt_update() {
  local suite=$1 d; d=$(apt_dir "$suite")
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  # A suite past its end of life (bullseye after its LTS) moves from the
  # mirrors to archive.debian.org, whose Release files are no longer renewed.
  local mirror
  for mirror in http://deb.debian.org/debian http://archive.debian.org/debian; do
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$d/sources.list"
    # shellcheck disable=SC2046
    apt-get $(apt_opts "$suite") -o Acquire::Check-Valid-Until=false update >&2 && return 0
    echo "fetch-kernel: $suite not found at $mirror" >&2
  done
  return 1
}

fetch() {
  local ver=$1 suite dir image version
  suite=$(suite_of "$ver")
  dir="$cache/$ver"
  if [ -s "$dir/vmlinuz" ] && [ -z "${KERNEL_REFRESH:-}" ]; then
    echo "$dir/vmlinuz"
    return
  fi
  echo "fetch-kernel: resolving $ver from Debian $suite" >&2
  apt_update "$suite"
  # linux-image-amd64 depends on the current ABI package (linux-image-X.Y.Z-N-amd64).
  # shellcheck disable=SC2046
  image=$(apt-cache $(apt_opts "$suite") depends linux-image-amd64 |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
  [ -n "$image" ] || { echo "fetch-kernel: no linux-image package found in $suite" >&2; exit 1; }
  case "$image" in
    linux-image-"$ver".*) ;;
    *) echo "fetch-kernel: $suite now ships $image, not a $ver kernel; update suite_of in $0" >&2; exit 1 ;;
  esac
  # shellcheck disable=SC2046
  version=$(apt-cache $(apt_opts "$suite") show "$image" | sed -n 's/^Version: //p' | head -n1)
  if [ -s "$dir/vmlinuz" ] && [ "$(cat "$dir/package" 2>/dev/null)" = "$image $version" ]; then
    rm -rf "$(apt_dir "$suite")"
    echo "$dir/vmlinuz"
    return
  fi
  local tmp; tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  # shellcheck disable=SC2046
  (cd "$tmp" && apt-get $(apt_opts "$suite") download "$image=$version" >&2)
  dpkg-deb -x "$tmp"/*.deb "$tmp/x"
  mkdir -p "$dir"
  cp "$tmp"/x/boot/vmlinuz-* "$dir/vmlinuz.new"
  cp "$tmp"/x/boot/config-* "$dir/config" 2>/dev/null || true
  mv "$dir/vmlinuz.new" "$dir/vmlinuz"
  echo "$image $version" >"$dir/package"
  rm -rf "$(apt_dir "$suite")" # ~25 MB of package lists, fetched again only on refresh
  echo "fetch-kernel: $ver = $image $version" >&2
  echo "$dir/vmlinuz"
}

[ $# -gt 0 ] || { echo "usage: $0 VERSION... (5.10 6.1 6.12)" >&2; exit 2; }
for v in "$@"; do fetch "$v"; done
