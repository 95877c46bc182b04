#!/usr/bin/env bash
# deploy/node/roadrunner-node-install against containerd configs in a temporary --root, without
# root or a containerd: config versions 2 (containerd 1.x) and 3 (2.x), from nothing and from a
# file with settings, run twice, a version-1 file refused before anything changes, a runtime
# someone else wrote left alone, and uninstall giving back the file byte for byte. Every config
# the installer writes must parse as TOML (python3's tomllib) with the runtime where that
# version of containerd reads it. Exit 0: passed; 1: failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
installer=$top/deploy/node/roadrunner-node-install
t=$(mktemp -d /tmp/rr-installer-test.XXXXXX)
trap 'rm -rf "$t"' EXIT

fail() { echo "FAILED: $*" >&2; exit 1; }
expect() { grep -qF -- "$1" <<<"$2" || { echo "$2" >&2; fail "expected '$1' in the output above"; }; }

# A bundle as the installer checks it: bin/roadrunner, the shim, a README and SHA256SUMS.
bundle=$t/bundle
mkdir -p "$bundle/bin"
for p in roadrunner containerd-shim-roadrunner-v1; do
  printf '#!/bin/sh\necho %s\n' "$p" >"$bundle/bin/$p"
  chmod 0755 "$bundle/bin/$p"
done
echo "Roadrunner 0.1.0, relocatable bundle for linux/test." >"$bundle/README"
(cd "$bundle" && sha256sum bin/* README >SHA256SUMS)

# install ROOT [ARGS...]: runs the installer on ROOT; prints its messages.
install() {
  local root=$1
  shift
  "$installer" --root "$root" --bundle "$bundle" --restart none "$@" 2>&1
}

# runtime_of ROOT VERSION: the runtime table where containerd of that config version reads it.
runtime_of() {
  python3 - "$1/etc/containerd/config.toml" "$2" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    config = tomllib.load(f)
plugin = {"2": "io.containerd.grpc.v1.cri", "3": "io.containerd.cri.v1.runtime"}[sys.argv[2]]
assert config["version"] == int(sys.argv[2]), config.get("version")
runtime = config["plugins"][plugin]["containerd"]["runtimes"]["roadrunner"]
print(runtime["runtime_type"], ",".join(runtime["pod_annotations"]))
PY
}

for version in 2 3; do
  echo "--- config version $version, from nothing"
  root=$t/empty-$version
  out=$(install "$root" --config-version "$version")
  expect "registered the runtime roadrunner in /etc/containerd/config.toml (config version $version)" "$out"
  [ "$(runtime_of "$root" "$version")" = "io.containerd.roadrunner.v1 roadrunner.io/*" ] ||
    fail "version $version: the runtime is not where containerd reads it"
  [ -x "$root/opt/roadrunner/bin/roadrunner" ] || fail "the bundle is not in /opt/roadrunner"
  [ "$(readlink "$root/usr/local/bin/containerd-shim-roadrunner-v1")" = \
    /opt/roadrunner/bin/containerd-shim-roadrunner-v1 ] || fail "the shim is not linked"
done

echo "--- config version 3 with settings, twice, then uninstall"
root=$t/settings
mkdir -p "$root/etc/containerd"
config=$root/etc/containerd/config.toml
printf 'version = 3\nroot = "/var/lib/containerd"\n\n[plugins."io.containerd.cri.v1.images"]\n  snapshotter = "overlayfs"\n' \
  >"$config"
cp "$config" "$t/original"
install "$root" >/dev/null
runtime_of "$root" 3 >/dev/null || fail "the config with settings does not parse"
python3 -c 'import sys, tomllib; c = tomllib.load(open(sys.argv[1], "rb")); assert c["plugins"]["io.containerd.cri.v1.images"]["snapshotter"] == "overlayfs"' \
  "$config" || fail "the installer lost a setting"
cmp -s "$config.roadrunner-backup" "$t/original" || fail "the backup is not the original"
cp "$config" "$t/once"
out=$(install "$root")
expect "already registers the runtime roadrunner" "$out"
cmp -s "$config" "$t/once" || fail "a second run changed the config"
out=$("$installer" --root "$root" --uninstall --restart none 2>&1)
expect "removed the runtime roadrunner" "$out"
cmp -s "$config" "$t/original" || fail "uninstall did not give back the original config"
[ ! -e "$root/opt/roadrunner" ] && [ ! -e "$root/usr/local/bin/roadrunner" ] ||
  fail "uninstall left the bundle or its links"

echo "--- a version-1 config is refused before anything changes"
root=$t/v1
mkdir -p "$root/etc/containerd"
printf '[plugins]\n  x = 1\n' >"$root/etc/containerd/config.toml"
cp "$root/etc/containerd/config.toml" "$t/v1-original"
if out=$(install "$root"); then fail "a version-1 config was accepted"; fi
expect "(config version 1); convert it first" "$out"
cmp -s "$root/etc/containerd/config.toml" "$t/v1-original" || fail "the refused config changed"
[ ! -e "$root/opt/roadrunner" ] || fail "the bundle was installed although the config was refused"

echo "--- no version line and no containerd: asks for --config-version"
if out=$(install "$t/bare"); then fail "a config of unknown version was written"; fi
expect "pass --config-version 2 or 3" "$out"

echo "--- a roadrunner runtime someone else wrote is left alone"
root=$t/theirs
mkdir -p "$root/etc/containerd"
printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.roadrunner]\n  runtime_type = "io.containerd.roadrunner.v1"\n' \
  >"$root/etc/containerd/config.toml"
cp "$root/etc/containerd/config.toml" "$t/theirs-original"
out=$(install "$root")
expect "not added by this script; leaving it" "$out"
cmp -s "$root/etc/containerd/config.toml" "$t/theirs-original" || fail "their runtime was changed"
echo "installer test passed"
