#!/bin/bash
# Proves the README's commands on a brand-new Debian 12 machine: builds a
# minimal bookworm root with mmdebstrap (once; kept as a tarball), restores it
# clean, clones this repository's committed HEAD into it (../shared beside it
# when present) and runs a command there as root, as CI does.
#
# Usage (as root, from anywhere):
#   scripts/fresh-debian12-check.sh [--root DIR] [--keep] [--ref REF] [CMD...]
#
#   CMD          default: make test
#   --root DIR   where the root lives (default /var/tmp/sfs-fresh-root;
#                the pristine copy is DIR.tar)
#   --keep       reuse the root and clone of the previous run (no reset)
#   --ref REF    check out REF instead of HEAD
#
# The root has what a bare cloud machine has (ca-certificates, sudo, git,
# make) and the host's apt sources; everything else must come from the
# repository's own install steps. It shares the host's network namespace, so
# tests use loopback ports as on the host. On exit every process left in the
# root is killed and its mounts are undone.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SHARED="$REPO/../shared"
ROOT=/var/tmp/sfs-fresh-root
RESET=1
KEEP=0
REF=
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1; RESET=0; shift ;;
    --root) ROOT=$2; shift 2 ;;
    --ref) REF=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
CMD="${*:-make test}"
ROOT=$(readlink -m "$ROOT")
TARBALL="$ROOT.tar"
[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
[ "$ROOT" != / ] || { echo "refusing ROOT=/" >&2; exit 1; }
is_mounted() { mountpoint -q "$1"; }
mounts_under_root() { awk -v r="$ROOT" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts; }

kill_root_procs() {
  local pids=() p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null || true)" = "$ROOT" ] && pids+=("${p#/proc/}")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  echo "[fresh-root] killing leftover processes in root: ${pids[*]}" >&2
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.5
    local alive=()
    for p in "${pids[@]}"; do [ -d "/proc/$p" ] && alive+=("$p"); done
    [ ${#alive[@]} -gt 0 ] || return 0
  done
  kill -KILL "${alive[@]}" 2>/dev/null || true
  sleep 0.5
}

umount_all() {
  local m
  # deepest first
  for m in $(mounts_under_root | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-); do
    umount "$m" 2>/dev/null || umount -l "$m" || echo "[fresh-root] WARNING: could not unmount $m" >&2
  done
}

cleanup() {
  local rc=$?
  set +e
  kill_root_procs
  umount_all
  exit $rc
}

do_mounts() {
  is_mounted "$ROOT/proc"    || mount -t proc proc "$ROOT/proc"
  is_mounted "$ROOT/sys"     || mount -t sysfs sysfs "$ROOT/sys"
  is_mounted "$ROOT/dev"     || mount --bind /dev "$ROOT/dev"
  is_mounted "$ROOT/dev/pts" || mount --bind /dev/pts "$ROOT/dev/pts"
  mkdir -p "$ROOT/dev/shm"
  is_mounted "$ROOT/dev/shm" || mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm"
}

# The pristine root, made once: minbase plus what a bare machine has.
if [ ! -f "$TARBALL" ]; then
  command -v mmdebstrap >/dev/null || {
    apt-get update -qq && apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
  }
  sources=
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    if [ -s "$f" ]; then sources=$f; break; fi
  done
  build="$ROOT.new"
  rm -rf --one-file-system "$build"
  mmdebstrap --mode=root --variant=minbase --include=ca-certificates,sudo,git,make \
    --aptopt='Acquire::Check-Valid-Until "false"' bookworm "$build" "$sources"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n' \
    "$(hostname)" > "$build/etc/hosts"
  tar --numeric-owner --xattrs --xattrs-include='*' --acls -cpf "$TARBALL" -C "$build" .
  rm -rf --one-file-system "$build"
fi

if [ "$RESET" = 1 ]; then
  [ -f "$TARBALL" ] || { echo "no pristine tarball $TARBALL" >&2; exit 1; }
  kill_root_procs
  umount_all
  if [ -n "$(mounts_under_root)" ]; then
    echo "still mounted under $ROOT, refusing to delete:" >&2; mounts_under_root >&2; exit 1
  fi
  t0=$(date +%s)
  rm -rf --one-file-system "$ROOT"
  mkdir -p "$ROOT"
  tar --numeric-owner --xattrs --xattrs-include='*' --acls -xpf "$TARBALL" -C "$ROOT"
  echo "[fresh-root] restored $ROOT from $TARBALL in $(( $(date +%s) - t0 ))s" >&2
fi
[ -x "$ROOT/bin/bash" ] || { echo "$ROOT is not a root filesystem (use --reset?)" >&2; exit 1; }

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# This machine's network setup, as any machine here has it: DNS, and the
# extra certificate authorities its package registries are reached through
# (added to the system bundle, which NODE_EXTRA_CA_CERTS then names).
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"; chmod 644 "$ROOT/etc/resolv.conf"
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp -L /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  chroot "$ROOT" update-ca-certificates >/dev/null 2>&1 || true
fi

mkdir -p "$ROOT/work"
if [ "$KEEP" = 1 ] && [ -d "$ROOT/work/main/.git" ]; then
  echo "[fresh-root] --keep: reusing $ROOT/work/main" >&2
else
  rm -rf --one-file-system "$ROOT/work/main"
  git -c safe.directory='*' clone -q --no-hardlinks "$REPO" "$ROOT/work/main"
  if [ -n "$REF" ]; then git -C "$ROOT/work/main" checkout -q "$REF"; fi
  echo "[fresh-root] cloned $REPO @ $(git -C "$ROOT/work/main" rev-parse --short HEAD) -> $ROOT/work/main" >&2
  if [ -n "$(git -c safe.directory='*' -C "$REPO" status --porcelain 2>/dev/null)" ]; then
    echo "[fresh-root] NOTE: $REPO has uncommitted changes; they are NOT in the clone" >&2
  fi
fi
rm -rf --one-file-system "$ROOT/work/shared"
if [ -d "$SHARED" ]; then cp -a "$SHARED" "$ROOT/work/shared"; fi

do_mounts

echo "[fresh-root] running as root in $ROOT: cd /work/main && $CMD" >&2
start=$(date +%s.%N)
set +e
env --default-signal=INT,QUIT -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM="${TERM:-dumb}" LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  CI=true DEBIAN_FRONTEND=noninteractive NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  chroot "$ROOT" /bin/bash -lc "cd /work/main && $CMD" <&0 &
child=$!
# wait in the background so that a TERM/INT to this script runs the cleanup trap at once
# (--default-signal: bash makes async children ignore INT/QUIT; tests must see them as usual)
wait "$child"
rc=$?
set -e
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
echo "[fresh-root] exit code $rc, wall time ${secs}s ($(awk -v s="$secs" 'BEGIN{printf "%dm%02ds", s/60, s%60}'))" >&2
exit $rc
