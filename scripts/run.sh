#!/usr/bin/env bash
# Builds sessiondx and runs it in the foreground with its embedded defaults
# (webhook on 127.0.0.1:8080, database ./sessiondx.db). Extra arguments go to `sessiondx`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target sessiondx
exec ./build/app/sessiondx "$@"
