#!/usr/bin/env bash
# Ingest benchmark, in one run: builds (Release), prefills a store, starts `sessiondx serve` on
# loopback and measures idle RSS, single-event POSTs at 8 and 64 connections, batches of 100 at
# 64 connections, peak RSS, synchronous=full single events, and the raw store ceiling on a copy
# of the same-size store. Prints a table; raw results stay in the work directory.
#
#   scripts/bench-ingest.sh                      # 10 M-event store (about 8 min on 2 cores)
#   BENCH_PREFILL=1000000 scripts/bench-ingest.sh   # quick run
#   scripts/bench-ingest.sh --prefill 1000000 --duration 10
#
# Settings (environment, or the flags below):
#   BENCH_PREFILL (--prefill)         events in the store before the runs        10000000
#   BENCH_PREFILL_SESSIONS            sessions the prefill spreads over            100000
#   BENCH_DURATION (--duration)       measured seconds per run                     15
#   BENCH_WARMUP                      seconds of load before measuring             3
#   BENCH_SESSIONS                    distinct sessions the load spreads over     100000
#   BENCH_PORT                        loopback port of the server                  18480
#   BENCH_WORK_DIR                    databases, logs and JSON results            /tmp/sessiondx-bench
#   BENCH_BUILD_DIR                   CMake build directory                        <repo>/build-bench
#   BENCH_SKIP_BUILD=1                use the binaries already built
#   BENCH_SKIP_FULL=1                 skip the synchronous=full runs
#   BENCH_PREFILLED_DB=PATH           copy this prefilled store instead of prefilling (its own size)
#   BENCH_PERF=1                      also record `perf` profiles (server) during the 64-conn runs
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
WORK=${BENCH_WORK_DIR:-/tmp/sessiondx-bench}
PREFILL=${BENCH_PREFILL:-10000000}
PREFILL_SESSIONS=${BENCH_PREFILL_SESSIONS:-100000}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
SESSIONS=${BENCH_SESSIONS:-100000}
PORT=${BENCH_PORT:-18480}
SKIP_BUILD=${BENCH_SKIP_BUILD:-0}
SKIP_FULL=${BENCH_SKIP_FULL:-0}
PERF=${BENCH_PERF:-0}
PREFILLED_DB=${BENCH_PREFILLED_DB:-}

while [[ $# -gt 0 ]]; do
  case $1 in
    --prefill) PREFILL=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --work-dir) WORK=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench-ingest: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

SERVER=$BUILD/app/sessiondx
LOADGEN=$BUILD/bench/sessiondx-loadgen
CEILING=$BUILD/bench/sessiondx-ceiling

if [[ $SKIP_BUILD != 1 ]]; then
  log "building (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSESSIONDX_TESTS=OFF \
    -DSESSIONDX_BENCH=ON >/dev/null
  cmake --build "$BUILD" --target sessiondx sessiondx-loadgen sessiondx-ceiling -j2
fi
for bin in "$SERVER" "$LOADGEN" "$CEILING"; do
  [[ -x $bin ]] || { echo "bench-ingest: $bin not built" >&2; exit 1; }
done

rm -rf "$WORK"
mkdir -p "$WORK"
SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
export SESSIONDX_WEBHOOK_SECRET=$SECRET
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID"; fi
}
trap cleanup EXIT

{
  echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory:   $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel:   $(uname -r); $(c++ --version | head -1); SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"
  echo "settings: prefill $PREFILL events / $PREFILL_SESSIONS sessions, runs ${DURATION}s after ${WARMUP}s warm-up, load over $SESSIONS sessions"
} | tee "$WORK/machine.txt" >&2

# ---- prefill, and the copy the ceiling will run on ------------------------------------------
if [[ -n $PREFILLED_DB ]]; then
  log "copying the prefilled store $PREFILLED_DB"
  cp "$PREFILLED_DB" "$WORK/server.db"
  PREFILL=$(sqlite3 "$WORK/server.db" 'SELECT count(*) FROM events')
