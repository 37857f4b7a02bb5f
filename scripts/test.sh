#!/usr/bin/env bash
# Builds sessiondx and runs every test. SESSIONDX_SANITIZE=1 builds and runs under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc)
if [ "${SESSIONDX_SANITIZE:-0}" = "1" ]; then
  build=build-asan
  flags=(-DSESSIONDX_SANITIZE=ON -DSESSIONDX_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  build=build
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi

cmake -S . -B "$build" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
