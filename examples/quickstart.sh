#!/usr/bin/env bash
# Quick start: build Shoal, build the offline demo image, start a single-node cluster in
# ./.shoal (data dir) and deploy a 3-replica demo service. Needs Rust, Docker and the
# busybox-static package (sudo apt-get install -y busybox-static).
#
# Stop the node afterwards with:  kill $(cat .shoal/shoald.pid)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${SHOAL_DATA_DIR:-$PWD/.shoal}
addr=${SHOAL_LISTEN_ADDR:-127.0.0.1:4242}

cargo build --release --bins
./examples/images/build.sh
mkdir -p "$data"
if [ -f "$data/shoald.pid" ] && kill -0 "$(cat "$data/shoald.pid")" 2>/dev/null; then
  echo "shoald is already running (pid $(cat "$data/shoald.pid"))"
else
  ./target/release/shoald --data-dir "$data" --listen-addr "$addr" >"$data/shoald.log" 2>&1 &
  echo $! >"$data/shoald.pid"
  echo "started shoald (pid $!), log in $data/shoald.log"
fi
export SHOAL_HOST="unix://$data/control.sock"
ctl=./target/release/shoalctl
for _ in $(seq 50); do $ctl node ls >/dev/null 2>&1 && break; sleep 0.2; done
$ctl node ls
$ctl service inspect demo >/dev/null 2>&1 ||
  $ctl service create --name demo --image shoal-demo:1 --replicas 3 \
    --env GREETING=hello --restart-delay 2s
$ctl service ps demo
echo
echo "Try:  export SHOAL_HOST=$SHOAL_HOST"
echo "      $ctl service logs demo"
echo "      $ctl service scale demo=6"
echo "      $ctl service update demo --image shoal-demo:2"
echo "      docker ps --filter label=shoal.service.name=demo"
