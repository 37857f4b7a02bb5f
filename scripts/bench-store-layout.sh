#!/usr/bin/env bash
# Store layout before/after (docs/performance.md, "Store layout (schema 5)"): two builds of
# bench/ceiling, the raw-store ceiling (no HTTP), in one run on the same machine.
#   1. each prefills its own store with PREFILL events (the store "already holding" events);
#   2. callgrind: instructions of writer_connection::commit per committed event, one producer
#      appending batches of 100 (4 in flight) to a copy of that store for CG_SECONDS;
#   3. events/s, batches of 100, 2 producers, ROUNDS alternating rounds of SECONDS each, on an
#      empty store and on a copy of the prefilled one.
#
#   scripts/bench-store-layout.sh BEFORE_CEILING AFTER_CEILING
#   env: PREFILL=1000000 PREFILL_SESSIONS=100000 SECONDS_PER_RUN=10 ROUNDS=2 CG_SECONDS=10
# Put the working directory on tmpfs (TMPDIR=/dev/shm) to keep a shared disk out of it.
set -euo pipefail
before=$(realpath "$1")
after=$(realpath "$2")
prefill=${PREFILL:-1000000}
prefill_sessions=${PREFILL_SESSIONS:-100000}
seconds=${SECONDS_PER_RUN:-10}
rounds=${ROUNDS:-2}
cg_seconds=${CG_SECONDS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load at start: $(uptime)"
for v in before after; do
  bin=${!v}
  "$bin" --db "$work/$v.db" --prefill "$prefill" --prefill-sessions "$prefill_sessions" \
    --json >"$work/$v.prefill.json"
  echo "$v prefill: $(cat "$work/$v.prefill.json")"
  echo "$v file: $(du -m "$work/$v.db" | cut -f1) MiB for $prefill events"
done

for v in before after; do
  bin=${!v}
  cp "$work/$v.db" "$work/$v.cg.db"
  valgrind --tool=callgrind --callgrind-out-file="$work/$v.cg" \
    --toggle-collect='*writer_connection::commit*' \
    "$bin" --db "$work/$v.cg.db" -p 1 -b 100 --in-flight 4 --duration "$cg_seconds" \
    --warmup 0 --session-seed 1 --sessions "$prefill_sessions" --json >"$work/$v.cg.json" 2>"$work/$v.cg.log"
  ir=$(callgrind_annotate "$work/$v.cg" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
  # Events stored during the run: the file's events minus the prefill's.
  stored=$(($(sqlite3 "$work/$v.cg.db" 'SELECT count(*) FROM events') - prefill))
  echo "$v callgrind: $ir instructions in commit() for $stored events: $((ir / stored)) per event"
done

for store in empty prefilled; do
  for r in $(seq 1 "$rounds"); do
    for v in before after; do
      bin=${!v}
      rm -f "$work/run.db" "$work/run.db-wal" "$work/run.db-shm"
      [ "$store" = prefilled ] && cp "$work/$v.db" "$work/run.db"
      out=$("$bin" --db "$work/run.db" -p 2 -b 100 --in-flight 4 --duration "$seconds" \
        --warmup 2 --session-seed 1 --sessions "$prefill_sessions" --json)
      eps=$(sed -n 's/.*"events_per_s":\([0-9.]*\).*/\1/p' <<<"$out")
      echo "$store round $r $v: $eps events/s  $(uptime | sed 's/.*load/load/')  $out"
    done
  done
done
echo "load at end: $(uptime)"
