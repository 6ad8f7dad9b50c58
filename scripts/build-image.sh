#!/usr/bin/env bash
# Builds the OCI image sfs:latest (also tagged sfs:<git describe>) from the
# binaries in $BUILD/bin and the web UI, without any container registry or
# daemon (`make image`; docs/operations.md, "Container image"):
#
#   1. the root filesystem is made by mmdebstrap from Debian bookworm
#      packages: the essential set, ca-certificates, netbase, and the
#      packages owning the shared libraries `ldd` finds in the binaries
#      (computed on every run, never listed by hand);
#   2. it is cached as $BUILD/image/rootfs-<key>.tar, the key being a hash of
#      that package list and of this recipe, so a rebuild with the same
#      libraries only re-packs (SFS_IMAGE_REFRESH=1 makes it anew, e.g. to
#      pick up Debian security updates);
#   3. umoci packs it as the first layer, and the binaries (debug info
#      stripped unless SFS_IMAGE_STRIP=0), the web UI and the entrypoint as
#      the second, into the OCI layout $BUILD/image/sfs, plus the same
#      layout as one tarball $BUILD/image/sfs.oci.tar (skopeo's oci-archive).
#
# Needs root (mmdebstrap's root mode; as another user it tries its unshare
# mode, which needs subordinate ids) and the Debian archive.
set -euo pipefail

cd "$(dirname "$0")/.."
# The image's name; deploy/k8s runs $NAME:latest (tests/deploy checks that
# with --print-ref, which prints it and exits).
NAME=sfs
if [ "${1:-}" = --print-ref ]; then
  echo "$NAME:latest"
  exit 0
fi
BUILD=${BUILD:-build}
OUT=$BUILD/image
LAYOUT=$OUT/$NAME
ARCHIVE=$OUT/sfs.oci.tar
SUITE=bookworm
SFS_UID=10001 # the user every process of the image runs as, `sfs`
BINARIES=(sfs sfs-master sfs-chunkserver sfs-frontend)
WEB=sfs-frontend/web

die() {
  echo "build-image: $*" >&2
  exit 1
}

# --- Tools ------------------------------------------------------------------
# Installed here, only when missing, rather than by scripts/install-deps.sh:
# `make test` does not need them. binutils gives objcopy.
tools=(mmdebstrap umoci binutils)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Inputs -----------------------------------------------------------------
for b in "${BINARIES[@]}"; do
  [ -x "$BUILD/bin/$b" ] || die "$BUILD/bin/$b is missing (make build)"
done
[ -f "$WEB/index.html" ] || die "$WEB/index.html is missing"
[ -f "$WEB/vendor/tus.min.js" ] || die "$WEB/vendor/tus.min.js is missing (make web-vendor)"

version=$(git describe --always --dirty 2>/dev/null || echo unknown)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# An OCI tag is [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
tag=$(printf '%s' "$version" | tr -c 'A-Za-z0-9._-' '-' | sed 's/^[.-]*//' | cut -c1-128)
[ -n "$tag" ] || tag=unknown

mkdir -p "$OUT"
work=$(mktemp -d "$OUT/.work.XXXXXX")
trap 'rm -rf "$work" "$LAYOUT.new" "$ARCHIVE.new"' EXIT

# --- The application layer's files --------------------------------------------
# Staged under $work/app as they will be in the image: copies, so a build
# running meanwhile cannot change what is measured and packed.
app=$work/app
install -d -m 0755 "$app/dev" "$app/usr/local/bin" "$app/usr/local/share/sfs"
for b in "${BINARIES[@]}"; do
  if [ "${SFS_IMAGE_STRIP:-1}" = 0 ]; then
    install -m 0755 "$BUILD/bin/$b" "$app/usr/local/bin/$b"
  else
    # Keeps the symbol table, so stack traces still name functions.
    objcopy --strip-debug "$BUILD/bin/$b" "$app/usr/local/bin/$b"
    chmod 0755 "$app/usr/local/bin/$b"
  fi
done
cp -R "$WEB" "$app/usr/local/share/sfs/web"
find "$app/usr/local/share/sfs/web" -type d -exec chmod 0755 {} +
find "$app/usr/local/share/sfs/web" -type f -exec chmod 0644 {} +

