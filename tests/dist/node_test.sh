#!/usr/bin/env bash
# The relocatable bundle on a plain Debian 12 node (scripts/dist, deploy/node/):
#
#   tests/dist/node_test.sh NODE_ROOT BUNDLE.tar.gz GUEST_DIR [INSTALLER_IMAGE.tar]
#
# NODE_ROOT is a Debian 12 root with containerd and no compiler (scripts/lib/env.sh,
# rr_ensure_node_root); the test runs on a fresh overlay of it, in a private mount namespace, and
# leaves it unchanged. It shows, in order:
#   1. the node has no compiler and an older glibc than the bundle was built with;
#   2. an unprivileged user unpacks the bundle and runs a function, and a two-function workflow
#      in kernel mode (a served process started from the bundle's launcher);
#   3. the node installer, run twice as root, installs the bundle and registers the runtime in
#      Debian 12's own containerd config once, with one backup; containerd reads it;
#   4. Debian 12's containerd runs a function image through the installed shim;
#   5. --uninstall gives back the original config and removes the bundle;
#   6. with INSTALLER_IMAGE: the DaemonSet's init container (deploy/kubernetes/node-installer.yaml),
#      run by that containerd with runc and the node's root at /host, installs it again.
# Needs root (mounts). Exit 0: passed; 1: failed.
set -euo pipefail
[ $# = 3 ] || [ $# = 4 ] ||
  { echo "usage: node_test.sh NODE_ROOT BUNDLE.tar.gz GUEST_DIR [INSTALLER_IMAGE.tar]" >&2; exit 2; }
node=$1 bundle=$2 guests=$3 installer_image=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ -z "${RR_NODE_TEST_INSIDE:-}" ]; then
  exec env RR_NODE_TEST_INSIDE=1 unshare -m --propagation private -- "$0" "$@"
fi

t=$(mktemp -d /tmp/rr-node-test.XXXXXX)
root=$t/root
containerd_pid=
cleanup() {
  if [ -n "$containerd_pid" ]; then
    kill "$containerd_pid" 2>/dev/null || true
    wait "$containerd_pid" 2>/dev/null || true
  fi
  # Shims and functions the test started, found by the overlay they run in.
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    if [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ]; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  umount -R "$root" 2>/dev/null || umount -lR "$root" 2>/dev/null || true
  rm -rf "$t"
}
trap cleanup EXIT

