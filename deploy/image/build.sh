#!/usr/bin/env bash
# Builds the shoal:local image without any registry: release binaries, Debian's static
# busybox, and the shared libraries ldd names, on an empty base.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
(cd "$root" && cargo build --release --bins -q)
if ! dpkg -s busybox-static >/dev/null 2>&1; then
  echo "a static busybox is needed: apt-get install -y busybox-static" >&2
  exit 1
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/var/lib/shoal" "$ctx/rootfs/tmp"
cp -L /bin/busybox "$ctx/rootfs/bin/busybox"
for b in shoald shoalctl; do
  cp "$root/target/release/$b" "$ctx/rootfs/usr/local/bin/$b"
  for lib in $(ldd "$root/target/release/$b" | grep -o '/[^ ]*'); do
    mkdir -p "$ctx/rootfs$(dirname "$lib")"
    cp -L "$lib" "$ctx/rootfs$lib"
  done
done
cp "$here/entrypoint.sh" "$ctx/rootfs/entrypoint.sh"
cp "$here/Dockerfile" "$ctx/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t shoal:local "$ctx" >/dev/null 2>&1 ||
  DOCKER_BUILDKIT=0 docker build -t shoal:local "$ctx"
echo "built shoal:local"
