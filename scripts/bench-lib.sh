# Shared pieces of the benchmark scripts (sourced, not run): logging, CPU pinning, building the
# Release binaries, starting and stopping a server, the machine description. The sourcing
# script sets BENCH_NAME (log prefix), ROOT and BUILD first.

log() { printf '[%s %s] %s\n' "${BENCH_NAME:-bench}" "$(date +%H:%M:%S)" "$*" >&2; }

pin() {  # $1 = CPU list (may be empty), rest = command; replaces the (sub)shell it runs in
  local cpus=$1; shift
  if [[ -n $cpus ]]; then exec taskset -c "$cpus" "$@"; else exec "$@"; fi
}

build_release() {  # targets...: a Release build without the tests, unless BENCH_SKIP_BUILD=1
  if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    log "building (Release) in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSESSIONDX_TESTS=OFF \
      -DSESSIONDX_BENCH=ON >/dev/null
    cmake --build "$BUILD" --target "$@" -j"$(nproc)"
  fi
}

wait_for() {  # $1 = pid, $2 = log file, $3 = pattern: until the server logs it (60 s at most)
  local waited=0
  until grep -q "$3" "$2"; do
    kill -0 "$1" 2>/dev/null || { echo "${BENCH_NAME:-bench}: server exited:" >&2; cat "$2" >&2; exit 1; }
    (( waited++ < 600 )) || { echo "${BENCH_NAME:-bench}: server not up after 60 s" >&2; exit 1; }
    sleep 0.1
  done
}

stop_pid() {  # $1 = pid: SIGTERM, 30 s to stop cleanly, then SIGKILL
  kill -TERM "$1"
  local waited=0
  while kill -0 "$1" 2>/dev/null && (( waited++ < 300 )); do sleep 0.1; done
  kill -0 "$1" 2>/dev/null && kill -KILL "$1"
  wait "$1" 2>/dev/null || true
}

cpu_ticks() {  # $1 = pid: utime + stime of the whole process, in clock ticks
  sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

machine_info() {  # the lines every summary starts with
  echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine:  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "software: $(c++ --version | head -1); $(uname -r)"
  echo "load before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
}
