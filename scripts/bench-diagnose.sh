#!/usr/bin/env bash
# Diagnosis benchmark, in one run: builds (Release), prepares a store (a copy of a prefilled one,
# or a fresh prefill), adds the bench sessions (typical 100-500-event sessions, a crowd sharing
# their problems, one 10,000-event session), measures `/session` end to end (command, store
# reads, rules, blast radius, Markdown) and its phases with the store otherwise idle, then the
# typical sessions again while `sessiondx serve` + `sessiondx-loadgen` ingest batches of 100 at
# 64 connections into the same database file. Prints a table; raw results stay in the work dir.
#
#   BENCH_PREFILLED_DB=/tmp/prefill-10m.db scripts/bench-diagnose.sh   # reuse a 10 M store
#   BENCH_PREFILL=1000000 scripts/bench-diagnose.sh                     # quick: fresh 1 M store
#
# Settings (environment):
#   BENCH_PREFILLED_DB=PATH    copy this prefilled store (sessiondx-ceiling --prefill) instead of
#                              prefilling; the copy is modified, the original never
#   BENCH_PREFILL              events of a fresh prefill when no BENCH_PREFILLED_DB      1000000
#   BENCH_PREFILL_SESSIONS     sessions of the prefill (also: its session-id scheme)     100000
#   BENCH_ITERATIONS           measured diagnoses per group                              400
#   BENCH_MAX_SECONDS          bound on the measured seconds per group (idle runs)      30
#   BENCH_INGEST_DURATION      seconds of loadgen during the under-ingest run            30
#   BENCH_WARMUP               seconds of load before the under-ingest measurement      5
#   BENCH_PORT                 loopback port of the server                               18490
#   BENCH_WORK_DIR             databases, logs and JSON results          /tmp/sessiondx-dbench
#   BENCH_BUILD_DIR            CMake build directory                      <repo>/build-dbench
#   BENCH_SKIP_BUILD=1         use the binaries already built
#   BENCH_SKIP_INGEST=1        skip the under-ingest run
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-dbench}
WORK=${BENCH_WORK_DIR:-/tmp/sessiondx-dbench}
PREFILLED_DB=${BENCH_PREFILLED_DB:-}
PREFILL=${BENCH_PREFILL:-1000000}
PREFILL_SESSIONS=${BENCH_PREFILL_SESSIONS:-100000}
ITERATIONS=${BENCH_ITERATIONS:-400}
MAX_SECONDS=${BENCH_MAX_SECONDS:-30}
INGEST_DURATION=${BENCH_INGEST_DURATION:-30}
WARMUP=${BENCH_WARMUP:-5}
PORT=${BENCH_PORT:-18490}
SKIP_BUILD=${BENCH_SKIP_BUILD:-0}
SKIP_INGEST=${BENCH_SKIP_INGEST:-0}

case ${1:-} in
  -h|--help) sed -n '2,26p' "${BASH_SOURCE[0]}"; exit 0 ;;
  '') ;;
  *) echo "bench-diagnose: unknown argument $1 (settings are environment variables)" >&2; exit 2 ;;
esac

