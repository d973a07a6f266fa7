#!/usr/bin/env bash
# tests/test.sh — the suite of `make test`, after setup, build, gofmt and
# vet: `go test ./...` through gotestsum, whose summary lists every skipped
# test with its reason and every failure, and closes on "DONE N tests,
# K skipped, F failures in Ts"; then, with TEST_KERNELS=1, the kernel
# matrix (tests/kernels/test-kernels.sh). Both always run, so a failing
# `go test` never hides the matrix's results; it exits 1 when either
# failed. Where the matrix ran, the Go summary is printed again at the
# end, so the last lines are the suite's verdict.
#
# Environment: GO (go), TEST_TIMEOUT (25m), TEST_KERNELS (1), TEST_PACKAGES
# (./...; a narrower list for a quick check of this script).
set -uo pipefail
cd "$(dirname "$0")/.."

go=${GO:-go}
kernels=${TEST_KERNELS:-1}
json=tests/.cache/go-test.json
mkdir -p tests/.cache

gotestsum=("$go" tool gotestsum --format pkgname --format-icons text)
hide=()
[ "$kernels" = 1 ] && hide=(--hide-summary skipped) # printed once, at the end

"${gotestsum[@]}" "${hide[@]}" --jsonfile "$json" -- -count=1 -timeout "${TEST_TIMEOUT:-25m}" -p 2 ${TEST_PACKAGES:-./...}
gorc=$?
[ "$kernels" = 1 ] || exit $gorc

tests/kernels/test-kernels.sh
krc=$?

echo
echo "go test ${TEST_PACKAGES:-./...} (run before the kernel matrix):"
"$go" tool gotestsum --format none --format-icons text --raw-command -- cat "$json"
if [ $krc -ne 0 ]; then
  echo "FAIL: the kernel matrix failed (tests/kernels/test-kernels.sh exit $krc, its results above)"
fi
[ $gorc -eq 0 ] && [ $krc -eq 0 ]
