#!/usr/bin/env bash
# Installs everything sessiondx needs to build, test and benchmark on Debian 12 (bookworm).
# Idempotent: packages already present are left alone. Run as root (or with sudo available).
# SESSIONDX_SETUP_MINIMAL=1: only what building the binary needs (the Dockerfile's build stage).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build git ca-certificates
  libboost1.81-dev libboost-url1.81-dev
  libssl-dev zlib1g-dev
  libsqlite3-dev libsqlitecpp-dev sqlite3
  nlohmann-json3-dev catch2 libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libmimalloc-dev
  libicu-dev
)
minimal="${SESSIONDX_SETUP_MINIMAL:-0}"
if [ "$minimal" != "1" ]; then
  packages+=(
    python3 python3-jsonschema curl
    # scripts/fuzz.sh: libFuzzer (clang with its runtime)
    clang-14 libclang-rt-14-dev
    # sdk/: Node.js for the collector's build and the relay example, Chromium for the browser
    # test (tests/sdk), PHP for the PHP relay's test
    nodejs chromium php-cli
    # promtool, for the test that /metrics passes `promtool check metrics` (19 MB download)
    prometheus
  )
  # Debian's npm; a nodejs from elsewhere (e.g. NodeSource) ships its own and conflicts with it.
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The sdk's npm packages (pinned in sdk/package-lock.json; they run on Debian 12's Node 18).
# `npm ci` runs only when the lock file changed since the last install.
sdk_dir="$(cd "$(dirname "$0")/.." && pwd)/sdk"
if [ "$minimal" != "1" ] && [ -f "$sdk_dir/package-lock.json" ]; then
  stamp="$sdk_dir/node_modules/.sessiondx-lock.sha256"
  want=$(sha256sum "$sdk_dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$sdk_dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
fi
echo "setup: all build dependencies present"
