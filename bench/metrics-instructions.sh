#!/usr/bin/env bash
# What metrics cost per query, counted in instructions rather than seconds: callgrind counts the
# same work the same way whatever else the machine is doing. Runs the built server under
# valgrind with metrics on and off, sends N1 and then N2 queries (one at a time), and prints the
# instructions per query between the two counts (JIT warm-up and start-up cancel out).
#   npm run build && bench/metrics-instructions.sh [N1=4000] [N2=16000]
set -euo pipefail
cd "$(dirname "$0")/.."
n1=${1:-4000}
n2=${2:-16000}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Total instructions of one server run answering $2 queries, metrics $1 (on|off).
count() {
  local metrics=127.0.0.1:0 port=$((20000 + RANDOM % 10000))
  [ "$1" = off ] && metrics=''
  valgrind --tool=callgrind --callgrind-out-file="$work/out" node dist/main.js \
    --listen "127.0.0.1:$port" --resolv-conf /dev/null --health '' --ready '' --metrics "$metrics" \
    --lameduck 0 --log-level warn >"$work/log" 2>&1 &
  local pid=$!
  node bench/sequential-queries.mjs "$port" 1 60000 >/dev/null # waits until it answers
  node bench/sequential-queries.mjs "$port" "$2" 60000
  kill -INT "$pid"
  wait "$pid" || true
  grep -m1 '^summary' "$work/out" | cut -d' ' -f2
}

for mode in on off; do
  a=$(count "$mode" "$n1")
  b=$(count "$mode" "$n2")
  echo "metrics $mode: $(( (b - a) / (n2 - n1) )) instructions per query (runs of $n1 and $n2 queries)"
done
