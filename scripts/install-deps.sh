#!/usr/bin/env bash
# Installs the Debian packages SFS builds and tests with, skipping those present.
# Needs root (CI and the dev machines run as root) or sudo.
set -euo pipefail
packages=(
  build-essential cmake pkg-config ccache clang-format
  clang
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librocksdb-dev libssl-dev libsodium-dev libpq-dev
  libcpp-httplib-dev libgtest-dev libgmock-dev nlohmann-json3-dev
  prometheus-cpp-dev haproxy python3-yaml
  postgresql curl procps python3
  chromium
)
# The browser test (tests/browser) runs on Node.js with npm. A machine may have
# them from another repository than Debian's (whose npm would not fit that
# Node.js), so Debian's are installed only where they are missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