else
  log "prefilling $PREFILL events"
  "$CEILING" --db "$WORK/server.db" --prefill "$PREFILL" --prefill-sessions "$PREFILL_SESSIONS" \
    --json >"$WORK/prefill.json"
  log "prefill: $(jq -r '"\(.prefill_events) events in \(.seconds|floor) s (\(.events_per_s|floor)/s)"' "$WORK/prefill.json")"
fi
for suffix in "" -wal -shm; do
  [[ -f $WORK/server.db$suffix ]] && cp "$WORK/server.db$suffix" "$WORK/ceiling.db$suffix"
done
DB_BYTES=$(stat -c %s "$WORK/server.db")

# ---- server --------------------------------------------------------------------------------
start_server() {  # $1 = synchronous mode; sets SERVER_PID
  local logfile=$WORK/server-$1.log
  SESSIONDX_STORE_SYNCHRONOUS=$1 "$SERVER" serve --listen "127.0.0.1:$PORT" --db "$WORK/server.db" \
    2>"$logfile" &
  SERVER_PID=$!
  local waited=0
  until grep -q 'listening on http://' "$logfile"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "bench-ingest: server exited during start-up:" >&2; cat "$logfile" >&2; exit 1
    fi
    if (( waited >= 600 )); then echo "bench-ingest: server not listening after 60 s" >&2; exit 1; fi
    sleep 0.1; waited=$((waited + 1))
  done
}

