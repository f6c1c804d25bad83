#!/usr/bin/env bash
# Installs CPython 3.14 and 3.15 for the tests, once per machine, into ~/.cache/ct-pythons.
# Debian bookworm has neither; Debian's next release ("forky") ships both, and its binary packages
# run here unpacked: apt downloads them through a private sources file, lists and cache (the
# system's own apt state is never touched), `dpkg -x` unpacks them into one root per version,
# and patchelf points the interpreter at that root's own glibc and libraries.
# Each root also holds the headers (Python.h, pyconfig.h: for building C extensions) and
# CPython's own test suite (Lib/test).
# Result: $CACHE/bin/python3.14 and $CACHE/bin/python3.15 (symlinks: sys.executable, -c, -m and
# multiprocessing's spawn/forkserver children all work through them). Prints one line per
# interpreter (PYTHON3_14=…) on its last lines.
# Usage: test/pythons/setup.sh [--refresh] [VERSION…]   (default versions: 3.14 3.15)
set -euo pipefail

CACHE="${CT_PYTHONS_CACHE:-$HOME/.cache/ct-pythons}"
SUITE="${CT_PYTHONS_SUITE:-forky}"
ARCH="$(dpkg --print-architecture)"
# Bumped when the way a root is made changes: older roots are made again.
RECIPE=2
refresh=0
versions=()
for a in "$@"; do
  case "$a" in
    --refresh) refresh=1 ;;
    3.*) versions+=("$a") ;;
    *) echo "usage: $0 [--refresh] [3.14 3.15 …]" >&2; exit 2 ;;
  esac
done
[ ${#versions[@]} -gt 0 ] || versions=(3.14 3.15)
HERE="$(cd "$(dirname "$0")" && pwd)"
# Replaces a symlink in one step: other runs may be using it right now.
link() {
  [ "$(readlink "$2" 2>/dev/null)" = "$1" ] && return
  ln -sfn "$1" "$2.new.$$" && mv -Tf "$2.new.$$" "$2"
}
log() { echo "[pythons:setup] $*" >&2; }

umask 077
mkdir -p "$CACHE" "$CACHE/bin"
chmod 700 "$CACHE"
# One setup at a time per cache (parallel test runs may all call this script).
exec 9>"$CACHE/.lock"
flock 9

case "$ARCH" in
  amd64) TRIPLET=x86_64-linux-gnu; LDSO=ld-linux-x86-64.so.2 ;;
  arm64) TRIPLET=aarch64-linux-gnu; LDSO=ld-linux-aarch64.so.1 ;;
  *) log "unsupported architecture $ARCH"; exit 1 ;;
esac

# Checks that an interpreter runs with what the tests use (check_python.py); prints its version.
# From the cache folder: a `test/` package in the caller's folder would shadow CPython's.
check() { (cd "$CACHE" && "$1" "$HERE/check_python.py" "$2"); }

# The mirror the system itself uses (deb822 sources first, then the one-line format).
mirror="${CT_PYTHONS_MIRROR:-}"
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    mirror="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")"
    [ -n "$mirror" ] && break
  done
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }' /etc/apt/sources.list)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

APT="$CACHE/apt"
apt_opts=(
  -o "Dir::Etc::SourceList=$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  -o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH"
  -o Acquire::Languages=none -o quiet=1
)
apt_updated=0
apt_update() {
  [ $apt_updated = 1 ] && return
  mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
  echo "deb $mirror $SUITE main" > "$APT/sources.list"
  log "apt update ($mirror $SUITE, private lists in $APT)"
  apt-get "${apt_opts[@]}" update >"$APT/update.log" 2>&1 || { cat "$APT/update.log" >&2; log "apt update failed"; exit 1; }
  apt_updated=1
}

if ! command -v patchelf >/dev/null; then
  log "apt-get install patchelf"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patchelf; } >"$CACHE/patchelf.log" 2>&1 \
    || { cat "$CACHE/patchelf.log" >&2; log "installing patchelf failed"; exit 1; }
fi

for v in "${versions[@]}"; do
  dir="$CACHE/$v"
  root="$dir/root"
  py="$root/usr/bin/python$v"
  if [ $refresh = 0 ] && [ "$(cat "$dir/.complete" 2>/dev/null)" = "$RECIPE" ] && "$py" -S -c '' 2>/dev/null; then
    link "$py" "$CACHE/bin/python$v"
    continue
  fi
  apt_update
  pkgs=(
    "python$v-minimal" "libpython$v-minimal" "libpython$v-stdlib" "python$v" "libpython$v"
    "python$v-dev" "libpython$v-dev" "libpython$v-testsuite"
    libc6 libexpat1 zlib1g libssl3t64 libffi8 libbz2-1.0 liblzma5 libmpdec4 libsqlite3-0
    libncursesw6 libtinfo6 libreadline8t64 libuuid1 libzstd1 libcrypt1 libgcc-s1 libstdc++6
    libgdbm6t64 libgdbm-compat4t64 libdb5.3t64
  )
  # Optional libraries (dbm backends) are kept when the suite has them, dropped otherwise.
  have=()
  for p in "${pkgs[@]}"; do
    if apt-cache "${apt_opts[@]}" show "$p" >/dev/null 2>&1; then have+=("$p")
    else
      case "$p" in libgdbm-compat4t64|libdb5.3t64) log "skipping $p (not in $SUITE)" ;;
        *) log "$p is not in $SUITE"; exit 1 ;; esac
    fi
  done
  log "downloading Python $v (${#have[@]} packages)"
  rm -rf "$dir" && mkdir -p "$dir/debs" "$root"
  (cd "$dir/debs" && apt-get "${apt_opts[@]}" download "${have[@]}") >"$dir/download.log" 2>&1 \
    || { cat "$dir/download.log" >&2; log "apt download failed"; exit 1; }
  for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$root"; done
  lib="$root/usr/lib/$TRIPLET"
  [ -e "$lib/$LDSO" ] || { log "$lib/$LDSO missing after unpacking"; exit 1; }
  patchelf --set-interpreter "$lib/$LDSO" --force-rpath --set-rpath "$lib" "$py"
  # Debian's include/python3.X/pyconfig.h only includes <TRIPLET/python3.X/pyconfig.h> from the
  # system's include path, where bookworm has none: put the real one in its place, so that
  # -I$(sysconfig include) is enough to build an extension.
  inc="$root/usr/include/python$v"
  if [ -f "$root/usr/include/$TRIPLET/python$v/pyconfig.h" ]; then
    cp "$root/usr/include/$TRIPLET/python$v/pyconfig.h" "$inc/pyconfig.h"
  fi
  rm -rf "$dir/debs"
  link "$py" "$CACHE/bin/python$v"
  log "checking $CACHE/bin/python$v"
  if ! check "$CACHE/bin/python$v" "$v" >"$dir/check.log" 2>&1; then
    cat "$dir/check.log" >&2
    log "Python $v does not work"
    exit 1
  fi
  printf '%s\n' "${have[@]}" > "$dir/packages.txt"
  echo "$RECIPE" > "$dir/.complete"
done

for v in "${versions[@]}"; do
  echo "PYTHON${v/./_}=$CACHE/bin/python$v"
done
