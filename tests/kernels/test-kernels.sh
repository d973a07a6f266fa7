#!/usr/bin/env bash
# test-kernels.sh [KERNEL...] — the kernel matrix: builds datakit-ebpf and
# the test packages below as static binaries, runs them on each
# KERNEL (default: "host 5.10 6.1 6.12"; host = this machine's kernel,
# natively, the others under qemu via run-in-kernel.sh) and prints which
# test passed on which kernel, then the features table of every kernel
# side by side, and why each skipped test skipped on each kernel. Exits 1
# when a test failed on any kernel.
#
# Logs: tests/.cache/kernels/results/<kernel>.log (full go test -v output,
# verifier logs included). KERNELS may also come from the environment.
#
# The packages whose tests run on every kernel; each needs only the
# collector binary (on PATH in the guest) and what the initramfs mounts.
packages=(
  ./tests/kernels/guest                # features table, netflow/httpflow/dnsflow end to end
  ./externals/ebpf/features            # feature probes and the hook choice
)
set -uo pipefail
cd "$(dirname "$0")/../.."

kernels=${*:-${KERNELS:-host 5.10 6.1 6.12}}
cache=${KERNEL_CACHE:-tests/.cache/kernels}
results=$cache/results
bin=$cache/bin
mkdir -p "$results" "$bin"
rm -f "$results"/*.log

tests/setup.sh tests/kernels/deps.txt || exit 1
echo "test-kernels: building static binaries (host kernel: $(uname -r))"
CGO_ENABLED=0 go build -o "$bin/datakit-ebpf" ./externals/ebpf || exit 1
tests=()
for p in "${packages[@]}"; do
  t=$bin/$(basename "$p").test
  CGO_ENABLED=0 go test -c -o "$t" "$p" || exit 1
  tests+=("$t")
done

# The collector's committed BPF objects, for guest.TestProgramsLoad.
objects=$(echo externals/ebpf/internal/*/*_bpfel.o)

for k in $kernels; do
  [ "$k" = host ] || tests/kernels/fetch-kernel.sh "$k" >/dev/null || exit 1
done

failed=0
for k in $kernels; do
  log=$results/$k.log
  start=$(date +%s)
  rc=0
  for t in "${tests[@]}"; do
    echo "### $(basename "$t") on $k" >>"$log"
    if [ "$k" = host ]; then
      DATAKIT_EBPF=$PWD/$bin/datakit-ebpf "$t" -test.v -test.timeout 10m >>"$log" 2>&1
    else
      KERNEL=$k KERNEL_FILES="$bin/datakit-ebpf $objects" tests/kernels/run-in-kernel.sh \
        "$t" -test.v -test.timeout 10m >>"$log" 2>&1
    fi
    r=$?
    [ $r -eq 0 ] || rc=$r
  done
  verdict=PASS
  if [ $rc -ne 0 ]; then verdict="FAIL (exit $rc)"; failed=1; fi
  echo "test-kernels: $k: $verdict in $(($(date +%s) - start))s (log: $log)"
  if [ $rc -ne 0 ]; then
    # Our assertions name the kernel; verifier dumps are tab-indented.
    grep -E -- '--- FAIL|kernel [0-9][^ ]*: |run-in-kernel:|panic:|^ +datakit-ebpf: ' "$log" | awk '!seen[$0]++' | cut -c1-300 | head -n 25 | sed 's/^/    /'
    # The verifier's verdict is the line before its "processed N insns".
    grep -B1 -E 'processed [0-9]+ insns' "$log" | grep -vE 'processed [0-9]+ insns|^--$' | sort -u | head -n 4 | sed 's/^[[:space:]]*/    verifier: /'
  fi
done

# Tests x kernels.
echo
awk -v kernels="$kernels" -v dir="$results" '
  BEGIN {
    n = split(kernels, ks, " ")
    for (i = 1; i <= n; i++) {
      f = dir "/" ks[i] ".log"
      while ((getline line < f) > 0) {
        if (match(line, /--- (PASS|FAIL|SKIP): [^ ]+/)) {
          split(substr(line, RSTART, RLENGTH), p, " ")
          name = p[3]
          if (!(name in seen)) { seen[name] = 1; order[++m] = name }
          res[name, i] = substr(p[2], 1, 4)
        }
      }
      close(f)
    }
    printf "%-62s", "TEST"
    for (i = 1; i <= n; i++) printf " %-6s", ks[i]
    printf "\n"
    for (j = 1; j <= m; j++) {
      printf "%-62s", order[j]
      for (i = 1; i <= n; i++) printf " %-6s", ((order[j], i) in res) ? res[order[j], i] : "-"
      printf "\n"
    }
  }'

# Features x kernels, from TestFeaturesTable's "feature|ROW|on" lines.
echo
awk -v kernels="$kernels" -v dir="$results" '
  BEGIN {
    n = split(kernels, ks, " ")
    for (i = 1; i <= n; i++) {
      f = dir "/" ks[i] ".log"
      while ((getline line < f) > 0) {
        if (split(line, p, "|") == 3 && p[1] ~ /feature$/) {
          if (!(p[2] in seen)) { seen[p[2]] = 1; order[++m] = p[2] }
          st[p[2], i] = p[3]
        }
      }
      close(f)
    }
    printf "%-75s", "FEATURE"
    for (i = 1; i <= n; i++) printf " %-5s", ks[i]
    printf "\n"
    for (j = 1; j <= m; j++) {
      printf "%-75s", substr(order[j], 1, 75)
      for (i = 1; i <= n; i++) printf " %-5s", ((order[j], i) in st) ? st[order[j], i] : "-"
      printf "\n"
    }
  }'
# Why each test skipped, per kernel: the -v logs through test2json, and
# gotestsum's summary of them (indented: the suite's own closes make test).
for k in $kernels; do
  if grep -q -- '--- SKIP' "$results/$k.log"; then
    echo
    echo "skipped on $k:"
    go tool test2json -p "$k" <"$results/$k.log" >"$results/$k.json"
    go tool gotestsum --format none --format-icons text --hide-summary failed,errors --raw-command -- cat "$results/$k.json" |
      grep -v '^=== Skipped$' | sed '/^$/d; s/^/  /'
  fi
done
exit $failed
