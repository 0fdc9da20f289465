#!/usr/bin/env bash
# Runs the convergence benchmark on a fresh single-node cluster: builds release binaries and
# the demo images, starts shoald in a temp dir, runs shoal-bench (extra args pass through,
# e.g. --replicas 100), then stops the node and removes what it left.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bins -q
./examples/images/build.sh >/dev/null
dir=$(mktemp -d /tmp/shoal-bench.XXXXXX)
./target/release/shoald --data-dir "$dir/data" --listen-addr 127.0.0.1:0 >"$dir/shoald.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  ids=$(docker ps -aq --filter label=shoal.bench.raw=1; docker ps -aq --filter name='^bench[0-9]+\.')
  [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
export SHOAL_HOST="unix://$dir/data/control.sock"
for _ in $(seq 100); do
  ./target/release/shoalctl node ls 2>/dev/null | grep -q Ready && break
  sleep 0.1
done
./target/release/shoal-bench "$@"
if [ -n "${SHOAL_BENCH_CPU:-}" ]; then
  read -r -a st < /proc/$pid/stat
  echo "shoald cpu: user $((${st[13]} / 100))s sys $((${st[14]} / 100))s"
fi
