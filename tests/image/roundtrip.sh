#!/usr/bin/env bash
# The image's round trip (`make image-test`): unpacks $BUILD/image/sfs:latest
# and, with no container runtime here, runs its programs in a chroot of that
# root filesystem as the image's user (uid 10001) through its entrypoint:
# one sfs-master, three sfs-chunkservers and one sfs-frontend on loopback
# ports. A random file goes in and out through the CLI of the image and over
# HTTP through the frontend, compared by SHA-256; /healthz, the web UI, the
# processes' uid and the image's labels are checked too.
#
# Needs root (chroot, mounts). Everything it starts is stopped and /proc and
# /dev are unmounted on any exit. A failure is one line on stderr and exit
# status 1; the processes' logs are then kept in $BUILD/image/roundtrip-logs.
set -eEuo pipefail

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LAYOUT=$BUILD/image/sfs
KEPT_LOGS=$BUILD/image/roundtrip-logs
SFS_UID=10001
SIZE=$((6 * 1024 * 1024 + 12345)) # a few MiB, not a round number

tmp=""
root=""
pids=()
names=()
reason=""

fail() {
  reason=$*
  exit 1
}

# Stops what was started (TERM, then KILL after 10 s), unmounts, and removes
# the unpacked image only when nothing is mounted under it any more.
cleanup() {
  local rc=$? i pid deadline kept=""
  trap - ERR
  set +e
  for i in "${!pids[@]}"; do kill -TERM "${pids[$i]}" 2>/dev/null; done
  deadline=$((SECONDS + 10))
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null
      [ $rc -eq 0 ] && rc=1 && reason="${names[$i]} did not stop on SIGTERM within 10 s"
    fi
    wait "$pid" 2>/dev/null
  done
  if [ -n "$root" ]; then
    for m in "$root/dev" "$root/proc"; do
      mountpoint -q "$m" && { umount "$m" || umount -l "$m"; }
    done
  fi
  rm -rf "$KEPT_LOGS"
  if [ $rc -ne 0 ] && [ -d "$tmp/logs" ]; then
    cp -r "$tmp/logs" "$KEPT_LOGS" && kept=1
  fi
  if [ -n "$tmp" ]; then
    if grep -q " $tmp/" /proc/self/mounts; then
      echo "image round trip: $tmp still has mounts; not removing it" >&2
      [ $rc -eq 0 ] && rc=1 && reason="could not unmount under $tmp"
    else
      rm -rf --one-file-system "$tmp"
    fi
  fi
  if [ $rc -eq 0 ]; then
    echo "image round trip: 1 passed, 0 failed"
  else
    [ -n "$reason" ] || reason="exit status $rc"
    [ -n "$kept" ] && reason="$reason (logs: $KEPT_LOGS)"
    echo "image round trip: 0 passed, 1 failed: $reason" >&2
  fi
  exit $rc
}
trap cleanup EXIT
trap 'reason="interrupted"; exit 130' INT TERM
# A command failing outside an `if` or `||`: name it as the reason.
trap 'fail "line $LINENO: \`$BASH_COMMAND\` failed"' ERR

[ "$(id -u)" -eq 0 ] || fail "needs root (chroot and mounts)"
[ -f "$LAYOUT/index.json" ] || fail "no image at $LAYOUT (make image)"
for tool in umoci curl python3 sha256sum chroot mount mountpoint; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done