# One image, every role: the first argument picks the program. The defaults
# listed before "$@" suit a container (its own network, data under
# /var/lib/sfs); flags given after the role override them, as the last
# occurrence of an absl flag wins.
cat >"$app/usr/local/bin/sfs-entrypoint" <<'EOF'
#!/bin/sh
# sfs-entrypoint ROLE [FLAGS...]: runs one SFS program; ROLE is master,
# chunkserver, frontend or cli, FLAGS go to that program after defaults
# that a later flag of the same name overrides.
set -e
usage() {
  cat <<'USAGE'
usage: sfs-entrypoint ROLE [FLAGS...]
  master       sfs-master --listen=0.0.0.0:9000 --ops_listen=0.0.0.0:9001
                 --data=/var/lib/sfs/master FLAGS
  chunkserver  sfs-chunkserver --listen=0.0.0.0:9101 --ops_listen=0.0.0.0:9102
                 --data=/var/lib/sfs/chunks FLAGS
               (give --master, and --advertise=<address others reach>)
               Give every process --tls_dir=<its certificate, from
               sfs certs>: master and chunkserver refuse a non-loopback
               --listen without TLS unless --insecure is given, which is
               only for networks closed by other means.
  frontend     sfs-frontend --addr=:8080 --catalog=/var/lib/sfs/frontend
                 --static=/usr/local/share/sfs/web FLAGS
               (give --master, --tls_dir, and --jwt_secret_file or
               --jwt_public_key)
  cli          sfs FLAGS (e.g. cli status --master=HOST:9000)
USAGE
}
role=${1:-}
[ $# -gt 0 ] && shift
case "$role" in
  master)
    exec /usr/local/bin/sfs-master --listen=0.0.0.0:9000 \
      --ops_listen=0.0.0.0:9001 --data=/var/lib/sfs/master "$@" ;;
  chunkserver)
    exec /usr/local/bin/sfs-chunkserver --listen=0.0.0.0:9101 \
      --ops_listen=0.0.0.0:9102 --data=/var/lib/sfs/chunks "$@" ;;
  frontend)
    exec /usr/local/bin/sfs-frontend --addr=:8080 \
      --catalog=/var/lib/sfs/frontend --static=/usr/local/share/sfs/web "$@" ;;
  cli)
    exec /usr/local/bin/sfs "$@" ;;
  help | -h | --help)
    usage ;;
  *)
    [ -n "$role" ] && echo "sfs-entrypoint: unknown role '$role'" >&2
    usage >&2
    exit 2 ;;
esac
EOF
chmod 0755 "$app/usr/local/bin/sfs-entrypoint"

