#!/usr/bin/env bash
# Installs everything sessiondx needs to build, test and benchmark on Debian 12 (bookworm).
# Idempotent: packages already present are left alone. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build git ca-certificates
  libboost1.81-dev libboost-url1.81-dev
  libssl-dev zlib1g-dev
  libsqlite3-dev libsqlitecpp-dev sqlite3
  nlohmann-json3-dev catch2 libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libmimalloc-dev
  libicu-dev
  python3 python3-jsonschema curl
  # scripts/fuzz.sh: libFuzzer (clang with its runtime)
  clang-14 libclang-rt-14-dev
)

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
echo "setup: all build dependencies present"
