#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 20)] [TARGET...]
# Fails on any crash, leak, timeout or sanitizer report. Seeds: tests/fuzz/corpus/<target>/;
# new inputs go to build-fuzz/corpus/<target>/ (the seeds in the repository are not modified).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_event_parser fuzz_signature fuzz_gzip fuzz_scrub fuzz_commands)
fi
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSESSIONDX_FUZZ=ON -DSESSIONDX_TESTS=OFF -DSESSIONDX_BENCH=OFF -DSESSIONDX_MIMALLOC=OFF
fi
cmake --build "$build" --target "${targets[@]}" -j"${FUZZ_JOBS:-2}"

status=0
for target in "${targets[@]}"; do
  work="$build/corpus/$target"
  mkdir -p "$work" "$build/artifacts/$target"
  log="$build/$target.log"
  echo "== $target: ${seconds}s"
  if ! "$build/fuzz/$target" "$work" "tests/fuzz/corpus/$target" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$build/artifacts/$target/" >"$log" 2>&1; then
    echo "!! $target failed; see $log and $build/artifacts/$target/"
    tail -n 40 "$log"
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "   executions: $execs"
done
exit $status
