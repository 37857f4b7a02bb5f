#!/usr/bin/env bash
# sessiondx against its peer, in one run: the webhook receiver a Node team would write instead
# (bench/peer: Express 4, the reference Standard Webhooks library, better-sqlite3 in WAL with
# synchronous=NORMAL, a UNIQUE id and one (session_id, ts) index). Both get the same load
# generator, the same signed events and an empty store; the raw store ceiling (no HTTP) runs in
# the same run. Prints each figure and the ratios the performance issue targets.
#
#   scripts/bench-peer.sh                   # 15 s per run after 3 s of warm-up
#   BENCH_DURATION=5 scripts/bench-peer.sh  # quick look
#
# Settings (environment):
#   BENCH_DURATION / BENCH_WARMUP   measured seconds per run / warm-up seconds      15 / 3
#   BENCH_SESSIONS                  distinct sessions the load spreads over         100000
#   BENCH_WORK_DIR                  databases, logs and JSON results   /tmp/sessiondx-bench-peer
#   BENCH_BUILD_DIR                 CMake build directory                <repo>/build-bench
#   BENCH_SKIP_BUILD=1              use the binaries already built
#   BENCH_SERVER_CPUS / BENCH_LOAD_CPUS   taskset CPU lists of the servers / the load
#                                   generator (default: unpinned; e.g. 0 and 1 on 2 cores)
# Needs Node.js and npm (scripts/setup.sh installs them); the peer's packages are installed from
# the npm registry into bench/peer/node_modules on the first run (better-sqlite3 compiles).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
WORK=${BENCH_WORK_DIR:-/tmp/sessiondx-bench-peer}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
SESSIONS=${BENCH_SESSIONS:-100000}
SERVER_CPUS=${BENCH_SERVER_CPUS:-}
LOAD_CPUS=${BENCH_LOAD_CPUS:-}
PORT_SDX=18490
PORT_PEER=18491

BENCH_NAME=bench-peer
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"  # log, pin

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  log "building (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSESSIONDX_TESTS=OFF \
    -DSESSIONDX_BENCH=ON >/dev/null
  cmake --build "$BUILD" --target sessiondx sessiondx-loadgen sessiondx-ceiling -j"$(nproc)"
fi
SERVER=$BUILD/app/sessiondx
LOADGEN=$BUILD/bench/sessiondx-loadgen
CEILING=$BUILD/bench/sessiondx-ceiling

PEER=$ROOT/bench/peer
if [[ ! -f $PEER/node_modules/better-sqlite3/build/Release/better_sqlite3.node ]]; then
  log "installing the peer's packages (npm ci; better-sqlite3 compiles from source)"
  # make, under npm, needs SIGCHLD at its default disposition.
  (cd "$PEER" && python3 -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_DFL)
os.execvp("npm", ["npm", "ci", "--no-audit", "--no-fund"])')
fi

