#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a bounded time.
# Usage: scripts/fuzz.sh [--ci | SECONDS_PER_TARGET (default 20)] [TARGET...]
#   --ci: 30 s per target, every target (what .ci/run does; about 5 min in all plus the build).
# Fails on any crash, leak, timeout, out-of-memory or sanitizer report. Seeds:
# tests/fuzz/corpus/<target>/; new inputs go to build-fuzz/corpus/<target>/ (the seeds in the
# repository are not modified). Prints the executions of each target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
case "${1:-}" in
  --ci) seconds=30; shift ;;
  ''|-*) ;;
  *) seconds="$1"; shift ;;
esac
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_event_parser fuzz_signature fuzz_gzip fuzz_scrub fuzz_commands
           fuzz_slack_frames fuzz_discord_gateway fuzz_mattermost_events)
fi
build="${FUZZ_BUILD_DIR:-build-fuzz}"
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSESSIONDX_FUZZ=ON -DSESSIONDX_TESTS=OFF -DSESSIONDX_BENCH=OFF -DSESSIONDX_MIMALLOC=OFF \
    >/dev/null
fi
cmake --build "$build" --target "${targets[@]}" -j"${FUZZ_JOBS:-2}"

status=0
for target in "${targets[@]}"; do
  work="$build/corpus/$target"
  mkdir -p "$work" "$build/artifacts/$target"
  log="$build/$target.log"
  echo "== $target: ${seconds}s"
  # Leaks are reported by ASan's LeakSanitizer at exit (-detect_leaks=1 is libFuzzer's default).
  if ! "$build/fuzz/$target" "$work" "tests/fuzz/corpus/$target" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -max_len=65536 -detect_leaks=1 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$target/" >"$log" 2>&1; then
    echo "!! $target failed; see $log and $build/artifacts/$target/"
    tail -n 40 "$log"
    status=1
  elif grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer\|UndefinedBehaviorSanitizer\)\|runtime error:' "$log"; then
    # A sanitizer report that did not stop the run (UBSan without halt_on_error) still fails.
    echo "!! $target: sanitizer report in $log"
    grep -m5 'ERROR:\|runtime error:' "$log"
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "   executions: $execs"
done
exit $status