# --- The runtime packages -----------------------------------------------------
# Every shared library the binaries load (ldd lists the whole closure), mapped
# to the installed Debian package that ships it. With merged /usr a library
# ldd shows under /lib is registered under /usr/lib (or the reverse), and
# ldd may show a symlink whose target is what dpkg knows, so each library has
# several candidate paths; one `dpkg -S` looks them all up.
libs=$(
  for b in "${BINARIES[@]}"; do
    out=$(ldd "$app/usr/local/bin/$b") || die "ldd $b failed"
    if grep -q 'not found' <<<"$out"; then
      die "$b: $(grep 'not found' <<<"$out" | head -n1 | xargs)"
    fi
    # "libx.so.1 => /lib/.../libx.so.1 (0x…)" and "/lib64/ld-linux….so.2 (0x…)"
    awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$out"
  done | sort -u
)
candidates() { printf '%s\n' "$1" "/usr$1" "${1#/usr}" "$(readlink -f "$1")"; }
declare -A owner # path -> package
while read -r line; do
  case "$line" in diversion*) continue ;; esac
  pkg=${line%%: /*} # "libfoo1:amd64: /path" -> "libfoo1:amd64"
  pkg=${pkg%%,*}    # several owners: the first
  owner[${line#*: }]=${pkg%%:*}
done < <(
  while read -r lib; do candidates "$lib"; done <<<"$libs" | sort -u |
    xargs dpkg -S 2>/dev/null || true
)
packages=(ca-certificates netbase)
while read -r lib; do
  pkg=""
  while read -r path; do
    pkg=${owner[$path]:-}
    [ -n "$pkg" ] && break
  done < <(candidates "$lib")
  [ -n "$pkg" ] || die "no installed Debian package ships $lib"
  packages+=("$pkg")
done <<<"$libs"
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

# --- The root filesystem, cached ------------------------------------------------
# Essential packages (no apt) plus the list above. /usr merged by symlinks
# (mmdebstrap's hook: else bookworm's init-system-helpers pulls in usrmerge
# and with it perl). No documentation but copyright files, no man pages or
# translations, no /dev (the app layer adds the empty directory; a container
# runtime fills it). The user `sfs` and its home /var/lib/sfs, the working
# directory, which only it may write.
mmdebstrap_args=(
  --variant=essential
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --include="$(
    IFS=,
    echo "${packages[*]}"
  )"
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --skip=output/dev
  --customize-hook="echo 'sfs:x:$SFS_UID:$SFS_UID:SFS:/var/lib/sfs:/usr/sbin/nologin' >>\"\$1/etc/passwd\""
  --customize-hook="echo 'sfs:x:$SFS_UID:' >>\"\$1/etc/group\""
  --customize-hook="install -d -o $SFS_UID -g $SFS_UID -m 0750 \"\$1/var/lib/sfs\""
  --format=tar
)
key=$(printf '%s\n' "$SUITE" "$(mmdebstrap --version)" "${mmdebstrap_args[@]}" | sha256sum | cut -c1-16)
rootfs=$OUT/rootfs-$key.tar
printf '%s\n' "${packages[@]}" >"$work/packages"
if [ -f "$rootfs" ] && [ "${SFS_IMAGE_REFRESH:-0}" != 1 ]; then
  echo "root filesystem: $rootfs (cached, ${#packages[@]} packages)"
else
  echo "root filesystem: mmdebstrap $SUITE with ${#packages[@]} packages: ${packages[*]}"
  if ! mmdebstrap --quiet "${mmdebstrap_args[@]}" "$SUITE" "$work/rootfs.tar" \
    >"$work/mmdebstrap.log" 2>&1; then
    tail -n 40 "$work/mmdebstrap.log" >&2
    die "mmdebstrap failed (its last lines are above)"
  fi
  # Older cached trees are of other package lists: drop them.
  rm -f "$OUT"/rootfs-*.tar "$OUT"/rootfs-*.packages
  mv "$work/rootfs.tar" "$rootfs"
  cp "$work/packages" "${rootfs%.tar}.packages"
fi

# --- The OCI layout ---------------------------------------------------------
# Built beside the old one and then swapped in, so a failed build leaves the
# previous image whole. Owners in the app layer are root, numerically.
tar --create --file="$work/app.tar" --directory="$app" --sort=name \
  --owner=0 --group=0 --numeric-owner dev usr
new=$LAYOUT.new
rm -rf "$new"
umoci init --layout "$new"
umoci new --image "$new:latest"
umoci raw add-layer --image "$new:latest" \
  --history.created_by="mmdebstrap --variant=essential $SUITE (${#packages[@]} packages)" \
  --history.comment="Debian $SUITE runtime: $(tr '\n' ' ' <"$work/packages")" \
  "$rootfs"
umoci raw add-layer --image "$new:latest" \
  --history.created_by="scripts/build-image.sh" \
  --history.comment="sfs $version: /usr/local/bin/{$(
    IFS=,
    echo "${BINARIES[*]}"
  ),sfs-entrypoint}, /usr/local/share/sfs/web" \
  "$work/app.tar"
umoci config --image "$new:latest" \
  --config.user="$SFS_UID:$SFS_UID" \
  --config.entrypoint=/usr/local/bin/sfs-entrypoint \
  --config.workingdir=/var/lib/sfs \
  --config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --config.exposedports=9000/tcp --config.exposedports=9001/tcp \
  --config.exposedports=9101/tcp --config.exposedports=9102/tcp \
  --config.exposedports=8080/tcp \
  --config.stopsignal=SIGTERM \
  --config.label=org.opencontainers.image.title=$NAME \
  --config.label="org.opencontainers.image.version=$version" \
  --config.label="org.opencontainers.image.revision=$revision" \
  --manifest.annotation="org.opencontainers.image.version=$version" \
  --manifest.annotation="org.opencontainers.image.revision=$revision" \
  --history.created_by="umoci config: user $SFS_UID, entrypoint sfs-entrypoint, labels"
[ "$tag" = latest ] || umoci tag --image "$new:latest" "$tag"
umoci gc --layout "$new"
rm -rf "$LAYOUT"
mv "$new" "$LAYOUT"

# oci-archive: the layout as one tar, its index.json at the top.
tar --create --file="$ARCHIVE.new" --directory="$LAYOUT" --sort=name \
  --owner=0 --group=0 --numeric-owner oci-layout index.json blobs
mv "$ARCHIVE.new" "$ARCHIVE"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
packed=$(du -sb "$LAYOUT/blobs" | cut -f1)
unpacked=$(($(stat -c %s "$rootfs") + $(stat -c %s "$work/app.tar")))
echo "image: $NAME:latest = $NAME:$tag (revision $revision)"
echo "  layout  oci:$LAYOUT:latest  $(mib "$packed") compressed, ~$(mib "$unpacked") unpacked"
echo "  archive oci-archive:$ARCHIVE  $(mib "$(stat -c %s "$ARCHIVE")")"
