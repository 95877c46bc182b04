# shellcheck shell=bash
# Roadrunner's build environment: WasmEdge >= 0.14 with its AOT compiler, g++ 14, clang 19 and the
# wasm32-wasi toolchain. Debian 13 ships all of it; where the host lacks it (Debian 12), a Debian 13
# root is made once with debootstrap, kept outside the checkout, and entered in a private mount
# namespace with /proc, /dev, /sys, /tmp and the checkout bind-mounted at the same paths.
#
# Sourced by bin/roadrunner, scripts/env and scripts/test. Settings (environment):
#   RR_ENV=native|root   force the native host or the Debian 13 root (default: detect)
#   RR_ROOT_DIR          where the root lives (default /var/cache/roadrunner/trixie)
#   RR_DEBIAN_MIRROR     Debian mirror URL (default: read from the host's apt sources)
#   RR_QUIET=1           no progress lines

rr_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rr_root=${RR_ROOT_DIR:-/var/cache/roadrunner/trixie}

rr_say() { [ "${RR_QUIET:-0}" = 1 ] || echo "roadrunner: $*" >&2; }
rr_die() { echo "roadrunner: $*" >&2; exit 1; }

# Checked here, in the sourcing shell: rr_mode runs in command substitutions, where rr_die would
# end only the subshell.
case "${RR_ENV:-}" in
"" | native | root) ;;
*) rr_die "RR_ENV must be 'native' or 'root', not '$RR_ENV'" ;;
esac

# The packages the project needs inside the root; changing this list installs the difference.
rr_packages() {
  grep -v '^#' "$rr_top/scripts/packages.txt" | tr -s ' \n' ' '
}

rr_host_is_ready() {
  command -v g++-14 >/dev/null && command -v clang-19 >/dev/null &&
    command -v cmake >/dev/null && command -v ninja >/dev/null &&
    [ -f /usr/include/wasmedge/wasmedge.h ] && [ -d /usr/lib/wasm32-wasi ] 2>/dev/null
}

rr_mode() {
  case "${RR_ENV:-}" in
  native | root) echo "$RR_ENV" ;;
  "") if rr_host_is_ready; then echo native; else echo root; fi ;;
  esac
}

# The first Debian archive URL in the host's apt sources (deb822 or one-line format).
rr_mirror() {
  if [ -n "${RR_DEBIAN_MIRROR:-}" ]; then
    echo "$RR_DEBIAN_MIRROR"
    return
  fi
  local url
  url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' | grep -E '/debian/?$' | head -n 1)
  if [ -z "$url" ]; then
    url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' |
      grep -E '/debian/?$' | head -n 1)
  fi
  [ -n "$url" ] || rr_die "no Debian mirror in the host's apt sources; set RR_DEBIAN_MIRROR"
  echo "$url"
}

rr_packages_hash() { rr_packages | sha256sum | cut -c1-16; }

