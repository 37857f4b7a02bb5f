#!/usr/bin/env bash
# How batch ingest scales with `server.io_threads`: runs `sessiondx serve` with 1, 2 and 4 I/O
# threads against the load generator (batches of 100, 64 connections, an empty store each
# time), the server and the load generator pinned to disjoint CPUs with taskset when the
# machine has enough, and prints events/s, the server's CPU use and the throughput per core for
# each setting.
#
#   scripts/bench-io-threads.sh                        # 15 s per run after 3 s of warm-up
#   BENCH_DURATION=5 BENCH_IO_THREADS="1 2" scripts/bench-io-threads.sh   # quick look
#
# Settings (environment):
#   BENCH_IO_THREADS                io_threads values to run                        "1 2 4"
#   BENCH_CONNECTIONS / BENCH_BATCH connections / events per request               64 / 100
#   BENCH_DURATION / BENCH_WARMUP   measured seconds per run / warm-up seconds      15 / 3
#   BENCH_SESSIONS                  distinct sessions the load spreads over         100000
#   BENCH_LOAD_CPU_COUNT            CPUs given to the load generator   max(1, nproc / 4)
#   BENCH_PIN=0                     do not pin (as on a 1-CPU machine)
#   BENCH_WORK_DIR                  databases, logs and JSON results  /tmp/sessiondx-bench-io
#   BENCH_BUILD_DIR                 CMake build directory                <repo>/build-bench
#   BENCH_SKIP_BUILD=1              use the binaries already built
#
# Pinning: the load generator gets the last BENCH_LOAD_CPU_COUNT CPUs (one client thread
# each); the server gets io_threads + 1 of the others (its I/O threads and the store writer),
# fewer when the machine has fewer, so a run may give the server less than it asks for: the
# table says which CPUs each side had. "per busy core" divides events/s by the CPU time the
# server actually used (cores busy), "per server CPU" by the CPUs it was allowed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
BENCH_NAME=bench-io-threads
# shellcheck source=scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

WORK=${BENCH_WORK_DIR:-/tmp/sessiondx-bench-io}
IO_THREADS=${BENCH_IO_THREADS:-1 2 4}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
BATCH=${BENCH_BATCH:-100}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
SESSIONS=${BENCH_SESSIONS:-100000}
PORT=${BENCH_PORT:-18495}
CPUS=$(nproc)
LOAD_COUNT=${BENCH_LOAD_CPU_COUNT:-$(( CPUS / 4 > 1 ? CPUS / 4 : 1 ))}
PIN=${BENCH_PIN:-1}
(( CPUS >= 2 )) || PIN=0

build_release sessiondx sessiondx-loadgen
SERVER=$BUILD/app/sessiondx
LOADGEN=$BUILD/bench/sessiondx-loadgen
for bin in "$SERVER" "$LOADGEN"; do
  [[ -x $bin ]] || { echo "$BENCH_NAME: $bin not built" >&2; exit 1; }
done