log() { printf '[dbench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

SERVER=$BUILD/app/sessiondx
LOADGEN=$BUILD/bench/sessiondx-loadgen
CEILING=$BUILD/bench/sessiondx-ceiling
DBENCH=$BUILD/bench/sessiondx-diagnose-bench

if [[ $SKIP_BUILD != 1 ]]; then
  log "building (Release) in $BUILD"
  # -Wno-error=restrict: GCC 12 at -O3 reports a false -Wrestrict in `"literal" + std::string`
  # (GCC bug 105329), which stops app/service.cpp; a warning, not a code change.
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSESSIONDX_TESTS=OFF \
    -DSESSIONDX_BENCH=ON -DCMAKE_CXX_FLAGS=-Wno-error=restrict >/dev/null
  cmake --build "$BUILD" --target sessiondx sessiondx-loadgen sessiondx-ceiling \
    sessiondx-diagnose-bench -j2
fi
for bin in "$SERVER" "$LOADGEN" "$CEILING" "$DBENCH"; do
  [[ -x $bin ]] || { echo "bench-diagnose: $bin not built" >&2; exit 1; }
done

rm -rf "$WORK"
mkdir -p "$WORK"
DB=$WORK/store.db
SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
export SESSIONDX_WEBHOOK_SECRET=$SECRET
SERVER_PID=
LOADGEN_PID=
cleanup() {
  for pid in "$LOADGEN_PID" "$SERVER_PID"; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  done
}
trap cleanup EXIT

{
  echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory:   $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel:   $(uname -r); $(c++ --version | head -1); SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"
  echo "uptime:   $(uptime)"
} | tee "$WORK/machine.txt" >&2

# ---- the store -----------------------------------------------------------------------------
if [[ -n $PREFILLED_DB ]]; then
  log "copying the prefilled store $PREFILLED_DB"
  for suffix in "" -wal -shm; do
    [[ -f $PREFILLED_DB$suffix ]] && cp "$PREFILLED_DB$suffix" "$DB$suffix"
  done
else
  log "prefilling $PREFILL events over $PREFILL_SESSIONS sessions"
  "$CEILING" --db "$DB" --prefill "$PREFILL" --prefill-sessions "$PREFILL_SESSIONS" --json \
    >"$WORK/prefill.json"
fi
EVENTS=$(sqlite3 "$DB" 'SELECT count(*) FROM events')
SESSIONS=$(sqlite3 "$DB" 'SELECT count(*) FROM sessions')
DB_BYTES=$(stat -c %s "$DB")
TAG=r$(date +%s)
log "store: $EVENTS events, $SESSIONS sessions, $((DB_BYTES / 1048576)) MiB; bench sessions dxb_${TAG}_*"

COMMON=(--db "$DB" --tag "$TAG" --prefill-sessions "$PREFILL_SESSIONS")
"$DBENCH" "${COMMON[@]}" --setup-only 2>&1 | tee "$WORK/setup.txt" >&2

# "Warm": each session is diagnosed --warmup (3) times before measuring, so the OS page cache
# and SQLite's own cache hold what the reads touch.
log "warm runs: typical, big (10,000 events), prefill samples"
cat /proc/loadavg >"$WORK/idle.loadavg"
"$DBENCH" "${COMMON[@]}" --iterations "$ITERATIONS" --max-seconds "$MAX_SECONDS" --json \
  >"$WORK/idle.json"

# ---- the same while ingest runs at full speed --------------------------------------------------
if [[ $SKIP_INGEST != 1 ]]; then
  log "starting server on 127.0.0.1:$PORT (same database file)"
  "$SERVER" serve --listen "127.0.0.1:$PORT" --db "$DB" 2>"$WORK/server.log" &
  SERVER_PID=$!
  waited=0
  until grep -q 'listening on http://' "$WORK/server.log"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "bench-diagnose: server exited during start-up:" >&2; cat "$WORK/server.log" >&2; exit 1
    fi
    if (( waited >= 600 )); then echo "bench-diagnose: server not listening after 60 s" >&2; exit 1; fi
    sleep 0.1; waited=$((waited + 1))
  done
  log "loadgen: batches of 100, 64 connections, ${INGEST_DURATION}s after ${WARMUP}s warm-up"
  "$LOADGEN" --target "127.0.0.1:$PORT" --connections 64 --batch 100 \
    --duration "$INGEST_DURATION" --warmup "$WARMUP" --sessions 100000 --json \
    >"$WORK/loadgen.json" &
  LOADGEN_PID=$!
  sleep "$WARMUP"
  cat /proc/loadavg >"$WORK/ingest.loadavg"
  # Bounded so that it ends before the load does: the whole measurement sees full-speed ingest.
  "$DBENCH" "${COMMON[@]}" --groups typical,big --iterations "$ITERATIONS" \
    --max-seconds "$(( INGEST_DURATION * 2 / 5 ))" --json >"$WORK/ingest.json"
  top -H -b -n 1 -p "$SERVER_PID" >"$WORK/ingest.top" 2>&1 || true
  wait "$LOADGEN_PID" || log "loadgen reported failures (see $WORK/loadgen.json)"
  LOADGEN_PID=
  kill -TERM "$SERVER_PID"
  waited=0
  while kill -0 "$SERVER_PID" 2>/dev/null && (( waited < 300 )); do sleep 0.1; waited=$((waited + 1)); done
  kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  log "ingest: $(jq -r '"\(.events_per_s|floor) events/s, p99 \(.p99_ms) ms, non-200 \(.non_200)"' "$WORK/loadgen.json")"
fi

# ---- table ----------------------------------------------------------------------------------
q() { jq -r "$2" "$WORK/$1.json" 2>/dev/null || echo '-'; }
row() {  # file, group, label, target
  local g=".groups.$2.end_to_end" c=".groups.$2.end_to_end_cpu"
  printf '| %-40s | %5s | %7s | %7s | %7s | %7s | %11s | %-13s |\n' "$3" "$(q "$1" "$g.count")" \
    "$(q "$1" "$g.p50_ms*100|round/100")" "$(q "$1" "$g.p90_ms*100|round/100")" \
    "$(q "$1" "$g.p99_ms*100|round/100")" "$(q "$1" "$g.max_ms*100|round/100")" \
    "$(q "$1" "\"\($c.p50_ms*100|round/100) / \($c.p99_ms*100|round/100)\"")" "$4"
}
phases() {  # file, group
  jq -r --arg g "$2" '.groups[$g].phases | to_entries[] |
    "    \(.key): p50 \(.value.p50_ms*1000|round/1000) ms, p99 \(.value.p99_ms*1000|round/1000) ms"' \
    "$WORK/$1.json" 2>/dev/null || true
}
{
  echo
  cat "$WORK/machine.txt"
  echo "store:    $EVENTS events, $SESSIONS sessions ($((DB_BYTES / 1048576)) MiB) before the bench sessions"
  echo
  printf '| %-40s | %5s | %7s | %7s | %7s | %7s | %11s | %-13s |\n' run n 'p50 ms' 'p90 ms' \
    'p99 ms' 'max ms' 'CPU p50/p99' target
  printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..42})" "$(printf -- '-%.0s' {1..7})" \
    "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..9})" \
    "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..13})" "$(printf -- '-%.0s' {1..15})"
  row idle typical 'typical (100-500 events), warm' 'p99 <= 5'
  row idle big "10,000 events, warm" 'p99 <= 20'
  row idle prefill 'prefill sessions (~100 ev, heavy blast)' '(p99 <= 5)'
  if [[ $SKIP_INGEST != 1 ]]; then
    row ingest typical 'typical, during batch ingest' 'p99 <= 10'
    row ingest big '10,000 events, during batch ingest' '-'
  fi
  echo
  for g in typical big prefill; do
    echo "  $g: $(q idle ".groups.$g | \"\(.sessions) sessions, \(.min_events)-\(.max_events) events, \(.findings) findings, blast radius up to \(.max_other_sessions) other sessions\"")"
    phases idle "$g"
  done
  if [[ $SKIP_INGEST != 1 ]]; then
    echo "  during ingest ($(q loadgen '"\(.events_per_s|floor) events/s, ingest p99 \(.p99_ms) ms"')):"
    for g in typical big; do echo "  $g:"; phases ingest "$g"; done
  fi
  echo
  echo "load average: idle runs $(cut -d' ' -f1-3 "$WORK/idle.loadavg"), during ingest $(cut -d' ' -f1-3 "$WORK/ingest.loadavg" 2>/dev/null || echo -)"
  echo "raw results: $WORK"
} | tee "$WORK/summary.txt"
