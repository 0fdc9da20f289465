#!/usr/bin/env bash
# Builds the shoal:local image without any registry: release binaries, Debian's static
# busybox, and the shared libraries ldd names, on an empty base.
#   SHOAL_IMAGE    tag to build (default shoal:local)
#   SHOAL_BIN_DIR  take shoald and shoalctl from here instead of a release build (tests use
#                  their debug binaries)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${SHOAL_IMAGE:-shoal:local}
bins=${SHOAL_BIN_DIR:-}
if [ -z "$bins" ]; then
  (cd "$root" && cargo build --release --bins -q)
  bins="$root/target/release"
fi
if ! dpkg -s busybox-static >/dev/null 2>&1; then
  echo "a static busybox is needed: apt-get install -y busybox-static" >&2
  exit 1
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/var/lib/shoal" "$ctx/rootfs/tmp"
cp -L /bin/busybox "$ctx/rootfs/bin/busybox"
for b in shoald shoalctl; do
  cp "$bins/$b" "$ctx/rootfs/usr/local/bin/$b"
  for lib in $(ldd "$bins/$b" | grep -o '/[^ ]*'); do
    mkdir -p "$ctx/rootfs$(dirname "$lib")"
    cp -L "$lib" "$ctx/rootfs$lib"
  done
done
cp "$here/entrypoint.sh" "$ctx/rootfs/entrypoint.sh"
cp "$here/Dockerfile" "$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$image" "$ctx" >/dev/null 2>&1 ||
  DOCKER_BUILDKIT=0 docker build -t "$image" "$ctx"
echo "built $image"