# --- The image's configuration ------------------------------------------------
# User, entrypoint and labels from the config JSON; the version label must
# be one of the layout's tags and `git describe` of the revision label's
# commit (with -dirty when the tree was dirty at build time).
config_check=$(
  LAYOUT=$LAYOUT python3 - <<'EOF'
import json, os
layout = os.environ["LAYOUT"]
def blob(digest):
    with open(os.path.join(layout, "blobs", *digest.split(":"))) as f:
        return json.load(f)
index = json.load(open(os.path.join(layout, "index.json")))
tags = {m["annotations"].get("org.opencontainers.image.ref.name"): m["digest"]
        for m in index["manifests"]}
if "latest" not in tags:
    raise SystemExit("no tag latest")
config = blob(blob(tags["latest"])["config"]["digest"])["config"]
labels = config.get("Labels") or {}
version = labels.get("org.opencontainers.image.version", "")
revision = labels.get("org.opencontainers.image.revision", "")
if tags.get(version) != tags["latest"]:
    raise SystemExit(f"version label {version!r} is not a tag of the image")
if config.get("User") != "10001:10001":
    raise SystemExit(f"User is {config.get('User')!r}, not 10001:10001")
if config.get("Entrypoint") != ["/usr/local/bin/sfs-entrypoint"]:
    raise SystemExit(f"Entrypoint is {config.get('Entrypoint')!r}")
print(version, revision)
EOF
) || fail "image config: $config_check"
read -r version revision <<<"$config_check"
if head=$(git rev-parse HEAD 2>/dev/null); then
  [ "$revision" = "$head" ] || fail "revision label $revision is not HEAD $head (make image)"
  described=$(git describe --always "$revision")
  [ "$version" = "$described" ] || [ "$version" = "$described-dirty" ] ||
    fail "version label $version is not git describe $described"
fi

# --- Unpack and mount -------------------------------------------------------------
tmp=$(mktemp -d /tmp/sfs-image-test.XXXXXX)
mkdir "$tmp/logs"
umoci unpack --image "$LAYOUT:latest" "$tmp/bundle" >"$tmp/logs/umoci-unpack.log" 2>&1 ||
  fail "umoci unpack failed: $(tail -n1 "$tmp/logs/umoci-unpack.log")"
root=$tmp/bundle/rootfs
[ "$(stat -c %u "$root/var/lib/sfs")" = "$SFS_UID" ] || fail "/var/lib/sfs is not owned by $SFS_UID"
mkdir -p "$root/proc" "$root/dev"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"

# A command of the image as its user, with a container's small environment.
in_image=(chroot --userspec="$SFS_UID:$SFS_UID" "$root" /usr/bin/env -i
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  HOME=/var/lib/sfs)
in_image() { "${in_image[@]}" "$@"; }
# start NAME ROLE FLAGS...: a server in the background, its log in
# logs/NAME.log. A simple command, so $! is the process that chroot, env and
# the entrypoint exec into: the server itself.
start() {
  local name=$1
  shift
  "${in_image[@]}" /usr/local/bin/sfs-entrypoint "$@" >"$tmp/logs/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
}
# Fails when a started server has exited, quoting its last log line.
check_alive() {
  local i
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null ||
      fail "${names[$i]} exited: $(tail -n1 "$tmp/logs/${names[$i]}.log")"
  done
}
# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
  local what=$1 limit=$2 deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    check_alive
    [ $SECONDS -lt $deadline ] || fail "$what: not within ${limit}s"
    sleep 0.2
  done
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- The cluster ------------------------------------------------------------------
# Five consecutive loopback ports nobody listens on (tests of the source
# tree may be running beside this one).
for _ in $(seq 50); do
  base=$((20000 + RANDOM % 30000))
  free=1
  for p in $(seq "$base" $((base + 4))); do port_open "$p" && free=0; done
  [ "$free" = 1 ] && break
done
[ "$free" = 1 ] || fail "found no five free loopback ports"
master=127.0.0.1:$base
http=http://127.0.0.1:$((base + 4))

# The frontend's HS256 secret, readable by the image's user only.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$root/var/lib/sfs/jwt.secret"
chown "$SFS_UID:$SFS_UID" "$root/var/lib/sfs/jwt.secret"
chmod 0600 "$root/var/lib/sfs/jwt.secret"

# The entrypoint's defaults (data under /var/lib/sfs, web UI) stay; the
# listen addresses are overridden to loopback.
start master master --listen="$master"
wait_for "master port" 30 port_open "$base"
for i in 1 2 3; do
  start "cs$i" chunkserver --listen="127.0.0.1:$((base + i))" --master="$master" \
    --data="/var/lib/sfs/cs$i" --id="cs$i" --rack="rack$i" --heartbeat=1s
