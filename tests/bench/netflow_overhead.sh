#!/usr/bin/env bash
# netflow_overhead.sh: what the ebpf-net collector costs an HTTP server.
#
# Runs wrk against nginx on loopback, alternating runs without and with
# datakit-ebpf (so drift of the machine hits both sides alike), and prints
# the throughput ratio (with/without), the collector's own CPU seconds
# per 10k requests, and from its self-metrics the ring-buffer records and
# the BPF run time per request. In-kernel BPF time is charged to nginx and wrk, so it
# shows up in the throughput ratio. Needs root, nginx and wrk.
#
# usage: tests/bench/netflow_overhead.sh [ROUNDS=3] [SECONDS=5]
# COLLECTOR_ARGS adds collector flags, e.g. COLLECTOR_ARGS=--l7net-enabled=
# for netflow alone (httpflow capture off). COLLECTOR_BIN runs another
# build (e.g. an older commit's, for a before/after in the same session).
# The BPF run time is reported only with COLLECTOR_ARGS=--bpf-stats, which
# itself costs throughput (the kernel times every BPF run on the host).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
secs=${2:-5}
conns=${CONNS:-32}
# CLOSE=1 opens a connection per request (stresses connection tracking).
hdr=(); [ "${CLOSE:-0}" = 1 ] && hdr=(-H "Connection: close")

[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
for b in nginx wrk; do command -v $b >/dev/null || { echo "missing $b (tests/deps/ebpf.txt)" >&2; exit 1; }; done

collector=${COLLECTOR_BIN:-bin/datakit-ebpf}
[ -n "${COLLECTOR_BIN:-}" ] || go build -o bin/datakit-ebpf ./externals/ebpf
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
head -c 1024 /dev/urandom > "$tmp/1k"
cat > "$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp; proxy_temp_path $tmp; fastcgi_temp_path $tmp;
  uwsgi_temp_path $tmp; scgi_temp_path $tmp;
  server { listen 127.0.0.1:$port; root $tmp; keepalive_requests 1000000; }
}
CONF
nginx -c "$tmp/nginx.conf" -g "daemon off; user root;" & nginx_pid=$!
collector_pid=""
cleanup() {
  [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null || true
  kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
sleep 1

# rps MODE: one wrk run; prints requests/s and total requests.
run_wrk() {
  wrk -t1 -c"$conns" -d"${secs}s" "${hdr[@]}" "http://127.0.0.1:$port/1k" |
    awk '/requests in/ {n=$1} /Requests\/sec/ {print $2, n}'
}
# ticks PID: utime+stime of PID in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

off_sum=0; on_sum=0; on_reqs=0; cpu_ticks=0; ratios=()
: > "$tmp/out.lp"
for r in $(seq "$rounds"); do
  read -r rps _ < <(run_wrk)
  off_rps=$rps
  off_sum=$(echo "$off_sum + $rps" | bc -l)
  echo "round $r without collector: $rps req/s"

  "$collector" run --output "$tmp/out.lp" --interval 1s --log "$tmp/collector.log" ${COLLECTOR_ARGS:-} & collector_pid=$!
  sleep 2 # load and attach
  t0=$(ticks "$collector_pid")
  read -r rps reqs < <(run_wrk)
  t1=$(ticks "$collector_pid")
  kill "$collector_pid"; wait "$collector_pid" || true; collector_pid=""
  on_sum=$(echo "$on_sum + $rps" | bc -l)
  on_reqs=$((on_reqs + reqs))
  cpu_ticks=$((cpu_ticks + t1 - t0))
  echo "round $r with collector:    $rps req/s"
  ratios+=("$(echo "scale=4; $rps / $off_rps" | bc -l)")
done
hz=$(getconf CLK_TCK)
ratio=$(echo "scale=4; $on_sum / $off_sum" | bc -l)
cpu=$(echo "scale=4; $cpu_ticks * 10000 / $hz / $on_reqs" | bc -l)
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
echo "throughput kept: $(echo "scale=2; $ratio * 100" | bc -l)% of summed rates, median of paired rounds $(echo "scale=2; $median * 100" | bc -l)% (goal >= 97%)"
echo "collector CPU: ${cpu} s per 10k requests ($conns connections, CLOSE=${CLOSE:-0})"
# self-metrics of ebpf-net over all rounds (idle start-up included: a few records)
awk -v reqs="$on_reqs" '/^datakit_ebpf,.*plugin=ebpf-net/ {
    for (i = 1; i <= split($2, f, ","); i++) { split(f[i], kv, "="); sub(/i$/, "", kv[2]); v[kv[1]] += kv[2] } }
  END { printf "ring records per request: %.2f", v["events"] / reqs
    if (v["bpf_run_count"]) printf "; BPF run time per request: %.0f ns (%.2f runs of %.0f ns)",
      v["bpf_run_time_ns"] / reqs, v["bpf_run_count"] / reqs, v["bpf_run_time_ns"] / v["bpf_run_count"]
    printf "\n" }' "$tmp/out.lp"