# Runs "$@" inside the root, in a private mount namespace, at the caller's working directory.
# Bound at the same paths: /proc /dev /sys /tmp, the checkout, the AOT cache and the working
# directory (so paths a user names work inside).
rr_in_root() {
  local cwd=$PWD
  local cache="${RR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/roadrunner}"
  [ -d "$cache" ] || mkdir -p "$cache"
  local binds=(/proc /dev /sys /tmp "$rr_top" "$cache")
  case "$cwd" in "$rr_top" | "$rr_top"/* | /tmp | /tmp/* | /) ;; *) binds+=("$cwd") ;; esac
  if [ -x "$rr_root/.rr-enter" ]; then
    "$rr_root/.rr-enter" "$rr_root" "$cwd" "${binds[@]}" -- "$@"
    return
  fi
  RR_R="$rr_root" RR_CWD="$cwd" unshare -m --propagation private -- bash -c '
      set -e
      r=$RR_R; cwd=$RR_CWD; shift
      mount --rbind "$r" "$r"
      while [ "$1" != "--" ]; do mkdir -p "$r$1"; mount --rbind "$1" "$r$1"; shift; done
      shift
      exec chroot "$r" /usr/bin/env -C "$cwd" RR_IN_ROOT=1 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
    ' rr-enter -- "${binds[@]}" -- "$@"
}

# The fast way in (scripts/lib/enter.c), built with the host's C compiler if it has one.
rr_build_enter() {
  local cc
  cc=$(command -v cc || command -v gcc || true)
  [ -n "$cc" ] || return 0
  "$cc" -O2 -o "$rr_root/.rr-enter.tmp" "$rr_top/scripts/lib/enter.c" 2>/dev/null &&
    mv -f "$rr_root/.rr-enter.tmp" "$rr_root/.rr-enter" || rm -f "$rr_root/.rr-enter.tmp"
}

rr_make_root() {
  [ "$(id -u)" = 0 ] || rr_die "creating the Debian 13 root needs root (or run on Debian 13 natively)"
  if ! command -v debootstrap >/dev/null; then
    rr_say "installing debootstrap on the host"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null ||
      rr_die "apt-get install debootstrap failed"
  fi
  local mirror
  mirror=$(rr_mirror)
  rr_say "creating a Debian 13 root in $rr_root from $mirror (under a minute, once)"
  rm -rf "$rr_root"
  mkdir -p "$(dirname "$rr_root")"
  local log="$rr_root.log"
  if ! debootstrap --variant=minbase trixie "$rr_root" "$mirror" >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    rr_die "debootstrap failed (full log: $log)"
  fi
  # "trixie" is also what the root's own apt sources name; mirror as above.
  echo "deb $mirror trixie main" >"$rr_root/etc/apt/sources.list"
  cp -f /etc/resolv.conf "$rr_root/etc/resolv.conf" 2>/dev/null || true
  rr_write_hosts
  echo base >"$rr_root/.rr-base-ok"
}

# debootstrap's minimal root has no /etc/hosts: `localhost` would not resolve inside it, and the
# tests that bind a hosts file of their own over it would find no mount point.
rr_write_hosts() {
  [ -f "$rr_root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    >"$rr_root/etc/hosts"
}

rr_install_packages() {
  local want
  want=$(rr_packages_hash)
  rr_say "installing the toolchain and WasmEdge into the root (a minute or two, once)"
  local log="$rr_root.apt.log"
  if ! rr_in_root bash -c "export DEBIAN_FRONTEND=noninteractive; apt-get update -q &&
      apt-get install -y -q --no-install-recommends $(rr_packages)" >"$log" 2>&1; then
    tail -n 8 "$log" >&2
    rr_die "installing packages into the root failed (full log: $log)"
  fi
  echo "$want" >"$rr_root/.rr-packages"
}

# True when the root exists, its packages match packages.txt and its way in is built: the common
# path, which starts no process but find's.
rr_env_is_current() {
  [ -f "$rr_root/.rr-base-ok" ] && [ -x "$rr_root/usr/bin/apt-get" ] && [ -f "$rr_root/etc/hosts" ] &&
    [ -f "$rr_root/.rr-packages" ] && [ ! "$rr_top/scripts/packages.txt" -nt "$rr_root/.rr-packages" ] &&
    [ -x "$rr_root/.rr-enter" ] && [ ! "$rr_top/scripts/lib/enter.c" -nt "$rr_root/.rr-enter" ]
}

# Makes sure the environment exists and is current. A root without the base marker is half-made
# and is rebuilt; a package list that changed installs the difference. Calls at the same time
# take turns (a lock beside the root), and each looks again once it has the lock.
rr_ensure_env() {
  [ "$(rr_mode)" = native ] && return 0
  [ -n "${RR_IN_ROOT:-}" ] && return 0
  rr_env_is_current && return 0
  command -v flock >/dev/null || rr_die "flock (util-linux) is needed to set up the environment"
  mkdir -p "$(dirname "$rr_root")"
  local lock
  exec {lock}>"$rr_root.lock"
  flock "$lock"
  if [ ! -f "$rr_root/.rr-base-ok" ] || [ ! -x "$rr_root/usr/bin/apt-get" ]; then
    rr_make_root
  fi
  rr_write_hosts  # a root made before it was written
  # The package list is hashed only when it is newer than the last install.
  if [ ! -f "$rr_root/.rr-packages" ] || [ "$rr_top/scripts/packages.txt" -nt "$rr_root/.rr-packages" ]; then
    if [ "$(cat "$rr_root/.rr-packages" 2>/dev/null)" != "$(rr_packages_hash)" ]; then
      rr_install_packages
    else
      touch "$rr_root/.rr-packages"
    fi
  fi
  if [ ! -x "$rr_root/.rr-enter" ] || [ "$rr_top/scripts/lib/enter.c" -nt "$rr_root/.rr-enter" ]; then
    rr_build_enter
  fi
  exec {lock}>&-
}

# Installs an extra package list (scripts/packages-NAME.txt) into the root, once, for tools that
# only some steps need (lint, the bench's peer baselines); the demo's first run does not wait for
# them. Natively, says what to install instead. With --optional, a list that is missing or fails
# to install is reported and the caller goes on without it (the build then leaves out what needs
# it).
rr_ensure_extra_packages() {
  local name=$1 optional=${2:-} list="$rr_top/scripts/packages-$1.txt"
  local packages
  packages=$(grep -v '^#' "$list" | tr -s ' \n' ' ')
  if [ "$(rr_mode)" = native ] || [ -n "${RR_IN_ROOT:-}" ]; then
    local p missing=()
    for p in $packages; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} = 0 ] && return 0
    [ "$optional" = --optional ] || rr_die "scripts/$name needs: apt-get install ${missing[*]}"
    rr_say "going on without scripts/packages-$name.txt (apt-get install ${missing[*]})"
    return 0
  fi
  local marker="$rr_root/.rr-packages-$name" want
  want=$(echo "$packages" | sha256sum | cut -c1-16)
  [ "$(cat "$marker" 2>/dev/null)" = "$want" ] && return 0
  local lock
  exec {lock}>"$rr_root.lock"
  flock "$lock"
  if [ "$(cat "$marker" 2>/dev/null)" != "$want" ]; then
    rr_say "installing $packages into the root (once)"
    local log="$rr_root.apt-$name.log"
    if ! rr_in_root bash -c "export DEBIAN_FRONTEND=noninteractive; apt-get update -q &&
        apt-get install -y -q --no-install-recommends $packages" >"$log" 2>&1; then
      tail -n 8 "$log" >&2
      exec {lock}>&-
      [ "$optional" = --optional ] || rr_die "installing $packages into the root failed (full log: $log)"
      rr_say "installing $packages into the root failed (full log: $log); going on without them"
      return 0
    fi
    echo "$want" >"$marker"
  fi
  exec {lock}>&-
}

# What a developer's build needs beyond the demo's packages: the test suite's (GoogleTest, Go,
# redis-server) and the containerd shim's, which the dev preset builds.
rr_ensure_dev_packages() {
  rr_ensure_extra_packages test
  rr_ensure_extra_packages shim
}

# A file that changes whenever extra packages are installed: the root's marker for NAME, or
# natively dpkg's status file. A build configured before it changed must be configured again to
# find what was installed.
rr_packages_marker() {
  if [ "$(rr_mode)" = native ] || [ -n "${RR_IN_ROOT:-}" ]; then
    echo /var/lib/dpkg/status
  else
    echo "$rr_root/.rr-packages-$1"
  fi
}

# A plain Debian 12 node, for the tests that show the relocatable bundle (scripts/dist) needs no
# build root: debootstrap's minimal system plus containerd, made once beside the build root
# (RR_NODE_ROOT_DIR, default /var/cache/roadrunner/bookworm). Tests never change it; they run
# on an overlay of it.
rr_node_root=${RR_NODE_ROOT_DIR:-/var/cache/roadrunner/bookworm}
rr_ensure_node_root() {
  [ -f "$rr_node_root/.rr-node-ok" ] && return 0
  [ "$(id -u)" = 0 ] || rr_die "creating the Debian 12 node root needs root"
  command -v debootstrap >/dev/null || rr_die "the Debian 12 node root needs debootstrap"
  mkdir -p "$(dirname "$rr_node_root")"
  local lock
  exec {lock}>"$rr_node_root.lock"
  flock "$lock"
  if [ ! -f "$rr_node_root/.rr-node-ok" ]; then
    local mirror log="$rr_node_root.log"
    mirror=$(rr_mirror)
    rr_say "creating a Debian 12 node root in $rr_node_root from $mirror (about a minute, once)"
    rm -rf "$rr_node_root"
    if ! debootstrap --variant=minbase --include=containerd,iproute2 bookworm "$rr_node_root" \
      "$mirror" >"$log" 2>&1; then
      tail -n 5 "$log" >&2
      exec {lock}>&-
      rr_die "debootstrap bookworm failed (full log: $log)"
    fi
    echo node >"$rr_node_root/.rr-node-ok"
  fi
  exec {lock}>&-
}

# Runs "$@" in the build environment (natively, or inside the root).
rr_run() {
  if [ "$(rr_mode)" = native ] || [ -n "${RR_IN_ROOT:-}" ]; then
    "$@"
  else
    rr_in_root "$@"
  fi
}