stop_server() {  # SIGTERM, bounded wait, then SIGKILL
  kill -TERM "$SERVER_PID"
  local waited=0
  while kill -0 "$SERVER_PID" 2>/dev/null && (( waited < 300 )); do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    log "server did not stop within 30 s; killing it"; kill -KILL "$SERVER_PID"
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

# "tid cpu_ticks" for every server thread (utime + stime, fields 14 and 15 of /proc/.../stat).
thread_ticks() {
  local t
  for t in /proc/"$SERVER_PID"/task/*; do
    printf '%s %s\n' "${t##*/}" "$(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
  done >"$1" 2>/dev/null || true
}

metric_snapshot() { curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$1" || true; }

status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# $1 = name, $2 = connections, $3 = batch. Samples per-thread CPU halfway through the run.
run_load() {
  local name=$1 conns=$2 batch=$3
  log "run $name: $conns connections, batch $batch"
  "$LOADGEN" --target "127.0.0.1:$PORT" --connections "$conns" --batch "$batch" \
    --duration "$DURATION" --warmup "$WARMUP" --sessions "$SESSIONS" --json >"$WORK/$name.json" &
  local lg=$!
  metric_snapshot "$WORK/$name.metrics-before"
  thread_ticks "$WORK/$name.ticks-before"
  sleep "$(( WARMUP + DURATION / 3 ))"
  if kill -0 "$lg" 2>/dev/null; then
    cat /proc/loadavg >"$WORK/$name.loadavg"
    # Two iterations 1 s apart: the second shows CPU over that second, per thread.
    top -H -b -n 2 -d 1 -p "$SERVER_PID,$lg" >"$WORK/$name.top" 2>&1 || true
    if [[ $PERF == 1 && $conns -ge 64 ]] && command -v perf >/dev/null; then
      perf record -F 499 -g -o "$WORK/$name.perf.data" -p "$SERVER_PID" -- sleep 4 \
        >/dev/null 2>&1 || true
    fi
  fi
  wait "$lg" || log "run $name: loadgen reported failures (see $WORK/$name.json)"
  thread_ticks "$WORK/$name.ticks-after"
  metric_snapshot "$WORK/$name.metrics-after"
  # Events per commit over the whole run (warm-up included): how well group commit groups.
  awk '$1 == "sessiondx_store_commits_total" || $1 ~ /^sessiondx_events_(accepted|duplicate)_total/ {
         v[FILENAME, ($1 == "sessiondx_store_commits_total") ? "c" : "e"] += $2 }
       END { dc = v[ARGV[2], "c"] - v[ARGV[1], "c"]; de = v[ARGV[2], "e"] - v[ARGV[1], "e"];
             printf "%.1f\n", (dc > 0 ? de / dc : 0) }' \
    "$WORK/$name.metrics-before" "$WORK/$name.metrics-after" >"$WORK/$name.per-commit" || true
  # CPU microseconds per event of the I/O thread (tid = pid), of the busiest other thread (the
  # store writer) and of the whole server: what each would sustain with a core of its own.
  local events
  events=$(awk '$1 ~ /^sessiondx_events_(accepted|duplicate)_total/ {
                  v[FILENAME] += $2 } END { print v[ARGV[2]] - v[ARGV[1]] }' \
           "$WORK/$name.metrics-before" "$WORK/$name.metrics-after" 2>/dev/null || echo 0)
  awk -v pid="$SERVER_PID" -v events="$events" -v hz="$(getconf CLK_TCK)" '
    FNR == NR { before[$1] = $2; next }
    { d = $2 - before[$1]; total += d; if ($1 == pid) io = d; else if (d > writer) writer = d }
    END { if (events > 0) printf "%.1f %.1f %.1f\n", io * 1e6 / hz / events,
                                 writer * 1e6 / hz / events, total * 1e6 / hz / events }' \
    "$WORK/$name.ticks-before" "$WORK/$name.ticks-after" >"$WORK/$name.cpu" || true
  jq -r '"  \(.requests_per_s|floor) req/s, \(.events_per_s|floor) events/s, p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, max \(.max_ms) ms, non-200 \(.non_200), io errors \(.io_errors)"' \
    "$WORK/$name.json" >&2
  log "  CPU us/event (I/O thread, writer, whole server): $(cat "$WORK/$name.cpu" 2>/dev/null)"
}

log "starting server (synchronous=normal) on 127.0.0.1:$PORT, store of $((DB_BYTES / 1048576)) MiB"
start_server normal
sleep 2  # let start-up work (migrations, first checkpoint poll) settle
IDLE_RSS=$(status_kib "$SERVER_PID" VmRSS)
log "idle RSS: $IDLE_RSS KiB"

run_load single-c8 8 1
run_load single-c64 64 1
run_load batch100-c64 64 100

PEAK_RSS=$(status_kib "$SERVER_PID" VmHWM)
RSS_AFTER=$(status_kib "$SERVER_PID" VmRSS)
stop_server
log "peak RSS (VmHWM): $PEAK_RSS KiB; stopped: $(grep -c 'stopped cleanly' "$WORK/server-normal.log") clean exit"
EVENTS_IN_STORE=$(sqlite3 "$WORK/server.db" 'SELECT count(*) FROM events' 2>/dev/null || echo '?')

if [[ $SKIP_FULL != 1 ]]; then
  log "starting server (synchronous=full)"
  start_server full
  sleep 1
  run_load full-single-c8 8 1
  run_load full-single-c64 64 1
  stop_server
fi

# ---- raw store ceiling on the same-size copy ------------------------------------------------
log "store ceiling on the copy: batch 100, 2 producers x 32 batches in flight (= 64 requests)"
"$CEILING" --db "$WORK/ceiling.db" --batch 100 --producers 2 --in-flight 32 \
  --duration "$DURATION" --warmup "$WARMUP" --sessions "$SESSIONS" --json >"$WORK/ceiling.json" &
CEILING_PID=$!
sleep "$(( WARMUP + DURATION / 3 ))"
if kill -0 "$CEILING_PID" 2>/dev/null; then
  cat /proc/loadavg >"$WORK/ceiling.loadavg"
  top -H -b -n 2 -d 1 -p "$CEILING_PID" >"$WORK/ceiling.top" 2>&1 || true
fi
wait "$CEILING_PID"
log "ceiling: $(jq -r '"\(.events_per_s|floor) events/s, append p99 \(.append_p99_ms) ms"' "$WORK/ceiling.json")"

# ---- table ----------------------------------------------------------------------------------
j() { jq -r "$2" "$WORK/$1.json" 2>/dev/null || echo '-'; }
row() {  # name, label, target
  printf '| %-34s | %9s | %10s | %7s | %7s | %7s | %7s | %9s | %-26s |\n' "$2" \
    "$(j "$1" '.requests_per_s|floor')" "$(j "$1" '.events_per_s|floor')" \
    "$(j "$1" '.p50_ms*100|round/100')" "$(j "$1" '.p99_ms*100|round/100')" \
    "$(j "$1" '.max_ms*10|round/10')" "$(j "$1" '.non_200')" \
    "$(cat "$WORK/$1.per-commit" 2>/dev/null || echo -)" "$3"
}
BATCH_EPS=$(j batch100-c64 '.events_per_s')
CEILING_EPS=$(j ceiling '.events_per_s')
RATIO=$(awk -v a="$BATCH_EPS" -v b="$CEILING_EPS" 'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "-" }')
{
  echo
  cat "$WORK/machine.txt"
  echo "store:    $PREFILL prefilled events ($((DB_BYTES / 1048576)) MiB), $EVENTS_IN_STORE after the normal runs"
  echo
  printf '| %-34s | %9s | %10s | %7s | %7s | %7s | %7s | %9s | %-26s |\n' \
    run 'req/s' 'events/s' 'p50 ms' 'p99 ms' 'max ms' non-200 'ev/commit' target
  printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "$(printf -- '-%.0s' {1..11})" \
    "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..9})" \
    "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..11})" \
    "$(printf -- '-%.0s' {1..28})"
  row single-c8 'single event, 8 conns' 'p99 <= 2 ms'
  row single-c64 'single event, 64 conns' '>= 20k req/s, p99 <= 10 ms'
  row batch100-c64 'batch 100, 64 conns' '>= 80k events/s'
  if [[ $SKIP_FULL != 1 ]]; then
    row full-single-c8 'single event, 8 conns, sync=FULL' '(durability trade-off)'
    row full-single-c64 'single event, 64 conns, sync=FULL' '(durability trade-off)'
  fi
  echo
  printf 'store ceiling (no HTTP, batch 100):  %s events/s  (append p99 %s ms)\n' \
    "$(j ceiling '.events_per_s|floor')" "$(j ceiling '.append_p99_ms*100|round/100')"
  printf 'ceiling CPU per event:               writer %s us, whole process %s us\n' \
    "$(j ceiling '.writer_cpu_us_per_event*10|round/10')" \
    "$(j ceiling '.process_cpu_us_per_event*10|round/10')"
  printf 'batch ingest / ceiling:              %s %%   (target >= 70 %%)\n' "$RATIO"
  printf 'idle RSS:                            %s KiB (target <= 20480 KiB)\n' "$IDLE_RSS"
  printf 'peak RSS (VmHWM):                    %s KiB (RSS at the end of the runs %s KiB)\n' \
    "$PEAK_RSS" "$RSS_AFTER"
  printf 'load average during runs:            %s\n' \
    "$(for f in single-c8 single-c64 batch100-c64 ceiling; do
         [[ -f $WORK/$f.loadavg ]] && printf '%s=%s ' "$f" "$(cut -d' ' -f1 "$WORK/$f.loadavg")"; done)"
  echo
  echo 'CPU microseconds per event (whole run incl. warm-up; 1e6 / value = rate one core sustains):'
  printf '  %-16s %12s %12s %14s\n' run 'I/O thread' writer 'whole server'
  for f in single-c8 single-c64 batch100-c64 full-single-c8 full-single-c64; do
    [[ -s $WORK/$f.cpu ]] && printf '  %-16s %12s %12s %14s\n' "$f" $(cat "$WORK/$f.cpu")
  done
  echo "raw results, per-thread CPU (top -H) and server logs: $WORK"
} | tee "$WORK/summary.txt"
