#!/usr/bin/env bash
# `make bench`: installs the benchmark tools, builds the binaries the bench
# needs (only those targets, in $BUILD), and runs bench/bench.py, which
# starts its own cluster and prints the table. Arguments go to bench.py,
# e.g. `bench/run.sh --users 50 --only 5-users`; `--help` lists them.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD="${BUILD:-build}"
JOBS="${JOBS:-$(nproc)}"

# The tools the baselines and charts use: Debian packages, installed only
# when missing (as scripts/install-deps.sh does for the build).
install_bench_tools() {
  local missing=()
  for p in gnuplot-nox nginx-light wrk curl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

scripts/install-deps.sh
install_bench_tools
# The build type `make build` uses, so the two never rebuild each other's tree.
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target \
  sfs sfs-master sfs-chunkserver sfs-frontend sfs-bench-metadata sfs-bench-rocksdb

# The Debian system python: the driver uses only its standard library.
exec /usr/bin/python3 bench/bench.py --bin-dir "$(realpath "$BUILD/bin")" "$@"
