#!/usr/bin/env bash
# run-in-kernel.sh BINARY [ARGS...] — runs a static binary as root inside
# another kernel, under qemu (TCG, one vCPU), and exits with its exit code.
# Made to be a `go test -exec` program:
#
#   CGO_ENABLED=0 KERNEL=6.1 go test -exec tests/kernels/run-in-kernel.sh ./tests/kernels/guest
#
# The guest is a busybox initramfs: /init mounts proc, sys, devtmpfs, bpffs,
# tracefs, debugfs, cgroup2 and a tmpfs on /tmp, brings up lo, and runs
# BINARY from /work with ARGS. The program's stdout and stderr come back on
# the second serial port (streamed here), its exit code on the third; the
# kernel console (first port) is shown only when the guest failed to report
# an exit code (panic, hang, timeout).
#
# Environment:
#   KERNEL          5.10, 6.1, 6.12 (fetched and cached by fetch-kernel.sh)
#                   or the path of a bzImage. Required.
#   KERNEL_FILES    host files copied into the guest's /bin (by base name).
#   KERNEL_ENV      names of environment variables passed to the program.
#   KERNEL_TIMEOUT  seconds before the guest is killed (default 900).
#   KERNEL_MEM      guest memory (default 1G).
#   KERNEL_KEEP     when set, the work folder (initramfs, console log) is kept.
# The program also sees KERNEL_GUEST=<KERNEL> (how a test knows it is in a guest).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "run-in-kernel: $*" >&2; exit 125; }

[ $# -ge 1 ] || die "usage: KERNEL=VERSION $0 BINARY [ARGS...]"
[ -n "${KERNEL:-}" ] || die "set KERNEL to a version (5.10, 6.1, 6.12) or a bzImage path"
bin=$1; shift
[ -x "$bin" ] || die "$bin is not an executable"
for f in "$bin" ${KERNEL_FILES:-}; do
  [ -f "$f" ] || die "KERNEL_FILES: $f does not exist"
  # The initramfs has no libc: every binary must be static.
  if ldd "$f" 2>/dev/null | grep -q '=>'; then
    die "$f is dynamically linked; build it with CGO_ENABLED=0"
  fi
done
for tool in qemu-system-x86_64 busybox cpio; do
  command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install qemu-system-x86 busybox-static cpio; see tests/kernels/deps.txt)"
done
busybox=$(command -v busybox)
ldd "$busybox" 2>/dev/null | grep -q '=>' && die "$busybox is not static: install busybox-static"

if [ -f "$KERNEL" ]; then
  vmlinuz=$KERNEL
else
  vmlinuz=$("$here/fetch-kernel.sh" "$KERNEL")
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/run-in-kernel.XXXXXX")
if [ -z "${KERNEL_KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "run-in-kernel: keeping $work" >&2; fi
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,work,etc}
cp "$busybox" "$root/bin/busybox"
cp "$bin" "$root/work/"
for f in ${KERNEL_FILES:-}; do cp "$f" "$root/bin/"; done
echo "127.0.0.1 localhost" >"$root/etc/hosts"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

# quote: one shell word, safe for busybox sh.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
  echo "export KERNEL_GUEST=$(quote "$KERNEL") PATH=/bin HOME=/tmp TMPDIR=/tmp"
  for name in ${KERNEL_ENV:-}; do
    [ -n "${!name+x}" ] && echo "export $name=$(quote "${!name}")"
  done
  printf 'exec %s' "$(quote "/work/$(basename "$bin")")"
  for a in "$@"; do printf ' %s' "$(quote "$a")"; done
  echo
} >"$root/run.sh"

cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
hostname guest
# Raw output: no \n -> \r\n on the way back.
stty -F /dev/ttyS1 raw -echo
stty -F /dev/ttyS2 raw -echo
cd /work
sh /run.sh >/dev/ttyS1 2>&1 </dev/null
echo $? >/dev/ttyS2
sync
reboot -f
EOF
chmod +x "$root/init" "$root/bin/busybox"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$work/initrd.cpio"

: >"$work/out" ; : >"$work/rc"
set +e
timeout --kill-after=5 "${KERNEL_TIMEOUT:-900}" qemu-system-x86_64 \
  -accel tcg -cpu max -smp 1 -m "${KERNEL_MEM:-1G}" \
  -nodefaults -no-reboot -display none \
  -kernel "$vmlinuz" -initrd "$work/initrd.cpio" \
  -append "console=ttyS0 rdinit=/init panic=-1 quiet random.trust_cpu=on" \
  -serial "file:$work/console" -serial "file:$work/out" -serial "file:$work/rc" &
qemu=$!
tail -n +1 -f --pid="$qemu" "$work/out"
wait "$qemu"
status=$?
set -e

rc=$(tr -dc '0-9' <"$work/rc")
if [ -z "$rc" ]; then
  echo "run-in-kernel: the guest ($KERNEL) reported no exit code (qemu status $status; 124 = timeout after ${KERNEL_TIMEOUT:-900}s); kernel console:" >&2
  tail -n 60 "$work/console" >&2
  exit 125
fi
exit "$rc"
