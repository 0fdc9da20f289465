#!/usr/bin/env bash
# Builds Shoal's offline demo images from the static busybox of Debian's busybox-static
# package (no registry needed): shoal-demo:1 and shoal-demo:2 (same content, two tags, so
# rolling updates have something to roll to).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bb=/bin/busybox
if ! dpkg -s busybox-static >/dev/null 2>&1 || [ ! -x "$bb" ]; then
  echo "a static busybox is needed: apt-get install -y busybox-static" >&2
  exit 1
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$here/demo/Dockerfile" "$ctx/Dockerfile"
cp -L "$bb" "$ctx/busybox"
DOCKER_BUILDKIT=0 docker build -q -t shoal-demo:1 "$ctx" >/dev/null 2>&1 ||
  DOCKER_BUILDKIT=0 docker build -t shoal-demo:1 "$ctx"
docker tag shoal-demo:1 shoal-demo:2
echo "built shoal-demo:1 and shoal-demo:2"