done
start frontend frontend --addr="127.0.0.1:$((base + 4))" --master="$master" \
  --jwt_secret_file=/var/lib/sfs/jwt.secret --drain_timeout=2s

cluster_ready() {
  in_image sfs-entrypoint cli status --json --master="$master" | python3 -c '
import json, sys
s = json.load(sys.stdin)
alive = [c for c in s["chunkservers"] if c["alive"] and not c["disk_failed"]]
sys.exit(0 if len(alive) == 3 and not s["safe_mode"] else 1)'
}
wait_for "3 live chunkservers, safe mode over" 60 cluster_ready
wait_for "frontend /readyz" 60 curl -fsS "$http/readyz"

# Every server runs as the image's user.
for i in "${!pids[@]}"; do
  uid=$(awk '/^Uid:/ {print $2}' "/proc/${pids[$i]}/status")
  [ "$uid" = "$SFS_UID" ] || fail "${names[$i]} runs as uid $uid, not $SFS_UID"
done

# --- Round trips ---------------------------------------------------------------
head -c "$SIZE" /dev/urandom >"$root/tmp/in.bin"
chmod 0644 "$root/tmp/in.bin"
want=$(sha256sum <"$root/tmp/in.bin" | cut -d' ' -f1)

# 1. The CLI in the image, straight to the master.
put=$(in_image sfs-entrypoint cli put --master="$master" /tmp/in.bin /roundtrip/cli.bin 2>&1) ||
  fail "sfs put: $put"
[[ "$put" == *"$want"* ]] || fail "sfs put reported another SHA-256: $put"
out=$(in_image sfs-entrypoint cli get --master="$master" /roundtrip/cli.bin /tmp/cli.out 2>&1) ||
  fail "sfs get: $out"
got=$(sha256sum <"$root/tmp/cli.out" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "sfs get returned SHA-256 $got, put $want"

# 2. HTTP through the frontend, as a user with a session JWT minted by the
# image's CLI from the frontend's secret.
token=$(in_image sfs-entrypoint cli token --user=alice --data=/var/lib/sfs 2>&1) ||
  fail "sfs token: $token"
# request EXPECTED_STATUS CURL_ARGS...: the body goes to $tmp/body.
request() {
  local want_status=$1 status
  shift
  status=$(curl -sS -o "$tmp/body" -w '%{http_code}' "$@") || fail "curl $*: no answer"
  [ "$status" = "$want_status" ] ||
    fail "${*: -1}: HTTP $status, not $want_status: $(head -c 200 "$tmp/body")"
}
request 200 "$http/healthz"
grep -q '"ok"' "$tmp/body" || fail "/healthz said $(head -c 200 "$tmp/body")"
request 200 "$http/"
grep -q 'vendor/tus.min.js' "$tmp/body" || fail "/ is not the web UI's index.html"
request 200 "$http/vendor/tus.min.js"
auth=(-H "Authorization: Bearer $token")
request 201 "${auth[@]}" -X POST -H 'Content-Type: application/json' \
  --data '{"name":"roundtrip"}' "$http/storage/namespaces"
request 201 "${auth[@]}" -X PUT -H 'Content-Type: application/octet-stream' \
  -H "X-Content-SHA256: $want" --data-binary "@$root/tmp/in.bin" \
  "$http/storage/roundtrip/http.bin"
request 200 "${auth[@]}" "$http/storage/roundtrip/http.bin"
got=$(sha256sum <"$tmp/body" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "HTTP GET returned SHA-256 $got, PUT $want"

# 3. The file uploaded over HTTP, seen by the CLI's stat: same content.
stat=$(in_image sfs-entrypoint cli stat --json --master="$master" /roundtrip/http.bin 2>&1) ||
  fail "sfs stat: $stat"
[[ "$stat" == *"\"$want\""* ]] || fail "sfs stat of the HTTP upload: $stat"

check_alive
