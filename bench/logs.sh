#!/usr/bin/env bash
# Log relay benchmark: a one-node cluster runs a service of R replicas that each write L lines
# at once, then this times `shoalctl service logs` relaying them all (agent -> leader ->
# client) beside `docker logs` reading the same containers one after the other, and the
# first line of a `--follow`. Usage: R=4 L=50000 ./bench/logs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
R=${R:-4}
L=${L:-50000}
cargo build --release --bins -q
./examples/images/build.sh >/dev/null

data=$(mktemp -d /tmp/shoal-logbench.XXXXXX)
port=$((20000 + RANDOM % 20000))
./target/release/shoald --data-dir "$data" --listen-addr "127.0.0.1:$port" >"$data/shoald.log" 2>&1 &
pid=$!
ctl() { ./target/release/shoalctl -H "unix://$data/control.sock" "$@"; }
cleanup() {
  ctl service rm logbench >/dev/null 2>&1 || true
  sleep 2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  docker ps -aq --filter label=shoal.service.name=logbench | xargs -r docker rm -f >/dev/null
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 100); do ctl node ls >/dev/null 2>&1 && break; sleep 0.2; done

ctl service create --name logbench --image shoal-demo:1 --replicas "$R" \
  --restart-condition none --command sh --args -c \
  --args "seq 1 $L; exec sleep 3600" -d >/dev/null
echo "waiting for $R containers to write $L lines each..."
for _ in $(seq 600); do
  ids=$(docker ps -q --filter label=shoal.service.name=logbench)
  done_count=0
  for id in $ids; do
    [ "$(docker logs --tail 1 "$id" 2>/dev/null)" = "$L" ] && done_count=$((done_count + 1))
  done
  [ "$done_count" -ge "$R" ] && break
  sleep 0.5
done
[ "$done_count" -ge "$R" ] || { echo "the containers did not write their lines" >&2; exit 1; }

now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" -v e="$3" 'BEGIN { printf "%d lines in %.2f s (%d lines/s)", n, e - s, n / (e - s) }'; }

start=$(now)
relayed=$(ctl service logs logbench | wc -l)
end=$(now)
echo "shoalctl service logs: $(rate "$relayed" "$start" "$end")"

start=$(now)
direct=0
for id in $(docker ps -q --filter label=shoal.service.name=logbench); do
  n=$(docker logs --timestamps "$id" | wc -l)
  direct=$((direct + n))
done
end=$(now)
echo "docker logs, each container in turn: $(rate "$direct" "$start" "$end")"

# Following never ends by itself: read one line, then stop it.
start=$(now)
coproc FOLLOW { exec ./target/release/shoalctl -H "unix://$data/control.sock" service logs logbench --follow --tail 1; }
read -r _ <&"${FOLLOW[0]}"
end=$(now)
kill "$FOLLOW_PID" 2>/dev/null || true
awk -v s="$start" -v e="$end" 'BEGIN { printf "first line of --follow --tail 1: %.0f ms\n", (e - s) * 1000 }'

[ "$relayed" -eq $((R * L)) ] || { echo "expected $((R * L)) lines, relayed $relayed" >&2; exit 1; }
