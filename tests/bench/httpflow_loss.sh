#!/usr/bin/env bash
# httpflow_loss.sh [rates...]: the highest request rate at which httpflow
# loses no request. For each rate (default 5000 10000 15000 20000 30000
# 40000), TestHTTPFlowNoLoss drives exactly N keep-alive requests at that
# rate from a Go client to nginx on loopback, with the real collector
# running, and compares httpflow's counts (client and server side) with N.
# Stops at the first rate with a loss or that the machine cannot reach
# (achieved < 90% of the target). Needs root, nginx.
#
#   N=20000 CONNS=8 tests/bench/httpflow_loss.sh 5000 10000 20000
set -euo pipefail
cd "$(dirname "$0")/../.."
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(5000 10000 15000 20000 30000 40000)
n=${N:-20000}
conns=${CONNS:-8}
go test -c -o /tmp/httpflow_loss.test ./externals/ebpf >/dev/null
TESTENV_REBUILD=1 go build -o bin/datakit-ebpf ./externals/ebpf
best=0
for rate in "${rates[@]}"; do
	out=$(cd externals/ebpf && HTTPFLOW_LOSS_N=$n HTTPFLOW_LOSS_RATE=$rate HTTPFLOW_LOSS_CONNS=$conns \
		/tmp/httpflow_loss.test -test.run '^TestHTTPFlowNoLoss$' -test.count=1 -test.v 2>&1 || true)
	line=$(grep -o 'loss: .*' <<<"$out" || true)
	echo "$line"
	[ -n "$line" ] || { echo "$out" | tail -20; exit 1; }
	achieved=$(sed -E 's/.*achieved=([0-9]+).*/\1/' <<<"$line")
	if ! grep -q -- '--- PASS' <<<"$out"; then
		echo "loss at $rate/s"
		break
	fi
	if [ "$achieved" -lt $((rate * 9 / 10)) ]; then
		echo "the client reached only $achieved/s of $rate/s: the machine, not the collector, is the limit"
		best=$achieved
		break
	fi
	best=$rate
done
echo "highest zero-loss rate: $best requests/s (N=$n, $conns connections, loopback, both sides counted)"
