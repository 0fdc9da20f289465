#!/usr/bin/env bash
# Builds Shoal's offline demo images from the static busybox of Debian's busybox-static
# package (no registry needed): shoal-demo:1 and shoal-demo:2 (same content, two tags, so
# rolling updates have something to roll to).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bb=$(command -v busybox || true)
if [ -z "$bb" ] || ! file -L "$bb" 2>/dev/null | grep -q static; then
  bb=/bin/busybox
fi
if [ ! -x "$bb" ]; then
  echo "busybox not found: install it with 'apt-get install -y busybox-static'" >&2
  exit 1
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$here/demo/Dockerfile" "$ctx/Dockerfile"
cp -L "$bb" "$ctx/busybox"
DOCKER_BUILDKIT=0 docker build -q -t shoal-demo:1 "$ctx" >/dev/null
docker tag shoal-demo:1 shoal-demo:2
echo "built shoal-demo:1 and shoal-demo:2"
