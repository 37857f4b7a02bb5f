#!/usr/bin/env bash
# Before/after cost of a diagnosis in instructions (deterministic, unlike wall time on a loaded
# machine): runs two builds of sessiondx-diagnose-bench under `valgrind --tool=callgrind`, counting
# only what happens inside bot::diagnoser::diagnose (store reads, blast radius, rules), on copies
# of one store, for the typical sessions (100-500 events) and the 10,000-event session.
#
#   scripts/bench-diagnose-callgrind.sh OLD_BENCH_BINARY NEW_BENCH_BINARY
#
# Build the old one from a worktree of the base commit, only the bench target:
#   git worktree add /tmp/base <commit> && cmake -S /tmp/base -B /tmp/base/build -G Ninja \
#     -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSESSIONDX_TESTS=OFF &&
#   cmake --build /tmp/base/build --target sessiondx-diagnose-bench
# Settings (environment): CG_WORK_DIR (/tmp/sessiondx-cg), CG_TYPICAL_RUNS (16), CG_BIG_RUNS (4),
# CG_ESTABLISHED=1 to move every app version's first sighting 2 days back (versions no longer
# new in the window, as on a site between releases).
set -euo pipefail

OLD=${1:?old sessiondx-diagnose-bench binary}
NEW=${2:?new sessiondx-diagnose-bench binary}
WORK=${CG_WORK_DIR:-/tmp/sessiondx-cg}
TYPICAL_RUNS=${CG_TYPICAL_RUNS:-16}
BIG_RUNS=${CG_BIG_RUNS:-4}

mkdir -p "$WORK"
rm -f "$WORK"/seed.db* "$WORK"/*.db "$WORK"/cg.*
# One store for both: the sessions are added once (by the new build's parser), then copied.
"$NEW" --db "$WORK/seed.db" --tag cg --setup-only >/dev/null 2>&1
if [ "${CG_ESTABLISHED:-0}" = 1 ]; then
  sqlite3 "$WORK/seed.db" "UPDATE app_versions SET first_seen = first_seen - 2 * 86400000"
fi

total_ir() {  # the "PROGRAM TOTALS" line of a callgrind output: only diagnose() was collected
  callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

printf '%-8s %-8s %16s %16s\n' group build "Ir total" "Ir / diagnosis"
for group in typical big; do
  runs=$TYPICAL_RUNS
  [ "$group" = big ] && runs=$BIG_RUNS
  for build in old new; do
    bin=$OLD
    [ "$build" = new ] && bin=$NEW
    cp "$WORK/seed.db" "$WORK/$build.$group.db"
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$build.$group" \
      --toggle-collect='sessiondx::bot::diagnoser::diagnose*' \
      "$bin" --db "$WORK/$build.$group.db" --tag cg --groups "$group" --warmup 0 \
      --iterations "$runs" --no-phases --max-seconds 3600 >"$WORK/out.$build.$group" 2>&1
    ir=$(total_ir "$WORK/cg.$build.$group")
    printf '%-8s %-8s %16s %16s\n' "$group" "$build" "$ir" "$((ir / runs))"
  done
done
echo "(callgrind_annotate --inclusive=yes $WORK/cg.<build>.<group> splits it by function)"