step() { echo "--- $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
expect() {  # expect NEEDLE TEXT
  grep -qF -- "$1" <<<"$2" || { echo "$2" >&2; fail "expected '$1' in the output above"; }
}
in_node() { chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root "$@"; }
as_user() {
  chroot --userspec=65534:65534 "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp/home "$@"
}

mkdir -p "$t/upper" "$t/work" "$root"
mount -t overlay overlay -o "lowerdir=$node,upperdir=$t/upper,workdir=$t/work" "$root"
for d in proc sys dev; do mount --rbind "/$d" "$root/$d"; done
# containerd's snapshots and state need a file system overlayfs can stack on.
mount -t tmpfs tmpfs "$root/run"
mount -t tmpfs tmpfs "$root/var/lib/containerd" 2>/dev/null ||
  { mkdir -p "$root/var/lib/containerd" && mount -t tmpfs tmpfs "$root/var/lib/containerd"; }
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"

step "1. a Debian 12 node without a compiler"
expect "12" "$(cat "$root/etc/debian_version")"
for tool in cc gcc g++ clang cmake wasmedge; do
  if in_node sh -c "command -v $tool" >/dev/null; then fail "the node has $tool"; fi
done
node_glibc=$(in_node getconf GNU_LIBC_VERSION)
echo "node: $node_glibc"

step "2. an unprivileged user runs the bundle"
cp "$bundle" "$root/tmp/bundle.tar.gz"
mkdir -p "$root/tmp/fn/data"
cp "$guests/wasi_probe.wasm" "$guests/text_producer.wasm" "$guests/text_counter.wasm" "$root/tmp/fn/"
# A word count that changes from run to run, so a stale answer cannot pass.
words=$((RANDOM % 900 + 100))
for _ in $(seq "$words"); do printf 'w%s ' "$RANDOM"; done >"$root/tmp/fn/data/in.txt"
cat >"$root/tmp/fn/text-kernel.json" <<'JSON'
{
  "functions": {
    "producer": { "wasm": "text_producer.wasm", "args": ["/d/in.txt"], "dirs": ["/d:data"] },
    "counter": { "wasm": "text_counter.wasm" }
  },
  "edges": [{ "from": "producer", "to": "counter", "mode": "kernel" }]
}
JSON
chmod -R a+rX "$root/tmp/fn" "$root/tmp/bundle.tar.gz"
as_user sh -c 'mkdir -p /tmp/home /tmp/user && tar -xzf /tmp/bundle.tar.gz -C /tmp/user'
rr=$(as_user sh -c 'echo /tmp/user/roadrunner-*/bin/roadrunner')
echo "bundle: $(as_user "$rr" --version)"
out=$(as_user "$rr" run /tmp/fn/wasi_probe.wasm -- 0 2>&1) || { echo "$out" >&2; fail "roadrunner run"; }
expect "probe done" "$out"
out=$(as_user sh -c "cd /tmp/fn && $rr up text-kernel.json" 2>&1) ||
  { echo "$out" >&2; fail "roadrunner up (kernel mode)"; }
expect "counter says: $words words" "$out"
echo "$out" | tail -n 3

step "3. the node installer, twice"
config=$root/etc/containerd/config.toml
cp "$config" "$t/config.orig"
installer=/tmp/user/$(basename "$(dirname "$(dirname "$rr")")")/bin/roadrunner-node-install
in_node "$installer" --bundle /tmp/bundle.tar.gz --restart none 2>&1
cp "$config" "$t/config.once"
out=$(in_node "$installer" --bundle /tmp/bundle.tar.gz --restart none 2>&1)
echo "$out"
expect "is up to date" "$out"
expect "already registers the runtime roadrunner" "$out"
cmp -s "$config" "$t/config.once" || fail "a second install changed containerd's config"
cmp -s "$config.roadrunner-backup" "$t/config.orig" || fail "the backup is not the original config"
[ "$(grep -c 'runtimes.roadrunner\]' "$config")" = 1 ] || fail "the runtime is not registered once"
[ -L "$root/usr/local/bin/containerd-shim-roadrunner-v1" ] || fail "the shim is not on PATH"
expect "containerd-shim-roadrunner-v1 0.1.0 (images: rootfs, Wasm OCI artifacts)" "$(in_node containerd-shim-roadrunner-v1 -v)"

step "4. Debian 12's containerd runs a function through the installed shim"
"$top/scripts/oci-image" "$root/tmp/probe.tar" roadrunner.local/probe:1 /probe.wasm \
  "$guests/wasi_probe.wasm=/probe.wasm" >/dev/null
in_node containerd >"$t/containerd.log" 2>&1 &
containerd_pid=$!
for _ in $(seq 100); do [ -S "$root/run/containerd/containerd.sock" ] && break; sleep 0.1; done
[ -S "$root/run/containerd/containerd.sock" ] || { cat "$t/containerd.log" >&2; fail "containerd did not start"; }
expect 'runtime_type = "io.containerd.roadrunner.v1"' "$(in_node containerd config dump)"
in_node ctr image import /tmp/probe.tar >/dev/null
out=$(timeout 120 chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
  ctr run --rm --runtime io.containerd.roadrunner.v1 roadrunner.local/probe:1 probe-1 /probe.wasm 0 \
  "node-$words" 2>&1) ||
  { echo "$out"; grep -i roadrunner "$t/containerd.log" | tail -n 20 >&2; fail "ctr run"; }
expect "argv[1]=0" "$out"
expect "argv[2]=node-$words" "$out"

step "5. uninstall"
in_node "$installer" --uninstall --restart none 2>&1
cmp -s "$config" "$t/config.orig" || fail "uninstall did not give back the original config"
[ ! -e "$root/opt/roadrunner" ] || fail "uninstall left /opt/roadrunner"
[ ! -e "$root/usr/local/bin/roadrunner" ] || fail "uninstall left /usr/local/bin/roadrunner"

if [ -n "$installer_image" ]; then
  step "6. the DaemonSet's installer image, run by containerd with runc"
  # The init container's command, as deploy/kubernetes/node-installer.yaml gives it.
  yaml=$top/deploy/kubernetes/node-installer.yaml
  command='/bin/busybox --install -s /bin && exec sh /roadrunner/bin/roadrunner-node-install --root /host --bundle /roadrunner'
  tr -s ' \n' ' ' <"$yaml" | grep -qF -- "$command" || fail "$yaml does not run: $command"
  cp "$installer_image" "$root/tmp/installer.tar"
  image=$(in_node ctr image import /tmp/installer.tar | awk '/node-installer/ { print $2; exit }')
  [ -n "$image" ] || image=$(in_node ctr image ls -q | grep node-installer | head -n 1)
  out=$(timeout 120 chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    ctr run --rm --privileged --mount type=bind,src=/,dst=/host,options=rbind:rw "$image" installer \
    /bin/busybox sh -c "$command --restart none" 2>&1) || { echo "$out" >&2; fail "the installer image"; }
  echo "$out"
  expect "registered the runtime roadrunner" "$out"
  [ "$(grep -c 'runtimes.roadrunner\]' "$config")" = 1 ] || fail "the image did not register the runtime"
  expect "containerd-shim-roadrunner-v1 0.1.0 (images: rootfs, Wasm OCI artifacts)" "$(in_node containerd-shim-roadrunner-v1 -v)"
fi
kill "$containerd_pid"
wait "$containerd_pid" 2>/dev/null || true
containerd_pid=
echo "node test passed"