rm -rf "$WORK"
mkdir -p "$WORK"
export SESSIONDX_WEBHOOK_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
PID=
cleanup() { if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID"; fi; }
trap cleanup EXIT

{
  echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "software: $(c++ --version | head -1); Node.js $(node --version)"
  echo "settings: ${DURATION}s per run after ${WARMUP}s warm-up, load over $SESSIONS sessions," \
       "servers on CPUs ${SERVER_CPUS:-any}, load generator on CPUs ${LOAD_CPUS:-any}"
  echo "load before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$WORK/machine.txt" >&2

wait_for() {  # $1 = log file, $2 = pattern
  local waited=0
  until grep -q "$2" "$1"; do
    kill -0 "$PID" 2>/dev/null || { echo "bench-peer: server exited:" >&2; cat "$1" >&2; exit 1; }
    (( waited++ < 600 )) || { echo "bench-peer: server not up after 60 s" >&2; exit 1; }
    sleep 0.1
  done
}

stop() {
  kill -TERM "$PID"
  local waited=0
  while kill -0 "$PID" 2>/dev/null && (( waited++ < 300 )); do sleep 0.1; done
  kill -0 "$PID" 2>/dev/null && kill -KILL "$PID"
  wait "$PID" 2>/dev/null || true
  PID=
}

load() {  # $1 = result name, $2 = port, $3 = connections, $4 = batch
  log "run $1: $3 connections, batch $4"
  (pin "$LOAD_CPUS" "$LOADGEN" --target "127.0.0.1:$2" --connections "$3" --batch "$4" \
    --duration "$DURATION" --warmup "$WARMUP" --sessions "$SESSIONS" --json >"$WORK/$1.json") ||
    log "run $1: the load generator reported failures (see $WORK/$1.json)"
  cut -d' ' -f1 /proc/loadavg >"$WORK/$1.loadavg"
  jq -r '"  \(.requests_per_s|floor) req/s, \(.events_per_s|floor) events/s, p99 \(.p99_ms) ms, non-200 \(.non_200)"' \
    "$WORK/$1.json" >&2
}

# Each server gets an empty store for each kind of run, so neither runs on the other's data.
run_sessiondx() {  # $1 = suffix, then load arguments
  local name=$1; shift
  pin "$SERVER_CPUS" "$SERVER" serve --listen "127.0.0.1:$PORT_SDX" --db "$WORK/sdx-$name.db" \
    2>"$WORK/sdx-$name.log" &
  PID=$!
  wait_for "$WORK/sdx-$name.log" 'listening on http://'
  load "sdx-$name" "$PORT_SDX" "$@"
  stop
}
run_peer() {
  local name=$1; shift
  pin "$SERVER_CPUS" node "$PEER/server.js" --port "$PORT_PEER" --db "$WORK/peer-$name.db" \
    2>"$WORK/peer-$name.log" &
  PID=$!
  wait_for "$WORK/peer-$name.log" 'listening on'
  load "peer-$name" "$PORT_PEER" "$@"
  stop
}

run_sessiondx single 64 1
run_peer single 64 1
run_sessiondx batch 8 100
run_peer batch 8 100

log "store ceiling: batch 100, 2 producers x 4 batches in flight (= 8 requests), empty store"
(pin "$SERVER_CPUS" "$CEILING" --db "$WORK/ceiling.db" --batch 100 --producers 2 --in-flight 4 \
  --duration "$DURATION" --warmup "$WARMUP" --sessions "$SESSIONS" --json >"$WORK/ceiling.json")

j() { jq -r "$2" "$WORK/$1.json"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
{
  echo
  cat "$WORK/machine.txt"
  echo
  printf '| %-36s | %12s | %12s | %7s | %6s | %-24s |\n' run sessiondx peer ratio load target
  printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "$(printf -- '-%.0s' {1..14})" \
    "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..8})" \
    "$(printf -- '-%.0s' {1..26})"
  printf '| %-36s | %12s | %12s | %7s | %6s | %-24s |\n' 'single-event POST, 64 conns (req/s)' \
    "$(j sdx-single '.requests_per_s|floor')" "$(j peer-single '.requests_per_s|floor')" \
    "$(ratio "$(j sdx-single .requests_per_s)" "$(j peer-single .requests_per_s)")x" \
    "$(cat "$WORK/sdx-single.loadavg")" '>= 8x the peer'
  printf '| %-36s | %12s | %12s | %7s | %6s | %-24s |\n' 'batches of 100, 8 conns (events/s)' \
    "$(j sdx-batch '.events_per_s|floor')" "$(j peer-batch '.events_per_s|floor')" \
    "$(ratio "$(j sdx-batch .events_per_s)" "$(j peer-batch .events_per_s)")x" \
    "$(cat "$WORK/sdx-batch.loadavg")" '>= 2x the peer'
  printf '| %-36s | %12s | %12s | %7s | %6s | %-24s |\n' 'p99 single / batch (ms)' \
    "$(j sdx-single .p99_ms) / $(j sdx-batch .p99_ms)" \
    "$(j peer-single .p99_ms) / $(j peer-batch .p99_ms)" '' '' ''
  echo
  printf 'store ceiling (no HTTP, batch 100):   %s events/s\n' "$(j ceiling '.events_per_s|floor')"
  printf 'sessiondx batch ingest / ceiling:     %s %%   (target >= 80 %%)\n' \
    "$(awk -v a="$(j sdx-batch .events_per_s)" -v b="$(j ceiling .events_per_s)" \
        'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "-" }')"
  echo "raw results and server logs: $WORK"
} | tee "$WORK/summary.txt"
