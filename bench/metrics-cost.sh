#!/usr/bin/env bash
# The query-path cost of metrics: the same server over the bundled zones, with /metrics on and off
# (--metrics ''), under dnsperf on loopback, alternating so drift on a shared machine hits both.
# Reports dnsperf's QPS and the server's CPU time per query answered (from /proc), which a busy
# machine disturbs far less than throughput.
# Usage: bench/metrics-cost.sh [rounds] [seconds] [rate]   (run `npm run build` first; rate
# empty = as fast as it goes)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-10}
rate=${3:-}
port=${PORT:-15399}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # $1: on|off; prints "QPS qps, CPU us/query"
  local metrics=127.0.0.1:0
  [ "$1" = off ] && metrics=''
  node dist/main.js --listen "127.0.0.1:$port" --resolv-conf /dev/null --health '' --ready '' \
    --metrics "$metrics" --log-level error --lameduck 0s >/dev/null &
  local pid=$!
  for _ in $(seq 1 100); do
    dig @127.0.0.1 -p "$port" +short +time=1 +tries=1 kubernetes.default.svc.cluster.local >/dev/null 2>&1 && break
    sleep 0.1
  done
  local before out after
  before=$(cpu_ticks "$pid")
  out=$(dnsperf -s 127.0.0.1 -p "$port" -d bench/queries-cluster.txt -l "$seconds" -c 4 -q 100 ${rate:+-Q "$rate"})
  after=$(cpu_ticks "$pid")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  local qps completed
  qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
  completed=$(awk '/Queries completed/ {print $3}' <<<"$out")
  awk -v q="$qps" -v c="$completed" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f qps, %.1f us CPU/query", q, t / hz * 1e6 / c }'
}

for round in $(seq 1 "$rounds"); do
  echo "round $round: metrics on $(run on); metrics off $(run off)"
done