rm -rf "$WORK"
mkdir -p "$WORK"
export SESSIONDX_WEBHOOK_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
PID=
cleanup() { if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID"; fi; }
trap cleanup EXIT

{
  machine_info
  echo "settings: batches of $BATCH, $CONNECTIONS connections, ${DURATION}s per run after" \
       "${WARMUP}s warm-up, io_threads $IO_THREADS, pinning $([[ $PIN == 1 ]] && echo on || echo off)"
} | tee "$WORK/machine.txt" >&2

# CPU lists: the load generator on the last LOAD_COUNT CPUs, the server on up to $1 + 1 others.
load_cpus() { echo "$(( CPUS - LOAD_COUNT ))-$(( CPUS - 1 ))"; }
server_cpus() {
  local want=$(( $1 + 1 )) have=$(( CPUS - LOAD_COUNT ))
  (( want < have )) || want=$have
  echo "0-$(( want - 1 ))"
}
count_cpus() { awk -F- '{print (NF == 2 ? $2 - $1 + 1 : 1)}' <<<"$1"; }

HZ=$(getconf CLK_TCK)
for n in $IO_THREADS; do
  scpus= lcpus= lthreads=1
  if [[ $PIN == 1 ]]; then
    scpus=$(server_cpus "$n"); lcpus=$(load_cpus); lthreads=$LOAD_COUNT
  fi
  log "io_threads $n: server on CPUs ${scpus:-any}, load generator on CPUs ${lcpus:-any}"
  SESSIONDX_SERVER_IO_THREADS=$n pin "$scpus" "$SERVER" serve --listen "127.0.0.1:$PORT" \
    --db "$WORK/io$n.db" 2>"$WORK/io$n.log" &
  PID=$!
  wait_for "$PID" "$WORK/io$n.log" 'listening on http://'
  grep -q "($n I/O thread" "$WORK/io$n.log" ||
    { echo "$BENCH_NAME: the server did not take io_threads $n:" >&2; cat "$WORK/io$n.log" >&2; exit 1; }
  (pin "$lcpus" "$LOADGEN" --target "127.0.0.1:$PORT" --connections "$CONNECTIONS" \
    --batch "$BATCH" --duration "$DURATION" --warmup "$WARMUP" --sessions "$SESSIONS" \
    --threads "$lthreads" --json >"$WORK/io$n.json") &
  LG=$!
  # The server's CPU over the measured seconds only (after the warm-up).
  sleep "$WARMUP"
  t0=$(cpu_ticks "$PID"); s0=$(date +%s.%N)
  sleep "$(( DURATION * 2 / 3 ))"
  t1=$(cpu_ticks "$PID"); s1=$(date +%s.%N)
  cut -d' ' -f1 /proc/loadavg >"$WORK/io$n.loadavg"
  wait "$LG" || log "io_threads $n: the load generator reported failures (see $WORK/io$n.json)"
  awk -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v hz="$HZ" \
    'BEGIN { printf "%.2f\n", (t1 - t0) / hz / (s1 - s0) }' >"$WORK/io$n.busy"
  echo "${scpus:-any} ${lcpus:-any}" >"$WORK/io$n.cpus"
  jq -r '"  \(.events_per_s|floor) events/s, p99 \(.p99_ms) ms, non-200 \(.non_200), io errors \(.io_errors)"' \
    "$WORK/io$n.json" >&2
  stop_pid "$PID"
  PID=
done

{
  echo
  cat "$WORK/machine.txt"
  echo
  printf '| %10s | %11s | %9s | %10s | %8s | %10s | %13s | %14s | %8s |\n' io_threads \
    'server CPUs' 'load CPUs' 'events/s' 'p99 ms' 'cores busy' 'per busy core' \
    'per server CPU' scaling
  printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..12})" \
    "$(printf -- '-%.0s' {1..13})" "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..12})" \
    "$(printf -- '-%.0s' {1..10})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..15})" \
    "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..10})"
  base=
  for n in $IO_THREADS; do
    eps=$(jq -r '.events_per_s' "$WORK/io$n.json")
    base=${base:-$eps}
    read -r scpus lcpus <"$WORK/io$n.cpus"
    busy=$(cat "$WORK/io$n.busy")
    allowed=$([[ $scpus == any ]] && echo "$CPUS" || count_cpus "$scpus")
    awk -v n="$n" -v s="$scpus" -v l="$lcpus" -v eps="$eps" -v busy="$busy" -v cpus="$allowed" \
      -v base="$base" -v p99="$(jq -r '.p99_ms' "$WORK/io$n.json")" 'BEGIN {
        printf "| %10s | %11s | %9s | %10d | %8.1f | %10.2f | %13d | %14d | %7.2fx |\n",
          n, s, l, eps, p99, busy, (busy > 0 ? eps / busy : 0), eps / cpus, eps / base }'
  done
  echo
  echo "cores busy: server CPU seconds per second over the measured part of the run"
  echo "load average at the end of each run: $(for n in $IO_THREADS; do printf 'io%s=%s ' "$n" "$(cat "$WORK/io$n.loadavg")"; done)"
  echo "raw results and server logs: $WORK"
} | tee "$WORK/summary.txt"
